"""The nightly personal message (the seed's SMS to every rep): what one rep has done, what is left,
what that means per remaining working day, what is realistically closable tomorrow, who in the
team reached the target today or is closest, and a line of encouragement — or comfort and a
concrete next step — chosen by the rep's pace and forecast.

Reads only: ``personal_messages(unit, day)`` composes the message of every rep of a subtree in a
fixed few queries whatever its size (the evening review's subtree read with its forecasts, then
one query each for the month's facts by day, the people, the customers due for a revisit and the
open opportunities); ``personal_message(person, day)`` composes one rep's, from their team's.
The same rep on the same day gets the same message from either.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tiejun.access import is_admin
from tiejun.crm.models import Customer, CustomerStatus, Opportunity
from tiejun.crm.selectors.customers import OPEN_STAGES
from tiejun.errors import NotFound
from tiejun.field.selectors.plans import revisit_days
from tiejun.incentives.hooks import headline_milestones
from tiejun.metrics import REVENUE
from tiejun.org.models import Person, Unit, UnitKind
from tiejun.org.selectors import access_person, led_unit_ids, membership_on, work_calendar
from tiejun.rhythm.selectors.subtree import ForecastRow, read_subtree
from tiejun.scoreboard.models import Fact
from tiejun.workdays import WorkCalendar, month_start

from .models import Mood, PersonalLine, Report

ZERO = Decimal(0)
REVISIT_N = 3
OPPORTUNITIES_N = 3
CLOSEST_N = 3
# Behind the clock but with this chance of still making the month: on track (encouragement and
# the next step), not behind (comfort and the next step).
LIKELY = 0.6

# The shipped lines; an admin's active ``PersonalLine`` rows of a mood replace them.
LINES: dict[str, tuple[Any, ...]] = {
    Mood.REACHED: (
        _("Target reached, {name}! Every deal from here is a record."),
        _("You made it, {name}. Keep the streak going and finish the month strong."),
        _("100% and counting: well done, {name}!"),
    ),
    Mood.AHEAD: (
        _("Ahead of pace, {name}: keep it up tomorrow!"),
        _("Great work, {name}. Stay on this pace and the month is yours."),
        _("You are ahead of the clock: one more win tomorrow widens the lead."),
    ),
    Mood.ON_TRACK: (
        _("Behind the clock but within reach, {name}: your forecast says you can make it."),
        _("You still have a real chance this month, {name}. Keep going!"),
        _("Close the gap step by step, {name}: the month can still be yours."),
    ),
    Mood.BEHIND: (
        _("Don't lose heart, {name}: the month is not over yet."),
        _("A slow stretch happens to everyone, {name}; tomorrow is a fresh start."),
        _("One good visit tomorrow changes the picture, {name}. You can do it."),
    ),
}


def _money(value: Decimal | None) -> str | None:
    return REVENUE.to_json(value)  # type: ignore[return-value]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _round_to(value: Decimal, step: int = 100) -> Decimal:
    """A forecast shown as an estimate: to the nearest ¥100 (¥10 under ¥1,000)."""
    step = step if value >= 1000 else 10
    return (value / step).quantize(Decimal(1)) * step


@dataclass
class Peer:
    employee_no: str
    name: str
    target: Decimal | None
    achieved: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.target is None else max(ZERO, self.target - self.achieved)

    @property
    def completion(self) -> float | None:
        return float(self.achieved / self.target) if self.target else None


@dataclass
class PersonalMessage:
    """One rep's nightly message, as data; ``to_json`` is what the templates see as ``r``."""

    person: Person
    team: Unit
    day: dt.date
    language: str
    target: Decimal | None
    achieved: Decimal
    today: Decimal
    total_days: int
    elapsed_days: int
    remaining_days: int
    expected: Decimal
    probability: float | None
    tomorrow: Decimal | None
    next_workday: dt.date | None
    mood: str
    line: str
    reached_today: list[Peer] = field(default_factory=list)
    closest: list[Peer] = field(default_factory=list)
    revisit: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    milestone: dict[str, Any] | None = None  # the year-to-date milestone line (issue 16)

    @property
    def remaining(self) -> Decimal | None:
        return None if self.target is None else max(ZERO, self.target - self.achieved)

    @property
    def completion(self) -> float | None:
        return float(self.achieved / self.target) if self.target else None

    @property
    def time_progress(self) -> float | None:
        return self.elapsed_days / self.total_days if self.total_days else None

    @property
    def required_daily(self) -> Decimal | None:
        remaining = self.remaining
        if remaining is None or self.remaining_days <= 0:
            return None
        return remaining / self.remaining_days

    @property
    def pace(self) -> str | None:
        """``ahead`` when the completion keeps up with the time progress, else ``behind``."""
        completion, progress = self.completion, self.time_progress
        if completion is None or progress is None:
            return None
        return "ahead" if completion + 1e-9 >= progress else "behind"

    def to_json(self) -> dict[str, Any]:
        return {
            "report": Report.PERSONAL.value,
            "date": self.day.isoformat(),
            "month": f"{self.day:%Y-%m}",
            "language": self.language,
            "person": {"employee_no": self.person.employee_no, "name": self.person.name},
            "unit": {"code": self.team.code, "name": self.team.name, "kind": self.team.kind},
            "metric": REVENUE.code,
            "working_days": {
                "total": self.total_days,
                "elapsed": self.elapsed_days,
                "remaining": self.remaining_days,
            },
            "time_progress": _ratio(self.time_progress),
            "target": _money(self.target),
            "achieved": _money(self.achieved),
            "today": _money(self.today),
            "remaining": _money(self.remaining),
            "completion": _ratio(self.completion),
            "required_daily": _money(self.required_daily),
            "pace": self.pace,
            "forecast": {
                "expected": _money(self.expected),
                "probability": _ratio(self.probability),
                "tomorrow": _money(self.tomorrow),
                "next_workday": self.next_workday.isoformat() if self.next_workday else None,
            },
            "mood": self.mood,
            "line": self.line,
            "reached_today": [
                {"employee_no": p.employee_no, "name": p.name} for p in self.reached_today
            ],
            "closest": [
                {
                    "employee_no": p.employee_no,
                    "name": p.name,
                    "remaining": _money(p.remaining),
                    "completion": _ratio(p.completion),
                }
                for p in self.closest
            ],
            "revisit": self.revisit,
            "opportunities": self.opportunities,
            "milestone": self.milestone,
        }


