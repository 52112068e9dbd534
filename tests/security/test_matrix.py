"""The permission matrix of docs/security.md, cell by cell, through the API and the pages.

The table is parsed from the document; every cell becomes cases (``pytest_generate_tests``):

- ``in``: a row inside the cell's scope: allowed (200/201/302, or present in a list);
- ``pool``: for a ``+pool`` cell, a customer in the open pool: allowed;
- ``out``: a row just outside the scope: 404 when the caller may not read it, 403 when they may
  read it but not do this, absent from a list;
- ``poolout``: for a row with ``team pool``/``subtree pool`` cells, a pool customer of a team
  outside the caller's pool scope (seen by everyone, so 403);
- ``refused``/``far`` for a ``—`` cell: the nearest row the caller may read (403, or 404 for a
  page only some roles have) and a row in the other region (404).

Mutations are checked by their effect too: an allowed one happened, a refused one did not.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import person as make_person
from tiejun.crm.models import Customer, Deal
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.deals import DealInput, deal_record
from tiejun.org.models import Person, Role, Unit, UnitKind
from tiejun.org.selectors import membership_on
from tiejun.org.services import unit_create

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROLES = ("rep", "supervisor", "manager", "coordinator", "admin")
REFUSED = "—"
POOL = "pool"
ALLOWED = {200, 201, 302}

# --- the table ------------------------------------------------------------------------------


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(resource, action): {"cells": {role: [tokens]}, "api": str, "page": str}}."""
    body = text.split("<!-- matrix:start -->", 1)[1].split("<!-- matrix:end -->", 1)[0]
    lines = [line.strip() for line in body.strip().splitlines() if line.strip().startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    assert header[:2] == ["resource", "action"] and tuple(header[2:7]) == ROLES, header
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        resource, action = cells[0], cells[1]
        tokens = {role: cells[2 + i].split("+") for i, role in enumerate(ROLES)}
        rows[(resource, action)] = {"cells": tokens, "api": cells[7], "page": cells[8]}
    return rows


MATRIX = parse_matrix(DOC.read_text(encoding="utf-8"))
TEAM_POOL, SUBTREE_POOL = "team pool", "subtree pool"  # the open pool of the team / subtree
VOCABULARY = {
    "own",
    "team",
    "subtree",
    "assigned",
    "branch",
    "pool",
    TEAM_POOL,
    SUBTREE_POOL,
    "all",
    REFUSED,
}

# --- the organisation ------------------------------------------------------------------------

# company HQ > regions ZJ, JS; ZJ > branch HZ > teams HZ1, HZ2; JS > branch NJ > team NJ1.
UNITS = [
    ("HQ", UnitKind.COMPANY, None),
    ("ZJ", UnitKind.REGION, "HQ"),
    ("JS", UnitKind.REGION, "HQ"),
    ("HZ", UnitKind.BRANCH, "ZJ"),
    ("NJ", UnitKind.BRANCH, "JS"),
    ("HZ1", UnitKind.TEAM, "HZ"),
    ("HZ2", UnitKind.TEAM, "HZ"),
    ("NJ1", UnitKind.TEAM, "NJ"),
]
# One person per role in the HZ subtree, and peers: a teammate, a rep of the other team, and a
# rep and a manager in the other region.
PEOPLE = [
    ("R-A", "HZ1", Role.REP),
    ("S-1", "HZ1", Role.SUPERVISOR),
    ("M-1", "HZ", Role.MANAGER),
    ("K-1", "HZ", Role.COORDINATOR),
    ("X-1", "HQ", Role.ADMIN),
    ("R-A2", "HZ1", Role.REP),
    ("R-B", "HZ2", Role.REP),
    ("R-Z", "NJ1", Role.REP),
    ("M-2", "NJ", Role.MANAGER),
]
ACTORS = {"rep": "R-A", "supervisor": "S-1", "manager": "M-1", "coordinator": "K-1", "admin": "X-1"}
HOME = {no: unit for no, unit, _role in PEOPLE}
PARENT = {code: parent for code, _kind, parent in UNITS}

# The row a scope word picks inside, and the row just outside it.
IN_OWNER = {"team": "R-A2", "subtree": "R-B", "assigned": "R-B", "branch": "R-B", "all": "R-Z"}
OUT_OWNER = {
    "own": "R-A2",
    "team": "R-B",
    "subtree": "R-Z",
    "assigned": "R-Z",
    "branch": "R-Z",
    "pool": "R-Z",
}
IN_UNIT = {"team": "HZ1", "subtree": "HZ2", "assigned": "HZ2", "branch": "HZ2", "all": "NJ1"}
OUT_UNIT = {"own": "HZ2", "team": "HZ2", "subtree": "NJ1", "assigned": "NJ1", "branch": "NJ1"}
FAR_OWNER, FAR_UNIT = "R-Z", "NJ1"


def _under(code: str, root: str) -> bool:
    while code is not None:
        if code == root:
            return True
        code = PARENT[code]  # type: ignore[assignment]
    return False


def _branch_of(code: str) -> str:
    kind = {c: k for c, k, _p in UNITS}[code]
    return PARENT[code] if kind == UnitKind.TEAM else code  # type: ignore[return-value]


@dataclass(frozen=True)
class Target:
    """A row of the fixture: owned by a person (``owner``; None: the open pool) or a unit; with
    ``pool``, a pool customer of the team ``unit``."""

    owner: str | None = None
    unit: str | None = None
    pool: bool = False

    def home(self) -> str | None:
        return self.unit or (HOME[self.owner] if self.owner else None)


def in_scope(role: str, tokens: list[str], target: Target) -> bool:
    actor = ACTORS[role]
    where = target.home()
    if target.pool:
        return any(
            token in ("all", POOL)
            or (token == TEAM_POOL and where == HOME[actor])
            or (token == SUBTREE_POOL and _under(where, HOME[actor]))  # type: ignore[arg-type]
            for token in tokens
        )
    for token in tokens:
        if token == "all":
            return True
        if token == POOL and target.unit is None and target.owner is None:
            return True
        if target.owner == actor and token in ("own", "team", "subtree", "assigned", "branch"):
            return True
        if where is None:
            continue
        if token == "team" and where == HOME[actor]:
            return True
        if token in ("subtree", "assigned") and _under(where, HOME[actor]):
            return True
        if token == "branch" and _under(where, _branch_of(HOME[actor])):
            return True
        if token == "own" and target.unit is not None and where == HOME[actor]:
            return True
    return False


# --- the world each case runs in --------------------------------------------------------------

TODAY = timezone.localdate()
NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@dataclass
class World:
    units: dict[str, Unit]
    people: dict[str, Person]
    counter: list[int] = field(default_factory=lambda: [0])

    def next(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    def customer(self, owner: str | None, pool_unit: str | None = None) -> Customer:
        customer = customer_create(
            code=self.next("CU-"),
            name="客户",
            owner=self.people[owner] if owner else None,
            lat="30.25",
            lon="120.15",
        )
        if pool_unit is not None:  # a pool customer of that team's (its last owner's team)
            customer.unit = self.units[pool_unit]
            customer.save(update_fields=["unit"])
        return customer

    def deal(self, owner: str) -> Deal:
        rep = self.people[owner]
        item = DealInput(
            deal_no=self.next("DL-"),
            person=rep,
            customer_code=self.next("DC-"),
            customer_name="成交客户",
            amount=Decimal("1000.00"),
            won_date=TODAY - dt.timedelta(days=1),
            channel="visit",
        )
        return deal_record(item=item, today=TODAY)[0]

    def visit(self, owner: str) -> Any:
        from tiejun.field.services.checkins import visit_checkin

        customer = self.customer(owner)
        visit, _created = visit_checkin(
            id=uuid.uuid4(),
            person=self.people[owner],
            customer=customer,
            at=timezone.now(),
            lat="30.25",
            lon="120.15",
            check_visibility=False,
        )
        return visit

    def report(self, owner: str) -> Any:
        from tiejun.field.services.reports import daily_report_save

        report, _created = daily_report_save(
            person=self.people[owner], day=TODAY, texts={"visited": "三家"}, submit=True
        )
        return report


@pytest.fixture
def world(db) -> World:
    units: dict[str, Unit] = {}
    for code, kind, parent in UNITS:
        units[code] = unit_create(
            code=code, name=code, kind=kind, parent=units[parent] if parent else None
        )
    people = {no: make_person(no, units[unit], role) for no, unit, role in PEOPLE}
    return World(units, people)


# --- what each row of the table does ----------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int
    present: bool | None = None  # for a list: whether the row is in it; None: not a list
    location: str = ""


def _out(response: Any, present: bool | None = None) -> Outcome:
    return Outcome(response.status_code, present, response.get("Location", "") or "")


def _has(response: Any, needle: str) -> bool:
    if response.status_code != 200:
        return False
    return needle in response.content.decode("utf-8-sig", errors="replace")


@dataclass(frozen=True)
class Spec:
    kind: str  # "owned": a row of a person's; "person"; "unit"
    make: Callable[[World, Target], Any]
    read: tuple[str, str]  # the table row deciding whether the caller may read the target
    api: Callable[[World, Client, Any], Outcome] | None = None
    pages: tuple[Callable[[World, Client, Any], Outcome], ...] = ()
    effect: Callable[[World, Any, str], bool] | None = None  # did the mutation happen?
    gated: bool = False  # a page/route only some roles have: refused is 404
    self_only: bool = False  # no target to choose: the caller's own (no out case)
    soft_refusal: frozenset[int] = frozenset()  # extra refusal statuses (with no effect)
    pool_target: bool = False  # the ``in`` row of ``pool`` is a pool customer


def _owner_row(factory: str) -> Callable[[World, Target], Any]:
    def make(world: World, target: Target) -> Any:
        if factory == "customer":
            return world.customer(target.owner, target.unit if target.pool else None)
        assert target.owner is not None
        return getattr(world, factory)(target.owner)

    return make


def _unit(world: World, target: Target) -> Unit:
    return world.units[target.unit or ""]


def _person(world: World, target: Target) -> Person:
    return world.people[target.owner or ""]


def _destination(person: Person) -> str:
    home = membership_on(person, TODAY).unit.code  # type: ignore[union-attr]
    return "HZ1" if home != "HZ1" else "HZ2"


def _moved(world: World, person: Person, role: str) -> bool:
    return membership_on(person, TODAY).unit.code != HOME[person.employee_no]  # type: ignore[union-attr]


def _target_set(world: World, unit: Unit, role: str) -> bool:
    from tiejun.targets.models import Target as TargetRow

    return TargetRow.objects.filter(unit=unit, month=NEXT_MONTH, value=Decimal("1000")).exists()


def _deal_form(deal_no: str, employee_no: str, amount: str = "1000.00", **extra: str) -> dict:
    return {
        "deal_no": deal_no,
        "rep": employee_no,
        "customer_code": f"C-{deal_no}",
        "customer_name": "新客户",
        "amount": amount,
        "won_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "channel": "visit",
        **extra,
    }


def _deal_body(employee_no: str, customer_code: str, amount: str, **extra: str) -> dict:
    return {
        "employee_no": employee_no,
        "customer_code": customer_code,
        "amount": amount,
        "won_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "channel": "visit",
        **extra,
    }


def _record_on(w: World, customer: Customer) -> dict:
    return _deal_body("", customer.code, "1000.00", deal_no=w.next("RC-"))


def _recorded_on(w: World, customer: Customer, role: str) -> bool:
    return Deal.objects.filter(customer=customer, person=w.people[ACTORS[role]]).exists()


def _customer_form(customer: Customer, **changes: str) -> dict:
    return {"name": customer.name, "status": "prospect", "priority": "B", **changes}


def _handover_to(customer: Customer) -> str:
    return "R-A2" if customer.owner and customer.owner.employee_no == "R-A" else "R-A"


SPECS: dict[tuple[str, str], Spec] = {
    ("units", "read"): Spec(
        "unit",
        _unit,
        ("units", "read"),
        api=lambda w, c, u: _out(c.get(f"/api/v1/units/{u.code}")),
        pages=(
            lambda w, c, u: _out(c.get(f"/org/{u.code}/")),
            lambda w, c, u: _out(c.get(f"/board/{u.code}/")),
        ),
    ),
    ("people", "read"): Spec(
        "person",
        _person,
        ("people", "read"),
        api=lambda w, c, p: _out(c.get(f"/api/v1/people/{p.employee_no}")),
        pages=(lambda w, c, p: _out(c.get(f"/people/{p.employee_no}/")),),
    ),
    ("people", "move"): Spec(
        "person",
        _person,
        ("people", "read"),
        api=lambda w, c, p: _out(
            c.post(
                "/api/v1/moves",
                {
                    "employee_no": p.employee_no,
                    "unit_code": _destination(p),
                    "effective_date": TODAY.isoformat(),
                },
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, p: _out(
                c.post(
                    f"/people/{p.employee_no}/",
                    {
                        "effective_date": TODAY.isoformat(),
                        "unit": w.units[_destination(p)].pk,
                        "role": Role.REP,
                    },
                )
            ),
        ),
        effect=_moved,
    ),
    ("targets", "read"): Spec(
        "unit",
        _unit,
        ("targets", "read"),
        api=lambda w, c, u: _out(c.get(f"/api/v1/targets?unit={u.code}")),
        pages=(lambda w, c, u: _out(c.get(f"/targets/{u.code}/")),),
    ),
    ("targets", "set"): Spec(
        "unit",
        _unit,
        ("targets", "read"),
        api=lambda w, c, u: _out(
            c.put(
                "/api/v1/targets",
                {
                    "month": f"{NEXT_MONTH:%Y-%m}",
                    "scope": "unit",
                    "code": u.code,
                    "value": "1000",
                },
                content_type="application/json",
            )
        ),
        effect=_target_set,
    ),
    ("targets", "cascade"): Spec(
        "unit",
        _unit,
        ("targets", "read"),
        api=lambda w, c, u: _out(
            c.post(
                f"/api/v1/targets/{u.code}/split",
                {"month": f"{NEXT_MONTH:%Y-%m}", "total": "1000", "method": "even"},
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, u: _out(
                c.post(
                    f"/targets/{u.code}/?month={NEXT_MONTH:%Y-%m}",
                    {"total": "1000", "method": "even", "reason": ""},
                )
            ),
        ),
        effect=_target_set,
    ),
    ("deals", "list"): Spec(
        "owned",
        _owner_row("deal"),
        ("deals", "read"),
        api=lambda w, c, d: (lambda r: _out(r, _has(r, f'"{d.deal_no}"')))(
            c.get("/api/v1/deals?page_size=100")
        ),
        pages=(lambda w, c, d: (lambda r: _out(r, _has(r, d.deal_no)))(c.get("/deals/")),),
    ),
    ("deals", "read"): Spec(
        "owned",
        _owner_row("deal"),
        ("deals", "read"),
        api=lambda w, c, d: _out(c.get(f"/api/v1/deals/{d.deal_no}")),
        pages=(lambda w, c, d: _out(c.get(f"/deals/{d.deal_no}/")),),
    ),
    ("deals", "record"): Spec(
        "person",
        _person,
        ("people", "read"),
        api=lambda w, c, p: _out(
            c.post(
                "/api/v1/deals",
                _deal_body(p.employee_no, "C-NEW-API", "1000.00", deal_no="NEW-API"),
                content_type="application/json",
            )
        ),
        pages=(lambda w, c, p: _out(c.post("/deals/new", _deal_form("NEW-PAGE", p.employee_no))),),
        effect=lambda w, p, role: Deal.objects.filter(
            deal_no__in=["NEW-API", "NEW-PAGE"], person=p
        ).exists(),
        # The page offers the reps one may record for: another one is invalid input.
        soft_refusal=frozenset({200}),
    ),
    ("deals", "correct"): Spec(
        "owned",
        _owner_row("deal"),
        ("deals", "read"),
        api=lambda w, c, d: _out(
            c.put(
                f"/api/v1/deals/{d.deal_no}",
                _deal_body(d.person.employee_no, d.customer.code, "999.00", reason="typo"),
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, d: _out(
                c.post(
                    f"/deals/{d.deal_no}/edit",
                    {
                        **_deal_form(d.deal_no, d.person.employee_no, "999.00", reason="typo"),
                        "customer_code": d.customer.code,
                    },
                )
            ),
        ),
        effect=lambda w, d, role: Deal.objects.get(pk=d.pk).amount == Decimal("999.00"),
    ),
    # A deal on a customer: the caller records one for themself on the customer.
    ("deals", "record on customer"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: _out(
            c.post(
                "/api/v1/deals",
                {**_record_on(w, cu), "employee_no": c.actor},  # type: ignore[attr-defined]
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, cu: _out(
                c.post(
                    "/deals/new",
                    {
                        **_deal_form(w.next("RP-"), c.actor),  # type: ignore[attr-defined]
                        "customer_code": cu.code,
                    },
                )
            ),
        ),
        effect=_recorded_on,
        # The page re-renders the form with "unknown customer": invalid input, nothing recorded.
        soft_refusal=frozenset({200}),
        pool_target=True,
    ),
    ("customers", "edit"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: _out(
            c.patch(
                f"/api/v1/customers/{cu.code}",
                {"notes": "edited"},
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, cu: _out(
                c.post(f"/customers/{cu.code}/edit", _customer_form(cu, notes="edited"))
            ),
        ),
        effect=lambda w, cu, role: Customer.objects.get(pk=cu.pk).notes == "edited",
    ),
    ("customers", "list"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: (lambda r: _out(r, _has(r, f'"{cu.code}"')))(
            c.get("/api/v1/customers?page_size=100")
        ),
        pages=(lambda w, c, cu: (lambda r: _out(r, _has(r, cu.code)))(c.get("/customers/")),),
        pool_target=True,
    ),
    ("customers", "read"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: _out(c.get(f"/api/v1/customers/{cu.code}")),
        pages=(lambda w, c, cu: _out(c.get(f"/customers/{cu.code}/")),),
        pool_target=True,
    ),
    ("customers", "claim"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        pages=(lambda w, c, cu: _out(c.post(f"/customers/{cu.code}/claim")),),
        effect=lambda w, cu, role: (
            Customer.objects.get(pk=cu.pk).owner_id == w.people[ACTORS[role]].pk
        ),
        # Claiming a customer someone owns is told on the page, like any other claim that fails.
        soft_refusal=frozenset({302}),
        pool_target=True,
    ),
    ("customers", "release"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        pages=(lambda w, c, cu: _out(c.post(f"/customers/{cu.code}/release")),),
        effect=lambda w, cu, role: Customer.objects.get(pk=cu.pk).owner_id is None,
    ),
    ("customers", "hand over"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        pages=(
            lambda w, c, cu: _out(
                c.post(f"/customers/{cu.code}/handover", {"to": _handover_to(cu), "note": ""})
            ),
        ),
        effect=lambda w, cu, role: (
            (Customer.objects.get(pk=cu.pk).owner or Person()).employee_no in ("R-A", "R-A2")
            and Customer.objects.get(pk=cu.pk).owner_id != cu.owner_id
        ),
    ),
    ("customers", "export"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: (lambda r: _out(r, _has(r, cu.code)))(
            c.get("/api/v1/customers/export?format=csv")
        ),
        pages=(
            lambda w, c, cu: (lambda r: _out(r, _has(r, cu.code)))(
                c.get("/customers/export/?format=csv")
            ),
        ),
        gated=True,
        pool_target=True,
    ),
    ("visits", "read"): Spec(
        "owned",
        _owner_row("visit"),
        ("visits", "read"),
        api=lambda w, c, v: (lambda r: _out(r, _has(r, str(v.id))))(
            c.get(f"/api/v1/visits?date={TODAY.isoformat()}")
        ),
    ),
    ("visits", "check-in"): Spec(
        "owned",
        _owner_row("customer"),
        ("customers", "read"),
        api=lambda w, c, cu: _out(
            c.post(
                "/api/v1/visits",
                {"id": str(uuid.uuid4()), "customer_code": cu.code, "lat": 30.25, "lon": 120.15},
                content_type="application/json",
            )
        ),
        pages=(lambda w, c, cu: _out(c.get(f"/field/checkin/?customer={cu.code}")),),
        pool_target=True,
    ),
    ("visits", "check-out"): Spec(
        "owned",
        _owner_row("visit"),
        ("visits", "read"),
        api=lambda w, c, v: _out(
            c.post(f"/api/v1/visits/{v.id}/checkout", {}, content_type="application/json")
        ),
        pages=(lambda w, c, v: _out(c.post(f"/field/checkin/{v.id}/checkout/", {})),),
        effect=lambda w, v, role: type(v).objects.get(pk=v.pk).checkout_at is not None,
    ),
    ("daily reports", "read"): Spec(
        "owned",
        _owner_row("report"),
        ("daily reports", "read"),
        api=lambda w, c, r: (lambda resp: _out(resp, _has(resp, f'"id": {r.pk},')))(
            c.get(f"/api/v1/daily-reports?date={TODAY.isoformat()}")
        ),
        pages=(lambda w, c, r: _out(c.get(f"/field/reports/{r.pk}/")),),
    ),
    ("daily reports", "file"): Spec(
        "owned",
        lambda w, t: None,
        ("daily reports", "read"),
        api=lambda w, c, _r: _out(
            c.post(
                "/api/v1/daily-reports",
                {"date": TODAY.isoformat(), "visited": "三家", "submit": True},
                content_type="application/json",
            )
        ),
        pages=(
            lambda w, c, _r: _out(
                c.post(
                    "/field/reports/mine/",
                    {"date": TODAY.isoformat(), "visited": "三家", "action": "file"},
                )
            ),
        ),
        self_only=True,
    ),
    ("daily reports", "comment"): Spec(
        "owned",
        _owner_row("report"),
        ("daily reports", "read"),
        pages=(lambda w, c, r: _out(c.post(f"/field/reports/{r.pk}/", {"text": "好"})),),
        effect=lambda w, r, role: r.comments.exists(),
    ),
    ("battle reports", "read"): Spec(
        "unit",
        _unit,
        ("battle reports", "read"),
        pages=(lambda w, c, u: _out(c.get(f"/broadcast/battle/{u.code}/")),),
    ),
    ("subscriptions", "read"): Spec(
        "unit",
        _unit,
        ("subscriptions", "read"),
        pages=(lambda w, c, u: _out(c.get(f"/broadcast/subscriptions/{u.code}/")),),
        gated=True,
    ),
    ("subscriptions", "edit"): Spec(
        "unit",
        _unit,
        ("subscriptions", "read"),
        pages=(
            lambda w, c, u: _out(
                c.post(
                    f"/broadcast/subscriptions/{u.code}/",
                    {"report": "battle", "channel": "email", "address": "boss@example.com"},
                )
            ),
        ),
        effect=lambda w, u, role: u.subscriptions.exists(),
        gated=True,
    ),
    ("lab", "read"): Spec(
        "unit",
        _unit,
        ("lab", "read"),
        pages=(lambda w, c, u: _out(c.get(f"/lab/efficiency/?unit={u.code}")),),
        gated=True,
    ),
    ("lab", "plan"): Spec(
        "unit",
        _unit,
        ("lab", "plan"),
        pages=(lambda w, c, u: _out(c.get(f"/lab/planner/?unit={u.code}")),),
        gated=True,
    ),
}

# --- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    resource: str
    action: str
    role: str
    which: str  # in, pool, out, refused, far
    surface: str  # api, page
    target: Target

    @property
    def id(self) -> str:
        return f"{self.resource}-{self.action}-{self.role}-{self.which}-{self.surface}".replace(
            " ", "_"
        )


def _target(spec: Spec, role: str, token: str, inside: bool) -> Target:
    if spec.kind == "unit":
        if token == "own" and inside:
            return Target(unit=HOME[ACTORS[role]])
        return Target(unit=(IN_UNIT if inside else OUT_UNIT)[token])
    if token == POOL and inside:
        return Target()
    if token == "own" and inside:
        return Target(owner=ACTORS[role])
    return Target(owner=(IN_OWNER if inside else OUT_OWNER)[token])


POOL_IN = {TEAM_POOL: "HZ1", SUBTREE_POOL: "HZ2"}  # for the HZ1 supervisor, the HZ manager
POOL_OUT = {TEAM_POOL: "HZ2", SUBTREE_POOL: "NJ1"}


def _pool_scope_cases(
    row: dict[str, Any], role: str, tokens: list[str]
) -> list[tuple[str, Target]]:
    """For a row limited to the caller's part of the open pool: a pool customer of a team inside
    it (allowed) and one outside it (refused; everyone sees the pool, so 403)."""
    if not any(SUBTREE_POOL in cell or TEAM_POOL in cell for cell in row["cells"].values()):
        return []
    scoped = next((t for t in tokens if t in POOL_IN), None)
    if scoped is not None:
        return [
            ("pool", Target(unit=POOL_IN[scoped], pool=True)),
            ("poolout", Target(unit=POOL_OUT[scoped], pool=True)),
        ]
    if "all" in tokens:
        return [("pool", Target(unit=FAR_UNIT, pool=True))]
    return [
        ("poolout", Target(unit=HOME[ACTORS[role]] if role != "admin" else FAR_UNIT, pool=True))
    ]


def build_cases() -> list[Case]:
    cases: list[Case] = []
    for (resource, action), row in MATRIX.items():
        spec = SPECS[(resource, action)]
        surfaces = [s for s, present in (("api", spec.api), ("page", spec.pages)) if present]
        for role in ROLES:
            tokens = row["cells"][role]
            planned: list[tuple[str, Target]] = []
            if tokens == [REFUSED]:
                read = MATRIX[spec.read]["cells"][role]
                near = next((t for t in read if t not in (REFUSED, POOL)), "own")
                planned.append(("refused", _target(spec, role, near, True)))
                far = Target(unit=FAR_UNIT) if spec.kind == "unit" else Target(owner=FAR_OWNER)
                planned.append(("far", far))
            else:
                main = next((t for t in tokens if t != POOL), POOL)
                if main == POOL or not spec.pool_target or POOL not in tokens:
                    planned.append(("in", _target(spec, role, main, True)))
                else:
                    planned.append(("in", _target(spec, role, main, True)))
                    planned.append(("pool", Target()))
                if main != "all" and not spec.self_only:
                    planned.append(("out", _target(spec, role, main, False)))
            planned += _pool_scope_cases(row, role, tokens)
            for which, target in planned:
                for surface in surfaces:
                    cases.append(Case(resource, action, role, which, surface, target))
    return cases


CASES = build_cases()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[c.id for c in CASES])


# --- the test --------------------------------------------------------------------------------


def _refusal(spec: Spec, role: str, target: Target) -> int:
    if spec.gated:
        return 404
    return 403 if in_scope(role, MATRIX[spec.read]["cells"][role], target) else 404


def test_matrix_cell(world: World, case: Case) -> None:
    spec = SPECS[(case.resource, case.action)]
    obj = spec.make(world, case.target)
    client = Client()
    client.force_login(world.people[ACTORS[case.role]])
    client.actor = ACTORS[case.role]  # type: ignore[attr-defined]
    calls = [spec.api] if case.surface == "api" else list(spec.pages)
    allowed = case.which in ("in", "pool")
    for call in calls:
        assert call is not None
        outcome = call(world, client, obj)
        assert not outcome.location.startswith("/login"), outcome
        assert outcome.status < 500, outcome
        if outcome.present is not None:
            # a list: the row is there when allowed, absent otherwise (a list never refuses)
            if allowed:
                assert outcome.status == 200 and outcome.present, outcome
            elif case.which in ("refused", "far") and spec.gated:
                assert outcome.status == 404, outcome
            else:
                assert outcome.status == 200 and not outcome.present, outcome
            continue
        if allowed:
            assert outcome.status in ALLOWED, outcome
        else:
            expected = _refusal(spec, case.role, case.target)
            assert outcome.status == expected or outcome.status in spec.soft_refusal, (
                f"expected {expected}",
                outcome,
            )
    if spec.effect is not None:
        happened = spec.effect(world, obj, case.role)
        assert happened == allowed, f"effect {'missing' if allowed else 'happened'}"


# --- the table itself -------------------------------------------------------------------------


def test_every_row_of_the_table_is_exercised() -> None:
    assert set(MATRIX) == set(SPECS)
    for key, row in MATRIX.items():
        spec = SPECS[key]
        assert (row["api"] != REFUSED) == (spec.api is not None), key
        assert (row["page"] != REFUSED) == bool(spec.pages), key
        for role, tokens in row["cells"].items():
            assert set(tokens) <= VOCABULARY, (key, role, tokens)


def test_cell_and_case_count() -> None:
    cells = len(MATRIX) * len(ROLES)
    print(f"\npermission matrix: {len(MATRIX)} rows, {cells} cells, {len(CASES)} cases")
    assert cells >= 100 and len(CASES) > 2 * cells
