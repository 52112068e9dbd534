"""The one-pass cascade (层层分解): a month's target from any unit down through every level to
every rep, previewed as a whole and saved as a whole.

``cascade_plan`` reads (the subtree, the reps active on the month's first day, the targets as
they stand, the base period's results) and works out every value with the pure
``allocation.cascade``; ``cascade_save`` writes a plan in one transaction. The page, the API and
``tiejun targets cascade`` all go through these two."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_record
from tiejun.errors import Forbidden, TiejunError
from tiejun.metrics import Metric
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.org.selectors import can_manage_unit
from tiejun.workdays import add_months, month_end, month_start

from . import allocation
from .allocation import CASCADE_METHODS, EVEN
from .bases import base_results
from .models import Target, TargetChange
from .services import ChildKey, _audit_id, _check_locked_change, _check_value, month_is_locked

ROUNDINGS = (Decimal("0.01"), Decimal(1), Decimal(100), Decimal(1000))
MAX_BASE_MONTHS = 12


def default_base(today: dt.date, months: int = 1) -> tuple[dt.date, dt.date]:
    """The last ``months`` complete months before ``today``: (first day, last day)."""
    end = month_start(today) - dt.timedelta(days=1)
    return add_months(month_start(end), -(months - 1)), end


def base_period(
    base: dt.date | None, *, months: int = 1, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The base period beginning with the month ``base`` (``months`` long), else the default.
    A period that has not ended before ``today`` is refused: a half-finished month would skew
    every share."""
    if not 1 <= months <= MAX_BASE_MONTHS:
        raise TiejunError(
            _("the base period is 1 to %(max)s months") % {"max": MAX_BASE_MONTHS}, field="base"
        )
    if base is None:
        return default_base(today, months)
    start = month_start(base)
    end = month_end(add_months(start, months - 1))
    if end >= today:
        raise TiejunError(
            _(
                "the base period %(start)s–%(end)s is not complete yet; choose a month that has "
                "ended (the last complete one is %(last)s)"
            )
            % {
                "start": f"{start:%Y-%m}",
                "end": f"{end:%Y-%m}",
                "last": f"{default_base(today)[0]:%Y-%m}",
            },
            field="base",
        )
    return start, end


@dataclass
class PlanNode:
    """One unit or rep of the cascade, with what it has and what it would get."""

    key: ChildKey
    code: str
    name: str
    depth: int
    parent: ChildKey | None
    unit_kind: str = ""
    current: Decimal | None = None
    base: Decimal = Decimal(0)
    base_share: Decimal | None = None  # of its siblings' base results
    value: Decimal = Decimal(0)
    pinned: bool = False
    children: list[ChildKey] = field(default_factory=list)
    children_sum: Decimal | None = None

    @property
    def scope(self) -> str:
        return self.key[0]

    @property
    def changed(self) -> bool:
        return self.current is None or self.current != self.value

    @property
    def gap(self) -> Decimal:
        """What the children leave unassigned (a level split by hand)."""
        if self.children_sum is None:
            return Decimal(0)
        return self.value - self.children_sum


