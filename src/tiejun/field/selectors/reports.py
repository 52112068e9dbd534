"""Reads of daily reports (日报): the due time, the draft pre-filled from the day's visits, deals
and plans, who may read which report, the supervisor's status board.

Who sees a report: the rep themself, the leaders (supervisor, manager, coordinator) of the unit
the rep belonged to on the report's date, and admin. Anyone else gets "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.crm.models import Deal
from tiejun.errors import NotFound, TiejunError
from tiejun.money import money
from tiejun.org.models import LEADER_ROLES, Membership, Person, Role, Unit
from tiejun.org.selectors import membership_on, subtree_ids, work_calendar

from ..models import DailyReport, Interest, PlanStop, ReportComment, Visit, VisitPlan

TEXT_FIELDS = ("visited", "feedback", "problems", "won", "tomorrow")


# --- time ---------------------------------------------------------------------------------------


def _parse_hhmm(value: str, setting: str) -> dt.time:
    try:
        hour, minute = str(value).strip().split(":")
        return dt.time(int(hour), int(minute))
    except ValueError:
        raise TiejunError(f"{setting} must be a time HH:MM, not {value!r}") from None


def due_time() -> dt.time:
    """The local time a daily report is due (``TIEJUN_DAILY_REPORT_DUE``, default 20:00)."""
    return _parse_hhmm(settings.DAILY_REPORT_DUE, "TIEJUN_DAILY_REPORT_DUE")


def due_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, due_time()))


def reminder_time() -> dt.time:
    """Due time minus ``TIEJUN_DAILY_REPORT_REMIND_BEFORE`` minutes (default 60), same day."""
    minutes = int(settings.DAILY_REPORT_REMIND_BEFORE)
    at = dt.datetime.combine(dt.date(2000, 1, 2), due_time()) - dt.timedelta(minutes=minutes)
    if at.date() != dt.date(2000, 1, 2):
        at = dt.datetime.combine(dt.date(2000, 1, 2), dt.time(0, 0))
    return at.time()


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def is_late(report: DailyReport) -> bool:
    return report.submitted_at is not None and report.submitted_at > due_at(report.date)


# --- the pre-filled draft -----------------------------------------------------------------------


@dataclass
class Prefill:
    """What the day's records say, as text for the report and as rows for the page."""

    visits: list[Visit] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    missed_stops: list[PlanStop] = field(default_factory=list)
    next_plan: VisitPlan | None = None
    next_day: dt.date | None = None
    texts: dict[str, str] = field(default_factory=dict)


def _visit_line(visit: Visit) -> str:
    local = timezone.localtime(visit.checkin_at)
    parts = [f"{local:%H:%M} {visit.customer.name} ({visit.customer.code})"]
    details = []
    if visit.met_whom:
        details.append(_("met %(whom)s") % {"whom": visit.met_whom})
    if visit.interest:
        details.append(_("interest: %(level)s") % {"level": Interest(visit.interest).label})
    if visit.next_step:
        step = _("next step: %(step)s") % {"step": visit.next_step}
        if visit.next_date:
            step += f" ({visit.next_date:%Y-%m-%d})"
        details.append(step)
    if details:
        parts.append("; ".join(details))
    return " — ".join(parts)


