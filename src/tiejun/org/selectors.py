"""Reads of the org tree and memberships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, CharField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.errors import NotFound
from tiejun.workdays import COMPANY, STATUTORY, WEEKDAYS, WorkCalendar, covered_years

from .models import (
    LEADER_ROLES,
    ApiToken,
    Membership,
    Person,
    Role,
    StatutoryDay,
    Unit,
    UnitClosure,
    UnitKind,
    WorkdayOverride,
)


def work_calendar() -> WorkCalendar:
    """The statutory calendar with this company's loaded years and overrides (one query)."""
    text = CharField()
    overrides = (
        WorkdayOverride.objects.order_by()
        .annotate(origin=Value("override", output_field=text))
        .values_list("date", "is_workday", "origin")
    )
    statutory = (
        StatutoryDay.objects.order_by()
        .annotate(
            origin=Case(
                When(provisional=True, then=Value("provisional")),
                default=Value("company"),
                output_field=text,
            )
        )
        .values_list("date", "is_workday", "origin")
    )
    company: dict[dt.date, bool] = {}
    days: dict[dt.date, bool] = {}
    loaded: set[int] = set()
    for day, is_workday, origin in overrides.union(statutory, all=True):
        if origin == "override":
            company[day] = is_workday
        else:
            days[day] = is_workday
            if origin == "company":
                loaded.add(day.year)
    return WorkCalendar(company, days, frozenset(loaded))


def calendar_source(year: int) -> str:
    """``company`` when the company loaded ``year``, else ``statutory`` when the package covers
    it, else ``weekdays``."""
    if StatutoryDay.objects.filter(date__year=year, provisional=False).exists():
        return COMPANY
    return STATUTORY if year in covered_years() else WEEKDAYS


@dataclass(frozen=True)
class CalendarWarning:
    """A year whose statutory holidays are not loaded: its pages count Monday to Friday."""

    year: int
    provisional: bool  # an admin accepted computed holidays for it (still no make-up days)

    @property
    def message(self) -> str:
        if self.provisional:
            return _(
                "%(year)d's statutory holidays are not loaded: counting Monday to Friday and "
                "the provisional holidays, without make-up days"
            ) % {"year": self.year}
        return _("%(year)d's statutory holidays are not loaded: counting Monday to Friday") % {
            "year": self.year
        }


def calendar_warning(year: int) -> CalendarWarning | None:
    """The warning the pages of a month in ``year`` show, or None; no query for a year the
    statutory package covers."""
    if year in covered_years():
        return None
    kinds = set(StatutoryDay.objects.filter(date__year=year).values_list("provisional", flat=True))
    if False in kinds:
        return None
    return CalendarWarning(year=year, provisional=True in kinds)


def calendar_warning_text(year: int) -> str:
    warning = calendar_warning(year)
    return warning.message if warning is not None else ""