@dataclass
class CascadePlan:
    root: Unit
    month: dt.date
    metric: Metric
    total: Decimal
    methods: list[str]
    rounding: Decimal
    base_start: dt.date
    base_end: dt.date
    nodes: list[PlanNode]
    skipped: list[Unit] = field(default_factory=list)
    level_kinds: list[str] = field(default_factory=list)

    @property
    def by_key(self) -> dict[ChildKey, PlanNode]:
        return {n.key: n for n in self.nodes}

    @property
    def people(self) -> list[PlanNode]:
        return [n for n in self.nodes if n.scope == "person"]

    @property
    def changed(self) -> list[PlanNode]:
        return [n for n in self.nodes if n.changed]

    @property
    def gaps(self) -> list[PlanNode]:
        return [n for n in self.nodes if n.gap]

    def to_json(self, *, dry_run: bool, written: bool) -> dict[str, Any]:
        m = self.metric
        by_key = self.by_key
        return {
            "unit": {"code": self.root.code, "name": self.root.name, "kind": self.root.kind},
            "month": f"{self.month:%Y-%m}",
            "metric": m.code,
            "total": m.to_json(self.total),
            "methods": self.methods,
            "round": m.to_json(self.rounding) if m.money else int(self.rounding),
            "base": {"from": f"{self.base_start:%Y-%m}", "to": f"{self.base_end:%Y-%m}"},
            "dry_run": dry_run,
            "written": written,
            "units": sum(1 for n in self.nodes if n.scope == "unit"),
            "people": len(self.people),
            "changed": len(self.changed),
            "targets": [
                {
                    "scope": n.scope,
                    "code": n.code,
                    "name": n.name,
                    "kind": n.unit_kind or "rep",
                    "depth": n.depth,
                    "parent": by_key[n.parent].code if n.parent else None,
                    "value": m.to_json(n.value),
                    "old_value": m.to_json(n.current),
                    "changed": n.changed,
                    "by_hand": n.pinned,
                    "base_result": m.to_json(n.base),
                    "base_share": (f"{n.base_share:.4f}" if n.base_share is not None else None),
                    "allocation_gap": m.to_json(n.gap) if n.children else None,
                }
                for n in self.nodes
            ],
            "skipped_units": [
                {"code": u.code, "name": u.name, "reason": "no active reps"} for u in self.skipped
            ],
        }


def _methods(methods: Sequence[str], levels: int) -> list[str]:
    chosen = [m or EVEN for m in methods] or [EVEN]
    for method in chosen:
        if method not in CASCADE_METHODS:
            raise TiejunError(
                _("unknown split method %(method)s; use even, share or hand") % {"method": method},
                field="method",
            )
    return [chosen[min(i, len(chosen) - 1)] for i in range(max(levels, 1))]


def _tree(
    unit: Unit, month: dt.date
) -> tuple[list[PlanNode], dict[ChildKey, list[ChildKey]], list[Unit]]:
    """``unit``'s subtree depth-first down to the reps active on ``month``'s first day (two
    queries): the nodes, each node's children, and the units skipped for having no rep."""
    units = {
        u.pk: u
        for u in Unit.objects.filter(
            pk__in=UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
        ).only("id", "code", "name", "kind", "parent_id", "sort")
    }
    units[unit.pk] = unit
    team_ids = [pk for pk, u in units.items() if u.kind == UnitKind.TEAM]
    reps: dict[int, list[Person]] = defaultdict(list)
    for ms in (
        Membership.objects.on(month)
        .filter(unit_id__in=team_ids, role=Role.REP, person__is_active=True)
        .select_related("person")
        .order_by("person__employee_no")
    ):
        reps[ms.unit_id].append(ms.person)
    kids: dict[int, list[Unit]] = defaultdict(list)
    for u in units.values():
        if u.parent_id in units and u.pk != unit.pk:
            kids[u.parent_id].append(u)  # type: ignore[index]
    for children in kids.values():
        children.sort(key=lambda u: (u.sort, u.code))

    rep_count: dict[int, int] = {}

    def count(unit_id: int) -> int:
        n = len(reps.get(unit_id, [])) + sum(count(c.pk) for c in kids.get(unit_id, []))
        rep_count[unit_id] = n
        return n

    if count(unit.pk) == 0:
        raise TiejunError(
            _("%(unit)s has no active reps on %(day)s to give a target to")
            % {"unit": unit.name, "day": month.isoformat()},
            field="unit",
        )
    skipped = [units[pk] for pk, n in rep_count.items() if n == 0]

    nodes: list[PlanNode] = []
    tree: dict[ChildKey, list[ChildKey]] = {}

    def walk(u: Unit, depth: int, parent: ChildKey | None) -> None:
        key: ChildKey = ("unit", u.pk)
        node = PlanNode(key, u.code, u.name, depth, parent, unit_kind=u.kind)
        nodes.append(node)
        for child in kids.get(u.pk, []):
            if rep_count.get(child.pk):
                node.children.append(("unit", child.pk))
                walk(child, depth + 1, key)
        for person in reps.get(u.pk, []):
            pkey: ChildKey = ("person", person.pk)
            node.children.append(pkey)
            nodes.append(PlanNode(pkey, person.employee_no, person.name, depth + 1, key))
        tree[key] = node.children

    walk(unit, 0, None)
    return nodes, tree, skipped