def report_prefill(person: Person, day: dt.date) -> Prefill:
    """The draft of ``person``'s report for ``day``: 6 queries."""
    start, end = _day_bounds(day)
    visits = list(
        Visit.objects.filter(person=person, checkin_at__gte=start, checkin_at__lt=end)
        .select_related("customer")
        .order_by("checkin_at")
    )
    deals = list(
        Deal.objects.filter(person=person, won_date=day).select_related("customer").order_by("id")
    )
    visited_ids = {v.customer_id for v in visits}
    missed = [
        stop
        for stop in PlanStop.objects.filter(plan__person=person, plan__date=day)
        .select_related("customer")
        .order_by("seq")
        if stop.customer_id not in visited_ids
    ]
    next_day = next_workday(day)
    next_plan = (
        VisitPlan.objects.filter(person=person, date=next_day)
        .prefetch_related(
            Prefetch("stops", queryset=PlanStop.objects.select_related("customer").order_by("seq"))
        )
        .first()
    )

    texts = dict.fromkeys(TEXT_FIELDS, "")
    texts["visited"] = "\n".join(_visit_line(v) for v in visits)
    texts["feedback"] = "\n".join(
        f"{v.customer.name}: {v.notes.strip()}" for v in visits if v.notes.strip()
    )
    if missed:
        texts["problems"] = _("Planned but not visited: %(names)s") % {
            "names": ", ".join(s.customer.name for s in missed)
        }
    texts["won"] = "\n".join(f"{d.customer.name} {money(d.amount)} ({d.deal_no})" for d in deals)
    if next_plan is not None:
        stops = list(next_plan.stops.all())
        lines = [
            _("Visit plan for %(day)s: %(count)d customers")
            % {"day": f"{next_day:%Y-%m-%d}", "count": len(stops)}
        ]
        lines += [
            f"{s.seq}. {s.customer.name}" + (f" {s.arrival:%H:%M}" if s.arrival else "")
            for s in stops
        ]
        texts["tomorrow"] = "\n".join(lines)
    return Prefill(visits, deals, missed, next_plan, next_day, texts)


def next_workday(day: dt.date) -> dt.date:
    """The working day after ``day`` ("tomorrow" of a Friday report is Monday): 1 query."""
    calendar = work_calendar()
    for n in range(1, 15):
        candidate = day + dt.timedelta(days=n)
        if calendar.is_workday(candidate):
            return candidate
    return day + dt.timedelta(days=1)


def report_for(person: Person, day: dt.date) -> tuple[DailyReport, Prefill]:
    """The stored report of ``person`` for ``day``, or an unsaved draft pre-filled from the day."""
    prefill = report_prefill(person, day)
    report = DailyReport.objects.filter(person=person, date=day).first()
    if report is None:
        report = DailyReport(person=person, date=day, **prefill.texts)
    return report, prefill


def earliest_report_day(today: dt.date) -> dt.date:
    """The oldest date a daily report may still be written for: the previous working day."""
    return work_calendar().previous_workdays(today, 1)[0]


# --- who sees what ------------------------------------------------------------------------------


def _led(viewer: Person) -> set[int] | None:
    """The unit ids whose reports ``viewer`` may read; ``None``: all of them (admin)."""
    return _scope(viewer)[1]


def _member_of(unit_ids: set[int], day_field: str = "date") -> Exists:
    """A subquery: the report's person belonged to one of ``unit_ids`` on the report's date."""
    return Exists(
        Membership.objects.filter(
            person_id=OuterRef("person_id"),
            unit_id__in=unit_ids,
            valid_from__lte=OuterRef(day_field),
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef(day_field)))
    )


def reports_visible_to(viewer: Person) -> QuerySet[DailyReport]:
    qs = DailyReport.objects.select_related("person")
    led = _led(viewer)
    if led is None:
        return qs
    if not led:
        return qs.filter(person=viewer)
    return qs.filter(Q(person=viewer) | _member_of(led))


def access_report(viewer: Person, report_id: int | str) -> DailyReport:
    """The report if ``viewer`` may read it, else ``NotFound`` (the same for an unknown id)."""
    try:
        pk = int(report_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such daily report.")) from None
    report = reports_visible_to(viewer).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("No such daily report."))
    return report


def report_comments(report: DailyReport) -> list[ReportComment]:
    return list(report.comments.select_related("author").order_by("created_at", "id"))