def unit_by_code(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist:
        raise NotFound(f"unknown unit {code!r}", field="unit_code") from None


def person_by_employee_no(employee_no: str) -> Person:
    try:
        return Person.objects.get(employee_no=employee_no)
    except Person.DoesNotExist:
        raise NotFound(f"unknown employee {employee_no!r}", field="employee_no") from None


def subtree_ids(unit: Unit | int) -> QuerySet[UnitClosure, int]:
    """A subquery of the ids of ``unit`` and everything under it."""
    return UnitClosure.objects.filter(ancestor=unit).values_list("descendant_id", flat=True)


def ancestors(unit: Unit) -> list[Unit]:
    """From the root down to ``unit`` itself."""
    links = (
        UnitClosure.objects.filter(descendant=unit).select_related("ancestor").order_by("-depth")
    )
    return [link.ancestor for link in links]


def membership_on(person: Person | int, day: dt.date) -> Membership | None:
    person_id = person if isinstance(person, int) else person.pk
    return Membership.objects.on(day).filter(person_id=person_id).select_related("unit").first()


def person_history(person: Person) -> list[Membership]:
    return list(
        person.memberships.select_related("unit", "unit__parent", "created_by").order_by(
            "-valid_from"
        )
    )


def unit_members_on(unit: Unit, day: dt.date) -> QuerySet[Membership]:
    return Membership.objects.on(day).filter(unit=unit).select_related("person")


@dataclass(frozen=True)
class TreeNode:
    unit: Unit
    depth: int
    headcount: int


def unit_tree(root: Unit, day: dt.date) -> list[TreeNode]:
    """The subtree of ``root`` depth-first, with the headcount of each unit on ``day``: 3 queries."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=subtree_ids(root))}
    from django.db.models import Count

    counts = dict(
        Membership.objects.on(day)
        .filter(unit_id__in=units)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    children: dict[int | None, list[Unit]] = {}
    for u in units.values():
        children.setdefault(u.parent_id, []).append(u)
    for kids in children.values():
        kids.sort(key=lambda u: (u.sort, u.code))
    nodes: list[TreeNode] = []

    def walk(unit: Unit, depth: int) -> None:
        nodes.append(TreeNode(unit, depth, counts.get(unit.pk, 0)))
        for child in children.get(unit.pk, []):
            walk(child, depth + 1)

    walk(root, 0)
    return nodes


def _branch_of(unit: Unit) -> Unit:
    """The branch above a team (or the unit itself when it is a branch or higher)."""
    if unit.kind != UnitKind.TEAM:
        return unit
    return unit.parent or unit


def board_roots(person: Person, day: dt.date | None = None) -> list[Unit]:
    """The units whose boards ``person`` may see, each with its whole subtree.

    Everyone sees the subtree of their own branch (the board is on the office wall); a manager
    or supervisor sees the subtree of the unit they lead; admin sees the company.
    """
    day = day or timezone.localdate()
    if not person.is_authenticated:
        return []
    if is_admin(person):
        return list(Unit.objects.filter(parent__isnull=True))
    membership = membership_on(person, day)
    if membership is None:
        return []
    unit = membership.unit
    if membership.role in LEADER_ROLES | {Role.COORDINATOR} and unit.kind != UnitKind.TEAM:
        return [unit]
    return [_branch_of(unit)]


def visible_unit_ids(person: Person, day: dt.date | None = None) -> set[int]:
    roots = board_roots(person, day)
    if not roots:
        return set()
    return set(
        UnitClosure.objects.filter(ancestor__in=roots).values_list("descendant_id", flat=True)
    )


def access_unit(person: Person, code: str, day: dt.date | None = None) -> Unit:
    """The unit if ``person`` may see its board, else ``NotFound`` (no difference is told)."""
    try:
        unit = Unit.objects.select_related("parent").get(code=code)
    except Unit.DoesNotExist:
        raise NotFound(f"unknown unit {code!r}") from None
    roots = board_roots(person, day)
    if not roots or not UnitClosure.objects.filter(ancestor__in=roots, descendant=unit).exists():
        raise NotFound(f"unknown unit {code!r}")
    return unit


def led_unit_ids(
    person: Person, day: dt.date | None = None, *, coordinators: bool = True
) -> set[int]:
    """Units under a unit where ``person`` holds a supervisor, manager or coordinator role
    (``coordinators=False``: supervisor or manager only, for what a coordinator may not do)."""
    day = day or timezone.localdate()
    membership = membership_on(person, day)
    roles = LEADER_ROLES | {Role.COORDINATOR} if coordinators else LEADER_ROLES
    if membership is None or membership.role not in roles:
        return set()
    return set(subtree_ids(membership.unit_id))


def default_unit(person: Person, day: dt.date | None = None) -> Unit | None:
    """The unit whose board a person opens first: the one they lead or belong to."""
    roots = board_roots(person, day)
    membership = (
        membership_on(person, day or timezone.localdate()) if person.is_authenticated else None
    )
    if membership is not None and membership.unit.kind == UnitKind.TEAM:
        return membership.unit
    return roots[0] if roots else None


def units_by_codes(codes: Iterable[str]) -> dict[str, Unit]:
    return {u.code: u for u in Unit.objects.filter(code__in=list(codes))}


def can_manage_unit(person: Person, unit: Unit, day: dt.date | None = None) -> bool:
    """Admin, or a manager/supervisor whose current unit is ``unit`` or above it.

    Who may set and split targets, and transfer or promote people, in that unit.
    """
    if not person.is_authenticated:
        return False
    if is_admin(person):
        return True
    membership = membership_on(person, day or timezone.localdate())
    if membership is None or membership.role not in LEADER_ROLES:
        return False
    return UnitClosure.objects.filter(ancestor_id=membership.unit_id, descendant=unit).exists()


def can_move_person(
    viewer: Person,
    person: Person,
    from_unit: Unit,
    to_unit: Unit,
    role: str | None,
    day: dt.date | None = None,
) -> bool:
    """Transfers and promotions are the manager's (DESIGN §1): admin anywhere; a manager for
    someone else, between units of the subtree they lead, to any role but admin."""
    if not viewer.is_authenticated:
        return False
    if is_admin(viewer):
        return True
    if person.pk == viewer.pk or role == Role.ADMIN:
        return False
    membership = membership_on(viewer, day or timezone.localdate())
    if membership is None or membership.role != Role.MANAGER:
        return False
    inside = UnitClosure.objects.filter(
        ancestor_id=membership.unit_id, descendant_id__in=[from_unit.pk, to_unit.pk]
    ).count()
    return inside == len({from_unit.pk, to_unit.pk})


def can_record_deal_for(person: Person, rep: Person, day: dt.date | None = None) -> bool:
    """The rep themself, their leaders and coordinators (by the rep's current unit), admin."""
    if not person.is_authenticated:
        return False
    if person.pk == rep.pk or is_admin(person):
        return True
    current = membership_on(rep, day or timezone.localdate())
    return current is not None and current.unit_id in led_unit_ids(person, day)


def access_person(viewer: Person, employee_no: str, day: dt.date | None = None) -> Person:
    """The person if ``viewer`` may see them (self, admin, or in a unit ``viewer`` may see),
    else ``NotFound`` (the same for an unknown employee number)."""
    day = day or timezone.localdate()
    person = Person.objects.filter(employee_no=employee_no).first()
    if person is None or not viewer.is_authenticated:
        raise NotFound(f"unknown employee {employee_no!r}", field="employee_no")
    if person.pk == viewer.pk or is_admin(viewer):
        return person
    membership = membership_on(person, day) or person.memberships.order_by("-valid_from").first()
    if membership is None or membership.unit_id not in visible_unit_ids(viewer, day):
        raise NotFound(f"unknown employee {employee_no!r}", field="employee_no")
    return person


def api_tokens(person: Person | None = None) -> QuerySet[ApiToken]:
    """API tokens (the key itself is never stored), newest first; of one person if given."""
    qs = ApiToken.objects.select_related("person").order_by("-created_at", "-id")
    return qs.filter(person=person) if person is not None else qs


def current_or_last_membership(person: Person, day: dt.date) -> Membership | None:
    """The membership on ``day``, else the latest one (someone who has left keeps a last unit)."""
    membership = membership_on(person, day)
    if membership is None:
        membership = person.memberships.select_related("unit").order_by("-valid_from").first()
    return membership


def manageable_units(viewer: Person, day: dt.date | None = None) -> QuerySet[Unit]:
    """The units ``viewer`` may move people into: all for admin, else the subtree they lead."""
    day = day or timezone.localdate()
    if is_admin(viewer):
        return Unit.objects.all()
    membership = membership_on(viewer, day)
    if membership is None or membership.role not in LEADER_ROLES:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=subtree_ids(membership.unit_id))


def visible_ancestors(viewer: Person, unit: Unit, day: dt.date | None = None) -> list[Unit]:
    """The breadcrumb of ``unit``: its ancestors from the highest one ``viewer`` may see."""
    chain = ancestors(unit)
    root_ids = {root.pk for root in board_roots(viewer, day)}
    for i, link in enumerate(chain):
        if link.pk in root_ids:
            return chain[i:]
    return [unit]