def _sums_and_shares(nodes: list[PlanNode], by_key: dict[ChildKey, PlanNode]) -> None:
    """Each parent's children's sum, and each child's share of its siblings' base results."""
    for node in nodes:
        if node.children:
            node.children_sum = sum((by_key[k].value for k in node.children), Decimal(0))
            siblings_base = sum((by_key[k].base for k in node.children), Decimal(0))
            for k in node.children:
                by_key[k].base_share = by_key[k].base / siblings_base if siblings_base else None


def cascade_plan(
    *,
    unit: Unit,
    month: dt.date,
    metric: str,
    total: Decimal,
    methods: Sequence[str] = (EVEN,),
    base: dt.date | None = None,
    base_months: int = 1,
    rounding: Decimal = Decimal(1),
    pinned: Mapping[ChildKey, Decimal] | None = None,
    today: dt.date | None = None,
) -> CascadePlan:
    """What a cascade of ``total`` from ``unit`` would give every unit and rep below it; nothing
    is written. ``methods`` is per level (the last repeats), ``pinned`` the cells typed by hand
    (kept whatever the method). Units with no active rep on the month's first day are skipped,
    and only active reps get a target. Five queries, whatever the size of the subtree."""
    today = today or timezone.localdate()
    m = get_metric(metric)
    month = month_start(month)
    total = _check_value(m.code, Decimal(total))
    step = Decimal("0.01") if m.money else Decimal(1)
    rounding = Decimal(rounding)
    if rounding not in ROUNDINGS or (not m.money and rounding < 1):
        raise TiejunError(
            _("round to 1, 100 or 1000 (or 0.01 for money)"),
            field="round",
        )
    start, end = base_period(base, months=base_months, today=today)

    nodes, tree, skipped = _tree(unit, month)
    by_key = {n.key: n for n in nodes}
    unit_ids = [pk for kind, pk in by_key if kind == "unit"]
    person_ids = [pk for kind, pk in by_key if kind == "person"]
    current: dict[ChildKey, Decimal] = {}
    for unit_id, person_id, value in Target.objects.filter(
        Q(unit_id__in=unit_ids) | Q(person_id__in=person_ids), month=month, metric=m.code
    ).values_list("unit_id", "person_id", "value"):
        current[("unit", unit_id) if unit_id else ("person", person_id)] = value
    unit_base, person_base = base_results(m.code, start, end, unit_ids, person_ids)
    base_of = {
        key: (unit_base if key[0] == "unit" else person_base).get(key[1], Decimal(0))
        for key in by_key
    }
    levels = max(n.depth for n in nodes)
    chosen = _methods(methods, levels)
    pins = {k: m.quantize(_check_value(m.code, Decimal(v))) for k, v in (pinned or {}).items()}
    pins = {k: v for k, v in pins.items() if k in by_key and k != ("unit", unit.pk)}
    values = allocation.cascade(
        root=("unit", unit.pk),
        total=total,
        children=tree,
        methods=chosen,
        base=base_of,
        step=step,
        unit=rounding,
        pinned=pins,
        current=current,
    )
    for node in nodes:
        node.current = current.get(node.key)
        node.base = base_of[node.key]
        node.value = m.quantize(values[node.key])
        node.pinned = node.key in pins
    _sums_and_shares(nodes, by_key)
    level_kinds = [
        "/".join(sorted({n.unit_kind or "rep" for n in nodes if n.depth == depth}))
        for depth in range(1, levels + 1)
    ]
    return CascadePlan(
        root=unit,
        month=month,
        metric=m,
        total=total,
        methods=chosen,
        rounding=rounding,
        base_start=start,
        base_end=end,
        nodes=nodes,
        skipped=skipped,
        level_kinds=level_kinds,
    )


def cascade_levels(unit: Unit, month: dt.date) -> list[str]:
    """The levels below ``unit`` a cascade goes through, as the kinds at each depth ("branch",
    "team", "rep", or "rep/team" where both sit at one depth): one query."""
    by_depth: dict[int, set[str]] = defaultdict(set)
    for depth, kind in (
        UnitClosure.objects.filter(ancestor=unit)
        .values_list("depth", "descendant__kind")
        .distinct()
    ):
        if depth:
            by_depth[depth].add(kind)
        if kind == UnitKind.TEAM:
            by_depth[depth + 1].add("rep")
    return ["/".join(sorted(by_depth[d])) for d in sorted(by_depth)]