def _scope(viewer: Person) -> tuple[Membership | None, set[int] | None]:
    """The viewer's membership today and the unit ids they lead (``None``: admin, all): 2 queries."""
    membership = membership_on(viewer, timezone.localdate())
    if viewer.is_superuser or (membership is not None and membership.role == Role.ADMIN):
        return membership, None
    if membership is None or membership.role not in LEADER_ROLES | {Role.COORDINATOR}:
        return membership, set()
    return membership, set(subtree_ids(membership.unit_id))


def report_board_scope(viewer: Person, code: str | None) -> tuple[Unit, list[Unit]]:
    """The unit of the status board ``viewer`` asks for (no code: the unit they lead) and the
    units they may switch to; ``NotFound`` for a unit outside what they lead: 3 queries."""
    membership, led = _scope(viewer)
    units_qs = Unit.objects.order_by("code")
    units = list(units_qs if led is None else units_qs.filter(pk__in=led))
    if code:
        unit = next((u for u in units if u.code == code), None)
    elif membership is not None and (led is None or membership.unit_id in led):
        unit = next((u for u in units if u.pk == membership.unit_id), None)
    else:
        unit = next((u for u in units if u.parent_id is None), None) if led is None else None
    if unit is None:
        raise NotFound(_("No team to show."))
    return unit, units


def access_board_unit(viewer: Person, code: str | None) -> Unit:
    return report_board_scope(viewer, code)[0]


# --- the status board ---------------------------------------------------------------------------

FILED, LATE, DRAFT, MISSING = "filed", "late", "draft", "missing"


@dataclass(frozen=True)
class StatusRow:
    person: Person
    unit: Unit
    report: DailyReport | None
    state: str  # filed | late | draft | missing
    comments: int

    @property
    def has_filed(self) -> bool:
        return self.state in (FILED, LATE)


@dataclass(frozen=True)
class StatusBoard:
    unit: Unit
    day: dt.date
    due_at: dt.datetime
    overdue: bool
    rows: list[StatusRow]

    @property
    def filed(self) -> int:
        return sum(1 for r in self.rows if r.has_filed)

    @property
    def not_filed(self) -> int:
        return len(self.rows) - self.filed

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.state == LATE)


def _reps_in(unit: Unit, day: dt.date) -> list[Membership]:
    return list(
        Membership.objects.on(day)
        .filter(unit_id__in=subtree_ids(unit), role=Role.REP, person__is_active=True)
        .select_related("person", "unit")
        .order_by("unit__code", "person__employee_no")
    )


def report_status_board(unit: Unit, *, day: dt.date, now: dt.datetime | None = None) -> StatusBoard:
    """Who among the reps in ``unit`` (and below) has filed the report for ``day``: 2 queries."""
    now = now or timezone.now()
    memberships = _reps_in(unit, day)
    reports = {
        r.person_id: r
        for r in DailyReport.objects.filter(
            date=day, person_id__in=[m.person_id for m in memberships]
        ).annotate(n_comments=Count("comments"))
    }
    due = due_at(day)
    rows = []
    for m in memberships:
        report = reports.get(m.person_id)
        if report is None:
            state = MISSING
        elif report.submitted_at is None:
            state = DRAFT
        else:
            state = LATE if report.submitted_at > due else FILED
        rows.append(
            StatusRow(m.person, m.unit, report, state, getattr(report, "n_comments", 0) or 0)
        )
    return StatusBoard(unit, day, due, now > due, rows)


def missing_daily_reports(unit: Unit, *, day: dt.date) -> list[Person]:
    """The reps in ``unit`` (and below) who have not filed their report for ``day``: 1 query.

    For the evening review's risk points ("missing daily reports").
    """
    filed = DailyReport.objects.filter(
        person_id=OuterRef("person_id"), date=day, submitted_at__isnull=False
    )
    return [
        m.person
        for m in Membership.objects.on(day)
        .filter(unit_id__in=subtree_ids(unit), role=Role.REP, person__is_active=True)
        .filter(~Exists(filed))
        .select_related("person")
        .order_by("person__employee_no")
    ]
