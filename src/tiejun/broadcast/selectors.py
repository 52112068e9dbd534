"""Reads for the broadcasts: the battle report (战报) of a unit on a day, and subscriptions.

The battle report is built from the board (the same headline figures as the target board) plus
three grouped queries over the whole subtree, whatever the number of reps: each rep's facts day by
day (their month, their day, and the day they reached their target), the person targets, and
today's deals.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiejun.access import is_admin
from tiejun.crm.models import Customer, Deal
from tiejun.errors import NotFound
from tiejun.metrics import REVENUE
from tiejun.ops.statements import date_from_db, decimal_from_db
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.org.selectors import membership_on
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import Board, BoardRow, board_for_unit, subtree_standing
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


CENT = Decimal("0.01")


def _money(value: Decimal | None) -> str | None:
    """``REVENUE.to_json(value)``, faster for a Decimal (a report formats a figure per rep):
    quantized to cents, a Decimal's ``str`` is its two-decimal form."""
    if isinstance(value, Decimal):
        return str(value.quantize(CENT, rounding=ROUND_HALF_UP))
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
    # (achieved, target) → (completion, remaining): the sorts and the JSON read them many times.
    _figures: tuple[Any, ...] = field(default=(None, None, None, None), repr=False, compare=False)

    def _figure(self, i: int) -> Any:
        achieved, target, completion, remaining = self._figures
        if achieved is not self.achieved or target is not self.target:
            achieved, target = self.achieved, self.target
            completion = float(achieved / target) if target else None
            remaining = None if target is None else max(ZERO, target - achieved)
            self._figures = (achieved, target, completion, remaining)
        return (completion, remaining)[i]

    @property
    def completion(self) -> float | None:
        return self._figure(0)  # type: ignore[no-any-return]

    @property
    def remaining(self) -> Decimal | None:
        return self._figure(1)  # type: ignore[no-any-return]

    @property
    def reached(self) -> bool:
        return bool(self.target) and self.achieved >= self.target  # type: ignore[operator]

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


def _unit_json(board: Board, row: BoardRow) -> dict[str, Any]:
    """One unit's standing in the report of the unit above it."""
    return {
        "code": row.code,
        "name": row.name,
        "kind": row.unit_kind,
        "target": _money(row.target),
        "achieved": _money(row.achieved),
        "today": _money(row.today),
        "remaining": _money(row.remaining),
        "completion": _ratio(row.completion),
        "required_daily": _money(row.required_daily),
        "pace": board.pace(row),
        "rank": row.rank,
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
    # The standing of each unit right below (a branch's teams, a region's branches, a company's
    # regions), ranked as on the board: already JSON, read by the board's own queries.
    units: list[dict[str, Any]] = field(default_factory=list)
    # A company's report: the standing of every branch too (its children are regions).
    branches: list[dict[str, Any]] = field(default_factory=list)

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
    def gaps(self) -> list[RepLine]:
        """Every rep, by what is left to their target: those below it, the least left first (the
        first ``CLOSEST_N`` are ``closest``), then those at 100 % or more, then those without a
        target (the most done first)."""

        def key(r: RepLine) -> tuple[int, Decimal, float, Decimal, str]:
            if not r.target:
                return (2, ZERO, 0.0, -r.achieved, r.employee_no)
            if r.reached:
                return (1, ZERO, -(r.completion or 0), -r.achieved, r.employee_no)
            return (0, r.remaining or ZERO, -(r.completion or 0), ZERO, r.employee_no)

        return sorted(self.reps, key=key)

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
        # Each rep's figures once; the lists below share them (as equal dicts, not the same).
        lines = {r.person_id: r.to_json() for r in self.reps}
        closest = self.closest
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
            "closest": [dict(lines[r.person_id]) for r in closest],
            "top": [dict(lines[r.person_id]) for r in self.top],
            "top_today": [dict(lines[r.person_id]) for r in self.top_today],
            "encouragement": str(self.encouragement),
            # Added by issue 14: every rep's gap (the closest five flagged) and the standing of
            # each unit below. Existing fields above keep their names and meaning.
            "reps": self._gaps_json(lines, {r.person_id for r in closest}),
            "reps_count": len(self.reps),
            "units": self.units,
            "branches": self.branches,
        }

    def _gaps_json(
        self, lines: dict[int, dict[str, Any]], closest: set[int]
    ) -> list[dict[str, Any]]:
        return [
            {
                **lines[r.person_id],
                "closest": r.person_id in closest,
                "reached": r.reached,
                "reached_on": r.reached_on.isoformat() if r.reached_on else None,
            }
            for r in self.gaps
        ]