def _check_may_cascade(plan: CascadePlan, by: Person | None) -> None:
    if by is not None and not can_manage_unit(by, plan.root):
        raise Forbidden(_("you may not set targets for %(unit)s") % {"unit": plan.root.name})


@dataclass
class CascadeSaved:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def cascade_save(
    *,
    plan: CascadePlan,
    by: Person | None,
    reason: str = "",
    today: dt.date | None = None,
) -> CascadeSaved:
    """Write every target of ``plan`` at once, all or nothing, each change in the target's own
    trail and the audit trail. In a locked month the cascade is a change to the root's target:
    it needs a reason and someone above the root (never its own head)."""
    _check_may_cascade(plan, by)
    month, m = plan.month, plan.metric
    reason = reason.strip()
    unit_ids = [pk for kind, pk in plan.by_key if kind == "unit"]
    person_ids = [pk for kind, pk in plan.by_key if kind == "person"]
    existing = {
        (("unit", t.unit_id) if t.unit_id else ("person", t.person_id)): t
        for t in Target.objects.select_for_update().filter(
            Q(unit_id__in=unit_ids) | Q(person_id__in=person_ids), month=month, metric=m.code
        )
    }
    locked = month_is_locked(month, today)
    changing = [n for n in plan.nodes if n.key not in existing or existing[n.key].value != n.value]
    if locked and any(n.key in existing for n in changing):
        _check_locked_change(
            month=month, unit=plan.root, person=None, by=by, reason=reason, today=today
        )
    units = Unit.objects.in_bulk(unit_ids)
    people = Person.objects.in_bulk(person_ids)
    new_rows: list[Target] = []
    updated_rows: list[Target] = []
    changes: list[TargetChange] = []
    with audit_batch():
        for node in changing:
            owner: dict[str, Any] = (
                {"unit": units[node.key[1]]}
                if node.scope == "unit"
                else {"person": people[node.key[1]]}
            )
            old = existing[node.key].value if node.key in existing else None
            if old is None:
                new_rows.append(Target(month=month, metric=m.code, value=node.value, **owner))
            else:
                target = existing[node.key]
                target.value = node.value
                updated_rows.append(target)
            changes.append(
                TargetChange(
                    month=month,
                    metric=m.code,
                    old_value=old,
                    new_value=node.value,
                    locked=locked,
                    reason=reason,
                    changed_by=by,
                    **owner,
                )
            )
            audit_record(
                action="create" if old is None else "update",
                object_type="target",
                object_id=_audit_id(month, m.code, owner.get("unit"), owner.get("person")),
                object_repr=f"{node.name} {month:%Y-%m} {m.code}",
                before={"value": old} if old is not None else None,
                after={"value": node.value, "cascade": plan.root.code},
                reason=reason,
                actor=by,
            )
        Target.objects.bulk_create(new_rows, batch_size=1000)
        now = timezone.now()
        for target in updated_rows:
            target.updated_at = now
        Target.objects.bulk_update(updated_rows, ["value", "updated_at"], batch_size=1000)
        TargetChange.objects.bulk_create(changes, batch_size=1000)
        audit_record(
            action="cascade",
            object_type="target",
            object_id=_audit_id(month, m.code, plan.root, None),
            object_repr=f"{plan.root.name} {month:%Y-%m} {m.code}",
            after={
                "total": plan.total,
                "methods": plan.methods,
                "round": plan.rounding,
                "base": f"{plan.base_start:%Y-%m}..{plan.base_end:%Y-%m}",
                "units": len(unit_ids),
                "people": len(person_ids),
                "changed": len(changing),
                "by_hand": [n.code for n in plan.nodes if n.pinned],
            },
            reason=reason,
            actor=by,
        )
    return CascadeSaved(
        created=len(new_rows),
        updated=len(updated_rows),
        unchanged=len(plan.nodes) - len(changing),
    )
