"""Reads for the broadcasts: the battle report (战报) of a unit on a day, and subscriptions.

The battle report is built from the board (the same headline figures as the target board) plus
a handful of grouped queries over the whole subtree, whatever the number of reps: the facts per
person, the person targets, the day-by-day facts of the reps who reached their target, and today's
deals.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, Q, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from tiejun.crm.models import Deal
from tiejun.metrics import REVENUE
from tiejun.org.models import Unit
from tiejun.org.selectors import subtree_ids
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.models import Target
from tiejun.workdays import WorkCalendar, month_start

from .models import Report, Subscription

ZERO = Decimal(0)
TOP_N = 5
CLOSEST_N = 5

# Lines of encouragement; one is picked from the unit and the day, so a re-send says the same.
ENCOURAGE_AHEAD = (
    _("Target reached. Keep the pace and finish the month strong!"),
    _("The target is beaten: every deal from here is a record."),
    _("Well done, team. Tomorrow we raise the bar again."),
)
ENCOURAGE_BEHIND = (
    _("Every call counts: one more visit tomorrow closes the gap."),
    _("Iron target, iron will: the gap is only a number to beat."),
    _("The month is not over: plan tomorrow's visits tonight."),
    _("Winners are made in the last stretch. Keep pushing!"),
    _("One team, one target: let's close the gap together."),
)


def _money(value: Decimal | None) -> str | None:
    return REVENUE.to_json(value)  # type: ignore[return-value]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class RepLine:
    person_id: int
    employee_no: str
    name: str
    target: Decimal | None
    achieved: Decimal
    today: Decimal
    reached_on: dt.date | None = None

    @property
    def completion(self) -> float | None:
        return float(self.achieved / self.target) if self.target else None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.target is None else max(ZERO, self.target - self.achieved)

    def to_json(self) -> dict[str, Any]:
        return {
            "employee_no": self.employee_no,
            "name": self.name,
            "target": _money(self.target),
            "achieved": _money(self.achieved),
            "today": _money(self.today),
            "remaining": _money(self.remaining),
            "completion": _ratio(self.completion),
        }


@dataclass
class Win:
    deal_no: str
    employee_no: str
    name: str
    customer_name: str
    amount: Decimal
    channel: str

    def to_json(self) -> dict[str, Any]:
        return {
            "deal_no": self.deal_no,
            "employee_no": self.employee_no,
            "name": self.name,
            "customer_name": self.customer_name,
            "amount": _money(self.amount),
            "channel": self.channel,
        }


@dataclass
class BattleReport:
    """The nightly battle report of ``unit`` for ``day`` (its month to date)."""

    unit: Unit
    day: dt.date
    target: Decimal | None
    achieved: Decimal
    today: Decimal
    remaining: Decimal | None
    required_daily: Decimal | None
    completion: float | None
    time_progress: float | None
    working_days: tuple[int, int]  # total, elapsed
    wins: list[Win] = field(default_factory=list)
    reps: list[RepLine] = field(default_factory=list)
    encouragement: str = ""

    @property
    def reached_target(self) -> list[RepLine]:
        """Reps at 100 % or more of their month target, the earliest first."""
        lines = [r for r in self.reps if r.target and r.achieved >= r.target]
        return sorted(lines, key=lambda r: (r.reached_on or self.day, -r.achieved, r.employee_no))

    @property
    def closest(self) -> list[RepLine]:
        """Reps below their target, those with the least left first."""
        lines = [r for r in self.reps if r.target and r.achieved < r.target]
        lines.sort(key=lambda r: (r.remaining, -(r.completion or 0), r.employee_no))
        return lines[:CLOSEST_N]

    @property
    def top(self) -> list[RepLine]:
        """The best by completion of their target."""
        lines = [r for r in self.reps if r.target]
        lines.sort(key=lambda r: (-(r.completion or 0), -r.achieved, r.employee_no))
        return lines[:TOP_N]

    @property
    def top_today(self) -> list[RepLine]:
        """The best by today's amount."""
        lines = [r for r in self.reps if r.today > 0]
        lines.sort(key=lambda r: (-r.today, r.employee_no))
        return lines[:TOP_N]

    def to_json(self) -> dict[str, Any]:
        wins_total = sum((w.amount for w in self.wins), ZERO)
        return {
            "report": Report.BATTLE.value,
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "date": self.day.isoformat(),
            "month": f"{self.day:%Y-%m}",
            "metric": REVENUE.code,
            "working_days": {"total": self.working_days[0], "elapsed": self.working_days[1]},
            "time_progress": _ratio(self.time_progress),
            "target": _money(self.target),
            "achieved": _money(self.achieved),
            "today": _money(self.today),
            "remaining": _money(self.remaining),
            "completion": _ratio(self.completion),
            "required_daily": _money(self.required_daily),
            "wins": [w.to_json() for w in self.wins],
            "wins_count": len(self.wins),
            "wins_total": _money(wins_total),
            "reached_target": [
                {
                    "employee_no": r.employee_no,
                    "name": r.name,
                    "completion": _ratio(r.completion),
                    "reached_on": r.reached_on.isoformat() if r.reached_on else None,
                    "new": r.reached_on == self.day,
                }
                for r in self.reached_target
            ],
            "closest": [r.to_json() for r in self.closest],
            "top": [r.to_json() for r in self.top],
            "top_today": [r.to_json() for r in self.top_today],
            "encouragement": str(self.encouragement),
        }


def encouragement(unit_code: str, day: dt.date, reached: bool) -> str:
    """A line of encouragement, the same for the same unit, day and state."""
    lines = ENCOURAGE_AHEAD if reached else ENCOURAGE_BEHIND
    index = zlib.crc32(f"{unit_code}:{day.isoformat()}".encode()) % len(lines)
    return str(lines[index])