def encouragement(unit_code: str, day: dt.date, reached: bool) -> str:
    """A line of encouragement, the same for the same unit, day and state."""
    lines = ENCOURAGE_AHEAD if reached else ENCOURAGE_BEHIND
    index = zlib.crc32(f"{unit_code}:{day.isoformat()}".encode()) % len(lines)
    return str(lines[index])


def battle_report(
    unit: Unit, *, day: dt.date, calendar: WorkCalendar | None = None
) -> BattleReport:
    """The battle report of ``unit`` on ``day`` (access is checked by the caller).

    The board's queries (which give a team's members and their targets), then one statement: the
    reps' facts day by day, their targets (for a unit above a team) and today's deals.
    """
    month = month_start(day)
    board = board_for_unit(unit, month=month, as_of=day, calendar=calendar)
    # The subtree's ids as the board read them, as a list, not the closure subquery: with a list
    # PostgreSQL reads only the subtree's facts through the (metric, unit, day) index.
    subtree = board.subtree
    reps, days, wins = _rep_lines(subtree, month, day, targets=board.member_targets is None)
    if board.member_targets is not None:  # a team: the board read its members' targets
        _put_targets(reps, board.member_targets.items())
    for line in reps.values():
        line.reached_on = _reached_on(line, days.get(line.person_id, []))
    target = board.target
    reached = target is not None and target != 0 and board.achieved >= target
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
        units=[] if unit.kind == UnitKind.TEAM else [_unit_json(board, r) for r in board.rows],
        branches=_company_branches(board, month, day) if unit.kind == UnitKind.COMPANY else [],
    )


DaySums = list[tuple[dt.date, Decimal]]

# The report's rows are one statement written here, not querysets: compiling a queryset cost more
# Python than running it, and on PostgreSQL each round trip costs more than the rows (issue 11).
# Three parts in one UNION ALL, told apart by the first column: "f" a rep's sum of one day,
# "t" a person target of someone in the subtree on the day (units above a team only: a team's
# board has read them), "w" a deal won on the day. The people are joined once, to the rows kept.
_REP_LINES_SQL = """
WITH f AS (
    SELECT person_id, day, SUM(value) AS value FROM {fact}
    WHERE metric = %s AND day >= %s AND day <= %s AND unit_id IN ({units})
        AND person_id IS NOT NULL
    GROUP BY person_id, day
), w AS (
    SELECT d.deal_no, d.person_id, c.name AS customer, d.amount, d.channel
    FROM {deal} d INNER JOIN {customer} c ON c.id = d.customer_id
    WHERE d.won_date = %s AND d.unit_id IN ({units})
), parts AS (
    SELECT 'f' AS part, person_id, day, value, NULL AS deal_no, NULL AS customer, NULL AS channel
    FROM f
    UNION ALL
    SELECT 'w', person_id, NULL, amount, deal_no, customer, channel FROM w
{targets})
SELECT r.part, r.person_id, p.employee_no, p.name, r.day, r.value, r.deal_no, r.customer,
    r.channel
FROM parts r INNER JOIN {person} p ON p.id = r.person_id
ORDER BY r.part, r.person_id, r.day
"""
_TARGETS_PART = """    UNION ALL
    SELECT 't', t.person_id, NULL, t.value, NULL, NULL, NULL
    FROM {target} t INNER JOIN {membership} m ON m.person_id = t.person_id
    WHERE t.month = %s AND t.metric = %s AND m.unit_id IN ({units}) AND m.valid_from <= %s
        AND (m.valid_to IS NULL OR m.valid_to >= %s)
"""
_TABLES = (
    ("fact", Fact),
    ("person", Person),
    ("target", Target),
    ("membership", Membership),
    ("deal", Deal),
    ("customer", Customer),
)