def person_language(person: Person) -> str:
    languages = dict(settings.LANGUAGES)
    return person.language if person.language in languages else settings.LANGUAGE_CODE


def choose_mood(
    *,
    target: Decimal | None,
    achieved: Decimal,
    today: Decimal,
    pace: str | None,
    probability: float | None,
) -> str:
    """Reached the target; ahead of the clock; behind it but likely to make it by the forecast
    (on track); else behind. Without a target: a win today reads as ahead."""
    if target:
        if achieved >= target:
            return Mood.REACHED
        if pace == "ahead":
            return Mood.AHEAD
        if probability is not None and probability >= LIKELY:
            return Mood.ON_TRACK
        return Mood.BEHIND
    return Mood.AHEAD if today > 0 else Mood.BEHIND


def active_lines() -> dict[tuple[str, str], list[str]]:
    """The admin's active lines by (mood, language); one query."""
    lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in PersonalLine.objects.filter(active=True).order_by("id"):
        lines[(row.mood, row.language)].append(row.text)
    return lines


def pick_line(
    mood: str, language: str, name: str, seed: str, lines: dict[tuple[str, str], list[str]]
) -> str:
    """The line of ``mood`` for ``language`` (the admin's in that language, the admin's for every
    language, else the shipped ones), the same for the same ``seed`` (rep and day)."""
    with translation.override(language):
        choices = (
            lines.get((mood, language))
            or lines.get((mood, ""))
            or [str(line) for line in LINES[mood]]
        )
        text = choices[zlib.crc32(seed.encode()) % len(choices)]
    return text.replace("{name}", name)


def _next_workday(calendar: WorkCalendar, day: dt.date) -> dt.date:
    nxt = day + dt.timedelta(days=1)
    for _day in range(366):
        if calendar.is_workday(nxt):
            return nxt
        nxt += dt.timedelta(days=1)
    return nxt