def battle_report(
    unit: Unit, *, day: dt.date, calendar: WorkCalendar | None = None
) -> BattleReport:
    """The battle report of ``unit`` on ``day`` (access is checked by the caller)."""
    month = month_start(day)
    board = board_for_unit(unit, month=month, as_of=day, calendar=calendar)
    subtree = subtree_ids(unit)
    today_value = Sum(
        Case(When(day=day, then="value"), default=Value(ZERO), output_field=DecimalField())
    )
    facts = (
        Fact.objects.filter(
            metric=REVENUE.code,
            day__gte=month,
            day__lte=day,
            unit_id__in=subtree,
            person__isnull=False,
        )
        .values("person_id", "person__employee_no", "person__name")
        .annotate(achieved=Sum("value"), today_sum=today_value)
        .order_by()
    )
    reps: dict[int, RepLine] = {
        f["person_id"]: RepLine(
            person_id=f["person_id"],
            employee_no=f["person__employee_no"],
            name=f["person__name"],
            target=None,
            achieved=f["achieved"] or ZERO,
            today=f["today_sum"] or ZERO,
        )
        for f in facts
    }
    # Person targets of everyone in the subtree on the day (one filter: the same membership).
    targets = (
        Target.objects.filter(
            Q(person__memberships__valid_to__isnull=True)
            | Q(person__memberships__valid_to__gte=day),
            month=month,
            metric=REVENUE.code,
            person__memberships__unit_id__in=subtree,
            person__memberships__valid_from__lte=day,
        )
        .values_list("person_id", "person__employee_no", "person__name", "value")
        .order_by()
    )
    for person_id, employee_no, name, value in targets:
        line = reps.get(person_id)
        if line is None:
            reps[person_id] = RepLine(person_id, employee_no, name, value, ZERO, ZERO)
        else:
            line.target = value
    _reached_on(reps, subtree, month, day)
    wins = [
        Win(
            deal_no=d.deal_no,
            employee_no=d.person.employee_no,
            name=d.person.name,
            customer_name=d.customer.name,
            amount=d.amount,
            channel=d.channel,
        )
        for d in Deal.objects.filter(won_date=day, unit_id__in=subtree)
        .select_related("person", "customer")
        .only(
            "deal_no",
            "amount",
            "channel",
            "person__employee_no",
            "person__name",
            "customer__name",
        )
        .order_by("-amount", "deal_no")
    ]
    reached = bool(board.target) and board.achieved >= board.target  # type: ignore[operator]
    return BattleReport(
        unit=unit,
        day=day,
        target=board.target,
        achieved=board.achieved,
        today=board.today,
        remaining=board.remaining,
        required_daily=board.required_daily,
        completion=board.completion,
        time_progress=board.time_progress,
        working_days=(board.progress.total, board.progress.elapsed),
        wins=wins,
        reps=sorted(reps.values(), key=lambda r: r.employee_no),
        encouragement=encouragement(unit.code, day, reached),
    )


def _reached_on(reps: dict[int, RepLine], subtree: Any, month: dt.date, day: dt.date) -> None:
    """The first day each rep at 100 % got there: one query over only those reps' days."""
    done = {pk: r for pk, r in reps.items() if r.target and r.achieved >= r.target}
    if not done:
        return
    rows = (
        Fact.objects.filter(
            metric=REVENUE.code,
            day__gte=month,
            day__lte=day,
            unit_id__in=subtree,
            person_id__in=list(done),
        )
        .values_list("person_id", "day")
        .annotate(v=Sum("value"))
        .order_by("person_id", "day")
    )
    running: dict[int, Decimal] = {}
    for person_id, fact_day, value in rows:
        line = done[person_id]
        running[person_id] = running.get(person_id, ZERO) + (value or ZERO)
        if line.reached_on is None and running[person_id] >= line.target:  # type: ignore[operator]
            line.reached_on = fact_day


def subscriptions_for_unit(unit: Unit) -> list[Subscription]:
    return list(
        Subscription.objects.filter(unit=unit)
        .select_related("created_by")
        .order_by("report", "channel", "address")
    )


def subscribers(unit: Unit, report: str) -> list[Subscription]:
    """The active subscriptions to ``report`` of ``unit`` itself."""
    return list(Subscription.objects.filter(unit=unit, report=report, active=True).order_by("id"))


def subscribers_above(unit_id: int, report: str) -> list[Subscription]:
    """The active subscriptions to ``report`` of ``unit`` and of every unit above it."""
    return list(
        Subscription.objects.filter(
            report=report, active=True, unit__descendant_links__descendant_id=unit_id
        )
        .select_related("unit")
        .order_by("id")
    )


def access_subscriptions_unit(person: Any, code: str, day: dt.date | None = None) -> Unit:
    """The unit whose subscriptions ``person`` may manage: admin everywhere; a manager or a sales
    coordinator in their unit's subtree. Anyone else gets ``NotFound`` (no difference told)."""
    from django.utils import timezone

    from tiejun.errors import NotFound
    from tiejun.org.models import Role, UnitClosure
    from tiejun.org.selectors import is_admin, membership_on

    unit = Unit.objects.filter(code=code).first()
    if unit is None or not person.is_authenticated:
        raise NotFound(f"unknown unit {code!r}")
    if is_admin(person):
        return unit
    membership = membership_on(person, day or timezone.localdate())
    if (
        membership is None
        or membership.role not in (Role.MANAGER, Role.COORDINATOR)
        or not UnitClosure.objects.filter(ancestor_id=membership.unit_id, descendant=unit).exists()
    ):
        raise NotFound(f"unknown unit {code!r}")
    return unit
