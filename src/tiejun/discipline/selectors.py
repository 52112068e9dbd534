"""Who may see red-line cases and flags, and the reads the pages, the API and the CLI share.

A case or flag about a person is seen by the admins and by the person's management chain: a
supervisor or manager whose unit (today) is above the person's unit on the case's day, or above
the person's unit today. A leader of a unit is not in the chain of a fellow leader of the same
unit, only of those under them; nobody is in their own chain. The person sees a case only once
it is decided, and then only the decision (``cases_of``), never a flag or the evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.errors import NotFound
from tiejun.org.models import LEADER_ROLES, Membership, Person, Role
from tiejun.org.selectors import membership_on, subtree_ids

from .models import Case, CaseStatus, Category, Decision, Evidence, Flag, FlagKind, FlagStatus


@dataclass(frozen=True)
class Reach:
    """What a viewer may see: everything (admin), the chain under ``unit_id`` (a leader), or
    nothing. ``manager`` says whether they may decide a demotion or dismissal."""

    admin: bool
    unit_id: int | None
    role: str

    @property
    def any(self) -> bool:
        return self.admin or self.unit_id is not None

    @property
    def manager(self) -> bool:
        return self.admin or self.role == Role.MANAGER


def reach(viewer: Person, day: dt.date | None = None) -> Reach:
    """The viewer's reach on ``day`` (today by default): two queries at most."""
    if not viewer.is_authenticated or not viewer.is_active:
        return Reach(False, None, "")
    if is_admin(viewer):
        return Reach(True, None, Role.ADMIN)
    membership = membership_on(viewer, day or timezone.localdate())
    if membership is None or membership.role not in LEADER_ROLES:
        return Reach(False, None, "")
    return Reach(False, membership.unit_id, membership.role)


def _under(unit_id: int) -> Q:
    """The people's (unit, role) pairs a leader of ``unit_id`` oversees: anything below it, and
    the non-leaders of the unit itself."""
    return Q(unit_id__in=subtree_ids(unit_id)) & ~Q(unit_id=unit_id, role__in=LEADER_ROLES)


def _in_chain(qs: QuerySet[Any], viewer: Person, scope: Reach, day: dt.date) -> QuerySet[Any]:
    if scope.admin:
        return qs.exclude(person=viewer)
    if scope.unit_id is None:
        return qs.none()
    now = Membership.objects.on(day).filter(_under(scope.unit_id), person=OuterRef("person"))
    return qs.filter(_under(scope.unit_id) | Exists(now)).exclude(person=viewer)


def people_in_chain(viewer: Person, day: dt.date | None = None) -> QuerySet[Person]:
    """The active people ``viewer`` may open a case about (their current memberships)."""
    day = day or timezone.localdate()
    scope = reach(viewer, day)
    members = Membership.objects.on(day)
    if not scope.admin:
        if scope.unit_id is None:
            return Person.objects.none()
        members = members.filter(_under(scope.unit_id))
    return (
        Person.objects.filter(is_active=True, pk__in=members.values("person_id"))
        .exclude(pk=viewer.pk)
        .order_by("name", "employee_no")
    )


def access_subject(viewer: Person, employee_no: str, day: dt.date | None = None) -> Person:
    """A person ``viewer`` may open a case about, else ``NotFound`` (unknown and out of reach
    answer alike)."""
    person = people_in_chain(viewer, day).filter(employee_no=employee_no).first()
    if person is None:
        raise NotFound(_("unknown employee %(no)s") % {"no": employee_no}, field="employee_no")
    return person


def cases_visible_to(viewer: Person, day: dt.date | None = None) -> QuerySet[Case]:
    day = day or timezone.localdate()
    qs = Case.objects.select_related("person", "unit", "category", "opened_by", "decided_by")
    return _in_chain(qs, viewer, reach(viewer, day), day)


def case_list(viewer: Person, *, status: str = "", day: dt.date | None = None) -> QuerySet[Case]:
    qs = cases_visible_to(viewer, day)
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-opened_at", "-id")