def _rep_lines(
    subtree: list[int], month: dt.date, day: dt.date, *, targets: bool
) -> tuple[dict[int, RepLine], dict[int, DaySums], list[Win]]:
    """Each rep's month to date and today, with the day-by-day sums they add up from (which
    tell the day a rep reached the target); with ``targets``, everyone's person target (and a
    line for those with no facts yet); the deals won on ``day``, the largest first."""
    q = connection.ops.quote_name
    d = connection.ops.adapt_datefield_value
    names = {
        "units": ", ".join(["%s"] * len(subtree)),
        **{name: q(model._meta.db_table) for name, model in _TABLES},
    }
    sql = _REP_LINES_SQL.format(targets=_TARGETS_PART.format(**names) if targets else "", **names)
    params: list[Any] = [REVENUE.code, d(month), d(day), *subtree, d(day), *subtree]
    if targets:
        params += [d(month), REVENUE.code, *subtree, d(day), d(day)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    reps: dict[int, RepLine] = {}
    days: dict[int, DaySums] = {}
    wins: list[Win] = []
    targets_of: list[tuple[int, tuple[str, str, Decimal | None]]] = []
    for part, person_id, employee_no, name, fact_day, value, deal_no, customer, channel in rows:
        if part == "f":
            fact_day = date_from_db(fact_day)
            amount = decimal_from_db(value) or ZERO
            line = reps.get(person_id)
            if line is None:
                line = reps[person_id] = RepLine(person_id, employee_no, name, None, ZERO, ZERO)
                days[person_id] = []
            line.achieved += amount
            if fact_day == day:
                line.today += amount
            days[person_id].append((fact_day, amount))
        elif part == "t":
            targets_of.append((person_id, (employee_no, name, decimal_from_db(value, places=2))))
        else:
            won = decimal_from_db(value, places=2) or ZERO
            wins.append(Win(deal_no, employee_no, name, customer, won, channel))
    _put_targets(reps, targets_of)
    wins.sort(key=lambda w: (-w.amount, w.deal_no))
    return reps, days, wins


def _put_targets(
    reps: dict[int, RepLine], targets: Iterable[tuple[int, tuple[str, str, Decimal | None]]]
) -> None:
    """Each person's target on their line, with a line for those who have no facts yet."""
    for person_id, (employee_no, name, value) in targets:
        line = reps.get(person_id)
        if line is None:
            reps[person_id] = RepLine(person_id, employee_no, name, value, ZERO, ZERO)
        else:
            line.target = value


def _reached_on(line: RepLine, days: DaySums) -> dt.date | None:
    """The first day a rep at 100 % of the target got there (None below it)."""
    target = line.target
    if not target or line.achieved < target:
        return None
    running = ZERO
    for fact_day, value in days:
        running += value
        if running >= target:
            return fact_day
    return None


def _company_branches(board: Board, month: dt.date, day: dt.date) -> list[dict[str, Any]]:
    """Every branch of a company with its standing, ranked as a board ranks its rows: the
    units with their own targets (one statement), then the facts per unit and the teams' sums
    of their members' targets (one)."""
    units, facts, effective = subtree_standing(board.unit, REVENUE.code, month, day)
    branch_of: dict[int, int | None] = {}

    def branch(unit_id: int | None) -> int | None:
        if unit_id is None or unit_id not in units:
            return None
        if unit_id not in branch_of:
            u = units[unit_id]
            branch_of[unit_id] = unit_id if u.kind == UnitKind.BRANCH else branch(u.parent_id)
        return branch_of[unit_id]

    sums: dict[int, list[Decimal]] = {}
    for unit_id, (achieved, today) in facts.items():
        top = branch(unit_id)
        if top is not None:
            pair = sums.setdefault(top, [ZERO, ZERO])
            pair[0] += achieved
            pair[1] += today
    rows = [
        BoardRow(
            target=effective.get(u.pk),
            achieved=sums.get(u.pk, [ZERO, ZERO])[0],
            today=sums.get(u.pk, [ZERO, ZERO])[1],
            remaining_days=board.remaining_days,
            kind="unit",
            code=u.code,
            name=u.name,
            unit_kind=u.kind,
        )
        for u in units.values()
        if u.kind == UnitKind.BRANCH
    ]
    rows.sort(key=lambda r: (r.completion is None, -(r.completion or 0.0), -r.achieved, r.code))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return [_unit_json(board, row) for row in rows]


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