def _month_days(
    codes: list[str], month: dt.date, day: dt.date
) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Each rep's month by day (the same person facts as the review's): one query."""
    rows = (
        Fact.objects.filter(
            metric=REVENUE.code,
            person__employee_no__in=codes,
            day__gte=month,
            day__lte=day,
        )
        .values("person__employee_no", "day")
        .annotate(v=Sum("value"))
        .order_by("person__employee_no", "day")
        .values_list("person__employee_no", "day", "v")
    )
    days: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for code, fact_day, value in rows:
        days[code].append((fact_day, value or ZERO))
    return days


def _reached_on(target: Decimal | None, days: list[tuple[dt.date, Decimal]]) -> dt.date | None:
    if not target:
        return None
    running = ZERO
    for fact_day, value in days:
        running += value
        if running >= target:
            return fact_day
    return None


def _revisits(people: dict[str, Person], day: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Per rep, the own customers most overdue for a visit by their priority's interval (never
    visited first), A before B before C: one query."""
    intervals = revisit_days()
    rows = (
        Customer.objects.filter(owner_id__in=[p.pk for p in people.values()])
        .exclude(status=CustomerStatus.LOST)
        .annotate(last_visit=Max("visits__checkin_at"))
        .values_list("owner_id", "code", "name", "priority", "last_activity_on", "last_visit")
    )
    due: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for owner_id, code, name, priority, last_activity, last_visit in rows:
        last = last_activity
        if last_visit is not None:
            visited = timezone.localtime(last_visit).date()
            last = max(last, visited) if last else visited
        if last is None:
            due[owner_id].append((priority, -100_000, code, name, None))
        elif (day - last).days >= intervals.get(priority, 30):
            due[owner_id].append((priority, -(day - last).days, code, name, last))
    result: dict[int, list[dict[str, Any]]] = {}
    for owner_id, items in due.items():
        items.sort()
        result[owner_id] = [
            {
                "code": code,
                "name": name,
                "priority": priority,
                "last_visit": last.isoformat() if last else None,
            }
            for priority, _age, code, name, last in items[:REVISIT_N]
        ]
    return result


