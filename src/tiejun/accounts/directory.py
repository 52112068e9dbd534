"""``directory_sync``: make the org match a platform's directory.

Departments become units (a new unit's code is ``WX-<id>``, ``DD-<id>`` or ``FS-<id>``), their
kind by depth (``--kinds``; deeper departments fold into the team above them); members become
people (a new person's employee number is the platform's job number, else its user id) in the
unit of their main department, as a rep (a coordinator outside a team); a department's leader
becomes its supervisor (a team) or manager (above). Moves take effect today through the org's
move service, so history is kept. People linked to the platform who are no longer listed are
deactivated and their customers handed over. A unit or person edited in Tiejun since the last
sync is held back unless ``force``. The directory is read in full before anything is written;
the writes are one transaction, audited.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.crm.services.ownership import customers_reassign_leaver
from tiejun.errors import TiejunError
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.models import Membership, Person, Role, Unit, UnitKind
from tiejun.org.services import (
    membership_move_checked,
    person_create,
    person_deactivate_checked,
    person_update,
    unit_create,
    unit_update,
)

from .models import UNIT_PREFIX, ExternalDepartment, ExternalIdentity, Platform
from .providers import Directory, Member, client_for
from .selectors import mainland_mobile

KIND_ORDER: list[str] = [
    k.value for k in (UnitKind.COMPANY, UnitKind.REGION, UnitKind.BRANCH, UnitKind.TEAM)
]
CODE_MAX = 32


@dataclass
class Change:
    """One line of the diff. ``held`` says why it is not applied (it is shown, not written)."""

    action: str
    key: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    held: str = ""


@dataclass
class SyncResult:
    platform: str
    dry_run: bool
    changes: list[Change]

    def summary(self) -> dict[str, int]:
        return dict(Counter(c.action for c in self.changes if not c.held))

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "held": sum(1 for c in self.changes if c.held),
            "changes": [asdict(c) for c in self.changes],
        }


def parse_kinds(text: str) -> list[str]:
    """``company,region,branch,team`` or a shorter run of them ending at ``team``."""
    kinds = [k.strip().lower() for k in (text or "").split(",") if k.strip()]
    start = KIND_ORDER.index(kinds[0]) if kinds and kinds[0] in KIND_ORDER else -1
    if start < 0 or kinds != KIND_ORDER[start:]:
        raise TiejunError(
            _(
                "--kinds must be consecutive unit kinds ending at team (company,region,branch,"
                "team; region,branch,team; branch,team; team), not %(kinds)s"
            )
            % {"kinds": text},
            field="kinds",
        )
    return kinds


def unit_code(platform: str, dept_id: str) -> str:
    code = f"{UNIT_PREFIX[Platform(platform)]}-{dept_id}"
    if len(code) <= CODE_MAX:
        return code
    digest = hashlib.sha256(dept_id.encode()).hexdigest()[:16]
    return f"{UNIT_PREFIX[Platform(platform)]}-{digest}"


@dataclass
class _Place:
    dept_id: str
    kind: str
    depth: int
    parent_id: str | None
    name: str


def _places(directory: Directory, kinds: list[str]) -> tuple[dict[str, _Place], dict[str, str]]:
    """The departments that become units (by id) and, for every department under the root, the
    id of the unit department it belongs to (itself, or the team it folds into)."""
    children: dict[str | None, list[Any]] = {}
    for d in directory.departments:
        children.setdefault(d.parent_id if d.id != directory.root else None, []).append(d)
    root = next((d for d in directory.departments if d.id == directory.root), None)
    if root is None:
        raise TiejunError(_("department %(id)s is not in the directory") % {"id": directory.root})
    places: dict[str, _Place] = {}
    home: dict[str, str] = {}
    stack: list[tuple[Any, int, str | None]] = [(root, 0, None)]
    while stack:
        dept, depth, unit_parent = stack.pop()
        if depth < len(kinds):
            places[dept.id] = _Place(dept.id, kinds[depth], depth, unit_parent, dept.name)
            home[dept.id] = dept.id
            below = dept.id
        else:
            home[dept.id] = home[dept.parent_id]
            below = unit_parent
        for child in sorted(children.get(dept.id, []), key=lambda d: (d.order, d.id)):
            stack.append((child, depth + 1, below))
    return places, home


class _Planner:
    def __init__(self, platform: str, directory: Directory, kinds: list[str], force: bool):
        self.platform, self.directory, self.kinds, self.force = platform, directory, kinds, force
        self.today = timezone.localdate()
        self.changes: list[Change] = []
        self.places, self.home = _places(directory, kinds)
        self.dept_links = {
            link.external_id: link
            for link in ExternalDepartment.objects.filter(platform=platform).select_related("unit")
        }
        self.person_links = {
            link.external_id: link
            for link in ExternalIdentity.objects.filter(platform=platform).select_related("person")
        }
        self.unit_of: dict[str, Unit | None] = {}  # dept id → unit (None: created by the run)
        self.new_numbers: set[str] = set()

    def add(self, action: str, key: str, target: str, held: str = "", **detail: Any) -> Change:
        change = Change(action, key, target, detail, held)
        self.changes.append(change)
        return change

    # -- units --

    def plan_units(self) -> None:
        for place in sorted(self.places.values(), key=lambda p: p.depth):
            link = self.dept_links.get(place.dept_id)
            if link is not None:
                self.unit_of[place.dept_id] = link.unit
                self._plan_linked_unit(place, link)
                continue
            code = unit_code(self.platform, place.dept_id)
            unit = Unit.objects.filter(code=code).first()
            if unit is None and place.depth == 0 and place.kind == UnitKind.COMPANY:
                unit = Unit.objects.filter(parent__isnull=True).first()
            if unit is not None:
                self.unit_of[place.dept_id] = unit
                self.add("unit.link", place.dept_id, unit.code, name=place.name)
                if unit.name != place.name:
                    self.add(
                        "unit.rename", place.dept_id, unit.code, before=unit.name, after=place.name
                    )
                continue
            parent_code = self._parent_code(place)
            self.unit_of[place.dept_id] = None
            self.add(
                "unit.create",
                place.dept_id,
                code,
                name=place.name,
                kind=place.kind,
                parent=parent_code,
            )

    def _parent_code(self, place: _Place) -> str | None:
        if place.parent_id is not None:
            parent = self.unit_of.get(place.parent_id)
            return parent.code if parent is not None else unit_code(self.platform, place.parent_id)
        if place.kind == UnitKind.COMPANY:
            return None
        if place.kind == UnitKind.REGION:
            company = Unit.objects.filter(parent__isnull=True).first()
            if company is not None:
                return company.code
        raise TiejunError(
            _(
                "The top department %(id)s would be a new %(kind)s with nothing above it: start "
                "--kinds at company or region, or sync from a higher --root."
            )
            % {"id": place.dept_id, "kind": place.kind},
            field="kinds",
        )

    def _plan_linked_unit(self, place: _Place, link: ExternalDepartment) -> None:
        unit = link.unit
        if unit.kind != place.kind:
            self.add(
                "unit.kind",
                place.dept_id,
                unit.code,
                held=_("a change of kind is a reorganisation: made by hand"),
                before=unit.kind,
                after=place.kind,
            )
        if unit.name != place.name:
            hand = link.synced.get("name") not in (None, unit.name)
            self.add(
                "unit.rename",
                place.dept_id,
                unit.code,
                held=self._hand_edit(hand),
                before=unit.name,
                after=place.name,
            )

    def _hand_edit(self, edited: bool) -> str:
        if edited and not self.force:
            return _("changed by hand in Tiejun; --force overwrites")
        return ""

    # -- people --

    def _match(self, member: Member, employee_no: str) -> Person | None:
        link = self.person_links.get(member.user_id)
        if link is not None:
            return link.person
        query = Q(employee_no=employee_no)
        found = list(Person.objects.filter(query))
        if not found and member.mobile:
            wanted = mainland_mobile(member.mobile)
            found = [
                p
                for p in Person.objects.filter(phone__endswith=wanted[-4:])
                if mainland_mobile(p.phone) == wanted
            ]
        if not found and member.email:
            found = list(Person.objects.filter(~Q(email=""), email__iexact=member.email))
        linked = {link.person_id for link in self.person_links.values()}
        found = [p for p in found if p.pk not in linked]
        return found[0] if len(found) == 1 else None

    def _placement(self, member: Member) -> tuple[str, str] | None:
        """(department id of the unit, role) or None when no department is under the root."""
        led = sorted(
            (self.places[d] for d in member.leads if d in self.places),
            key=lambda p: p.depth,
        )
        if led:
            place = led[0]
            return place.dept_id, Role.SUPERVISOR if place.kind == UnitKind.TEAM else Role.MANAGER
        for dept in member.departments:
            if dept in self.home:
                place = self.places[self.home[dept]]
                return place.dept_id, Role.REP if place.kind == UnitKind.TEAM else Role.COORDINATOR
        return None

    def plan_people(self) -> set[str]:
        listed: set[str] = set()
        for member in sorted(self.directory.members, key=lambda m: m.user_id):
            placed = self._placement(member)
            if placed is None or not member.active:
                continue
            listed.add(member.user_id)
            dept_id, role = placed
            employee_no = member.job_number or member.user_id
            person = self._match(member, employee_no)
            if person is None:
                self._plan_new(member, employee_no, dept_id, role)
            else:
                self._plan_existing(member, person, dept_id, role)
        return listed

    def _unit_code(self, dept_id: str) -> str:
        unit = self.unit_of.get(dept_id)
        return unit.code if unit is not None else unit_code(self.platform, dept_id)

    def _plan_new(self, member: Member, employee_no: str, dept_id: str, role: str) -> None:
        held = ""
        if len(employee_no) > 32:
            held = _("the user id is longer than an employee number (32)")
        elif (
            employee_no in self.new_numbers
            or Person.objects.filter(employee_no=employee_no).exists()
        ):
            held = _("employee number %(no)s is taken by someone else") % {"no": employee_no}
        self.new_numbers.add(employee_no)
        self.add(
            "person.create",
            member.user_id,
            employee_no,
            held=held,
            name=member.name,
            email=member.email,
            phone=member.mobile,
            unit=self._unit_code(dept_id),
            role=role,
        )

    def _plan_existing(self, member: Member, person: Person, dept_id: str, role: str) -> None:
        link = self.person_links.get(member.user_id)
        synced = link.synced if link is not None else {}
        if link is None:
            self.add("person.link", member.user_id, person.employee_no, name=person.name)
        if not person.is_active:
            self.add(
                "person.reactivate",
                member.user_id,
                person.employee_no,
                held=_("deactivated in Tiejun: reactivate by hand"),
            )
            return
        wanted = {"name": member.name, "email": member.email, "phone": member.mobile}
        current = {"name": person.name, "email": person.email, "phone": person.phone}
        changed = {k: v for k, v in wanted.items() if v and v != current[k]}
        if changed:
            hand = any(synced.get(k) not in (None, current[k]) for k in changed)
            self.add(
                "person.update",
                member.user_id,
                person.employee_no,
                held=self._hand_edit(hand),
                before={k: current[k] for k in changed},
                after=changed,
            )
        self._plan_move(member, person, synced, dept_id, role)

    def _plan_move(
        self, member: Member, person: Person, synced: dict[str, Any], dept_id: str, role: str
    ) -> None:
        membership = (
            Membership.objects.on(self.today).filter(person=person).select_related("unit").first()
        )
        target = self.unit_of.get(dept_id)
        if membership is None or membership.role == Role.ADMIN:
            return  # the platform knows nothing of administrators
        if membership.role == Role.COORDINATOR and role in (Role.REP, Role.COORDINATOR):
            role = Role.COORDINATOR
        if target is not None and (membership.unit_id, membership.role) == (target.pk, role):
            return
        hand = synced.get("unit") not in (None, membership.unit.code) or synced.get("role") not in (
            None,
            membership.role,
        )
        held = self._hand_edit(hand)
        if not held and membership.valid_from >= self.today:
            held = _("already moved today; the next sync moves them")
        self.add(
            "person.move",
            member.user_id,
            person.employee_no,
            held=held,
            before={"unit": membership.unit.code, "role": membership.role},
            after={"unit": self._unit_code(dept_id), "role": role},
        )

    def plan_leavers(self, listed: set[str]) -> None:
        synced_units = {u.pk for u in self.unit_of.values() if u is not None}
        for user_id, link in sorted(self.person_links.items()):
            person = link.person
            if user_id in listed or not person.is_active:
                continue
            membership = Membership.objects.on(self.today).filter(person=person).first()
            if membership is None or membership.unit_id not in synced_units:
                continue  # outside the part of the tree this run reads
            self.add("person.deactivate", user_id, person.employee_no, name=person.name)


def directory_plan(
    platform: str, directory: Directory, *, kinds: list[str], force: bool = False
) -> tuple[_Planner, list[Change]]:
    planner = _Planner(platform, directory, kinds, force)
    planner.plan_units()
    listed = planner.plan_people()
    planner.plan_leavers(listed)
    return planner, planner.changes


class _Applier:
    def __init__(self, planner: _Planner, directory: Directory, *, confirm: bool = False) -> None:
        self.p = planner
        self.platform = planner.platform
        self.members = {m.user_id: m for m in directory.members}
        self.now = timezone.now()
        self.confirm = confirm

    def unit(self, code: str) -> Unit:
        return Unit.objects.get(code=code)

    def apply(self, change: Change) -> None:
        getattr(self, "_" + change.action.replace(".", "_"))(change)

    def _unit_create(self, c: Change) -> None:
        parent = self.unit(c.detail["parent"]) if c.detail["parent"] else None
        unit = unit_create(
            code=c.target, name=c.detail["name"], kind=c.detail["kind"], parent=parent
        )
        self.p.unit_of[c.key] = unit
        self._link_unit(c.key, unit)

    def _unit_link(self, c: Change) -> None:
        self._link_unit(c.key, self.unit(c.target))

    def _unit_rename(self, c: Change) -> None:
        unit = unit_update(unit=self.unit(c.target), name=c.detail["after"])
        self._link_unit(c.key, unit)

    def _link_unit(self, dept_id: str, unit: Unit) -> None:
        ExternalDepartment.objects.update_or_create(
            platform=self.platform,
            external_id=dept_id,
            defaults={"unit": unit, "synced": {"name": unit.name}, "synced_at": self.now},
        )

    def _person_create(self, c: Change) -> None:
        person = person_create(
            employee_no=c.target,
            name=c.detail["name"],
            unit=self.unit(c.detail["unit"]),
            role=c.detail["role"],
            start_date=self.p.today,
            email=c.detail["email"],
            phone=c.detail["phone"],
        )
        self._link_person(c.key, person)

    def _person_link(self, c: Change) -> None:
        self._link_person(c.key, Person.objects.get(employee_no=c.target))

    def _person_update(self, c: Change) -> None:
        person = Person.objects.get(employee_no=c.target)
        fields = {"name": person.name, "email": person.email, "phone": person.phone}
        person_update(person=person, **{**fields, **c.detail["after"]})
        self._link_person(c.key, person)

    def _person_move(self, c: Change) -> None:
        """The org's move checks apply: a move with warnings is held (and listed with them)
        unless the sync is confirmed (``--confirm``), as a page or an import would ask."""
        person = Person.objects.get(employee_no=c.target)
        try:
            _membership, warnings = membership_move_checked(
                person=person,
                effective=self.p.today,
                unit=self.unit(c.detail["after"]["unit"]),
                role=c.detail["after"]["role"],
                confirm=self.confirm,
            )
        except MoveNeedsConfirmation as refused:
            c.detail["warnings"] = [w.as_json() for w in refused.warnings]
            c.held = self._held_for(refused)
            return
        if warnings:
            c.detail["warnings"] = [w.as_json() for w in warnings]
        self._link_person(c.key, person)

    def _person_deactivate(self, c: Change) -> None:
        """A leaver goes through the move checks for leavers (a milestone they would forfeit):
        held with its warnings, as a move is, unless the sync is confirmed and the choice made."""
        person = Person.objects.get(employee_no=c.target)
        try:
            person_deactivate_checked(person=person, confirm=self.confirm, today=self.p.today)
        except MoveNeedsConfirmation as refused:
            c.detail["warnings"] = [w.as_json() for w in refused.warnings]
            c.held = self._held_for(refused)
            return
        c.detail["customers_handed_over"] = customers_reassign_leaver(
            person=person, effective=self.p.today
        )

    def _held_for(self, refused: MoveNeedsConfirmation) -> str:
        """Why a move or a leaver is held: unconfirmed warnings (``--confirm`` applies them), or,
        when confirmed, a warning that needs a choice the sync cannot make (a milestone the move
        would forfeit: postpone, exception or go ahead), made on the person's page, over the API
        or with ``tiejun person deactivate --choice``."""
        warnings = "; ".join(w.message for w in refused.warnings)
        if not self.confirm:
            return _("warnings, run with --confirm to apply: %(warnings)s") % {"warnings": warnings}
        return _(
            "needs a choice the sync cannot make (%(options)s): make it on the person's page, "
            "over the API or with `tiejun person deactivate --choice KEY=OPTION`: %(warnings)s"
        ) % {
            "options": "; ".join(
                f"{w.code}: {'/'.join(w.options)}" for w in refused.warnings if w.options
            ),
            "warnings": warnings,
        }

    def _link_person(self, user_id: str, person: Person) -> None:
        membership = (
            Membership.objects.on(self.p.today).filter(person=person).select_related("unit").first()
        )
        synced = {"name": person.name, "email": person.email, "phone": person.phone}
        if membership is not None:
            synced.update(unit=membership.unit.code, role=membership.role)
        ExternalIdentity.objects.update_or_create(
            platform=self.platform,
            external_id=user_id,
            defaults={"person": person, "synced": synced, "synced_at": self.now},
        )


def directory_sync(
    *,
    platform: str,
    dry_run: bool = False,
    root: str | None = None,
    kinds: str = "company,region,branch,team",
    force: bool = False,
    confirm: bool = False,
) -> SyncResult:
    """Read the platform's directory, then (unless ``dry_run``) apply the diff in one
    transaction. A platform error (``PlatformError``) or a refused write (``TiejunError``)
    leaves the org as it was. A move the org's checks warn about (a unit left without its head,
    two heads, a next-month target, customers to hand over, …) is held with its warnings unless
    ``confirm``; a dry run applies the diff and rolls it back, so that it lists them too."""
    kind_list = parse_kinds(kinds)
    client = client_for(platform)
    directory = client.directory(root)
    planner, changes = directory_plan(platform, directory, kinds=kind_list, force=force)
    result = SyncResult(platform, dry_run, changes)
    with transaction.atomic():
        applier = _Applier(planner, directory, confirm=confirm)
        for change in changes:
            if not change.held:
                applier.apply(change)
        if dry_run:
            transaction.set_rollback(True)
            return result
        summary = result.summary()
        audit_record(
            action="sync",
            object_type="directory",
            object_id=platform,
            object_repr=str(Platform(platform).label),
            after={"root": directory.root, **summary, "held": len(changes) - sum(summary.values())},
        )
    return result