MAX_ID = 2**63 - 1


def _pk(value: Any) -> int:
    """A row id from a path or a form, or 0 for anything that cannot be one (no query is made)."""
    try:
        pk = int(str(value).strip().removeprefix("RL-"))
    except ValueError:
        return 0
    return pk if 0 < pk <= MAX_ID else 0


def access_case(viewer: Person, case_id: Any, day: dt.date | None = None) -> Case:
    """The case if ``viewer`` is in the person's chain or an admin, else ``NotFound``; ``case_id``
    is the id or the number (``RL-000012``)."""
    pk = _pk(case_id)
    case = cases_visible_to(viewer, day).filter(pk=pk).first() if pk else None
    if case is None:
        raise NotFound(_("unknown case %(id)s") % {"id": case_id}, field="case")
    return case


def case_evidence(case: Case) -> list[Evidence]:
    return list(case.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))


def access_evidence(viewer: Person, case_id: Any, evidence_id: Any) -> Evidence:
    case = access_case(viewer, case_id)
    pk = _pk(evidence_id)
    evidence = case.evidence.filter(pk=pk).first() if pk else None
    if evidence is None:
        raise NotFound(_("unknown evidence %(id)s") % {"id": evidence_id}, field="evidence")
    evidence.case = case
    return evidence


def cases_of(person: Person) -> QuerySet[Case]:
    """The decided cases about ``person`` (their own record): never the open investigations."""
    return (
        Case.objects.filter(person=person, status=CaseStatus.DECIDED)
        .exclude(decision=Decision.CLEARED)
        .select_related("category")
        .order_by("-decided_at", "-id")
    )


def flags_visible_to(viewer: Person, day: dt.date | None = None) -> QuerySet[Flag]:
    day = day or timezone.localdate()
    qs = Flag.objects.select_related("person", "unit", "reviewed_by", "case")
    return _in_chain(qs, viewer, reach(viewer, day), day)


def flag_list(
    viewer: Person, *, status: str = FlagStatus.OPEN, kind: str = "", day: dt.date | None = None
) -> QuerySet[Flag]:
    qs = flags_visible_to(viewer, day)
    if status in FlagStatus.values:
        qs = qs.filter(status=status)
    if kind in FlagKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-day", "kind", "person__name", "id")


def access_flag(viewer: Person, flag_id: Any, day: dt.date | None = None) -> Flag:
    pk = _pk(flag_id)
    flag = flags_visible_to(viewer, day).filter(pk=pk).first() if pk else None
    if flag is None:
        raise NotFound(_("unknown flag %(id)s") % {"id": flag_id}, field="flag")
    return flag


def categories_offered() -> list[Category]:
    return list(Category.objects.filter(active=True).order_by("sort", "code"))


def can_decide(viewer: Person, case: Case, decision: str, day: dt.date | None = None) -> bool:
    """A warning (or "no violation") by any leader in the person's chain; a demotion or a
    dismissal only by a manager in the chain or an admin. Never by the person themself."""
    if viewer.pk == case.person_id or not case.is_open:
        return False
    scope = reach(viewer, day)
    if not scope.any:
        return False
    if decision in (Decision.DEMOTION, Decision.DISMISSAL):
        return scope.manager
    return decision in Decision.values


def decisions_for(viewer: Person, case: Case) -> list[tuple[str, str]]:
    """The decisions ``viewer`` may take on ``case`` (as choices for the form)."""
    scope = reach(viewer)
    if viewer.pk == case.person_id or not case.is_open or not scope.any:
        return []
    allowed = [Decision.WARNING, Decision.CLEARED]
    if scope.manager:
        allowed = [Decision.WARNING, Decision.DEMOTION, Decision.DISMISSAL, Decision.CLEARED]
    return [(d.value, str(d.label)) for d in allowed]


def open_flag_count(viewer: Person) -> int:
    return flags_visible_to(viewer).filter(status=FlagStatus.OPEN).count()