def _opportunities(people: dict[str, Person], by: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Per rep, the open opportunities expected to close by ``by`` (overdue ones included), the
    most likely money first: one query."""
    rows = (
        Opportunity.objects.filter(
            owner_id__in=[p.pk for p in people.values()],
            stage__in=OPEN_STAGES,
            expected_close__isnull=False,
            expected_close__lte=by,
        )
        .select_related("customer")
        .order_by("owner_id", "-probability", "-amount", "id")
    )
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for opp in rows:
        items = result[opp.owner_id]  # type: ignore[index]
        if len(items) < OPPORTUNITIES_N:
            items.append(
                {
                    "customer_name": opp.customer.name,
                    "title": opp.title,
                    "amount": _money(opp.amount),
                    "probability": float(opp.probability),
                    "expected_close": opp.expected_close.isoformat(),  # type: ignore[union-attr]
                }
            )
    return dict(result)


def year_milestones(people: list[Person], day: dt.date) -> dict[int, dict[str, Any]]:
    """Per person, the yearly milestone their message shows (see ``headline_milestones``)."""
    chosen = headline_milestones(people, today=day)
    return {person_id: row.as_json() for person_id, row in chosen.items()}


def _tomorrow(row: ForecastRow, remaining_days: int) -> Decimal | None:
    """The forecast's expectation of one working day: its simulated rest of the month divided
    by the days in it (each day is drawn alike), rounded as the estimate it is."""
    if remaining_days <= 0:
        return None
    per_day = Decimal(str(max(row.forecast.expected - float(row.achieved), 0.0))) / remaining_days
    shown = _round_to(per_day)
    return shown if shown > 0 else None  # "about ¥0" tells a rep nothing


def personal_messages(
    unit: Unit, day: dt.date, *, only: str | None = None
) -> list[PersonalMessage]:
    """The personal message of every rep of ``unit``'s teams on ``day`` (of one, ``only``: an
    employee number), by employee number. Access is checked by the caller."""
    tree = read_subtree(unit, day, REVENUE.code)
    rows = [r for r in tree.reps if only is None or r.code == only]
    if not rows:
        return []
    calendar = work_calendar()
    progress = tree.progress
    next_workday = _next_workday(calendar, day)
    # One rep's message needs their team's peers too.
    teams = {tree.rep_team[r.code] for r in rows}
    codes = sorted({r.code for r in tree.reps if tree.rep_team[r.code] in teams})
    people = {p.employee_no: p for p in Person.objects.filter(employee_no__in=codes)}
    month_days = _month_days(codes, month_start(day), day)
    lines = active_lines()
    revisits = _revisits({c: people[c] for c in (r.code for r in rows) if c in people}, day)
    opportunities = _opportunities(
        {c: people[c] for c in (r.code for r in rows) if c in people}, next_workday
    )
    milestones = year_milestones([people[r.code] for r in rows if r.code in people], day)
    by_team: dict[int, list[ForecastRow]] = defaultdict(list)
    for r in tree.reps:
        if r.code in people:
            by_team[tree.rep_team[r.code]].append(r)
    reached_on = {r.code: _reached_on(r.target, month_days.get(r.code, [])) for r in tree.reps}
    today_of = {
        code: sum((v for d, v in values if d == day), ZERO) for code, values in month_days.items()
    }
    messages: list[PersonalMessage] = []
    for row in sorted(rows, key=lambda r: r.code):
        person = people.get(row.code)
        if person is None:
            continue
        team_id = tree.rep_team[row.code]
        peers = [
            Peer(r.code, r.name, r.target, r.achieved)
            for r in by_team[team_id]
            if r.code != row.code
        ]
        reached_today = sorted(
            (p for p in peers if reached_on.get(p.employee_no) == day),
            key=lambda p: (-p.achieved, p.employee_no),
        )
        closest = sorted(
            (p for p in peers if p.target and p.achieved < p.target),
            key=lambda p: (p.remaining, -(p.completion or 0), p.employee_no),
        )[:CLOSEST_N]
        today = today_of.get(row.code, ZERO)
        language = person_language(person)
        message = PersonalMessage(
            person=person,
            team=tree.units[team_id],
            day=day,
            language=language,
            target=row.target,
            achieved=row.achieved,
            today=today,
            total_days=progress.total,
            elapsed_days=progress.elapsed,
            remaining_days=progress.remaining,
            expected=_round_to(Decimal(str(row.forecast.expected))),
            probability=row.forecast.probability,
            tomorrow=_tomorrow(row, progress.remaining),
            next_workday=next_workday,
            mood="",
            line="",
            reached_today=reached_today,
            closest=closest,
            revisit=revisits.get(person.pk, []),
            opportunities=opportunities.get(person.pk, []),
            milestone=milestones.get(person.pk),
        )
        message.mood = choose_mood(
            target=message.target,
            achieved=message.achieved,
            today=today,
            pace=message.pace,
            probability=message.probability,
        )
        message.line = pick_line(
            message.mood, language, person.name, f"{person.employee_no}:{day.isoformat()}", lines
        )
        messages.append(message)
    return messages


def rep_team(person: Person, day: dt.date) -> Unit:
    """The team ``person`` belongs to on ``day``, or ``NotFound`` (not in a team then)."""
    membership = membership_on(person, day)
    if membership is None or membership.unit.kind != UnitKind.TEAM:
        raise NotFound(
            f"{person.employee_no} is in no team on {day.isoformat()}", field="employee_no"
        )
    return membership.unit


def personal_message(person: Person, day: dt.date) -> PersonalMessage:
    """One rep's message on ``day``, composed from their team's (``NotFound`` when they are in
    no team that day, or have neither a target nor the rep's role)."""
    team = rep_team(person, day)
    found = personal_messages(team, day, only=person.employee_no)
    if not found:
        raise NotFound(
            f"{person.employee_no} gets no personal message on {day.isoformat()}",
            field="employee_no",
        )
    return found[0]


def access_personal_preview(viewer: Person, employee_no: str, day: dt.date | None = None) -> Person:
    """The rep whose personal message ``viewer`` may preview: themself, or a rep of a unit they
    lead or coordinate (a supervisor their team), or anyone for an admin; else ``NotFound``."""
    day = day or timezone.localdate()
    person = access_person(viewer, employee_no, day)
    if person.pk == viewer.pk or is_admin(viewer):
        return person
    membership = membership_on(person, day) or person.memberships.order_by("-valid_from").first()
    if membership is None or membership.unit_id not in led_unit_ids(viewer, day):
        raise NotFound(f"unknown employee {employee_no!r}", field="employee_no")
    return person
