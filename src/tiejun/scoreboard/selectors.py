"""The board: a unit's target, done and left for a month as of a day, and the same per child.

The web page, the API, the CLI and the exports all call ``board_for_unit``, so they show
identical numbers. Query count is constant in the number of rows, whatever the size of the
subtree: a team's board reads its members with their targets, then its facts; a board above a
team reads the subtree with the units' own targets, then in one statement the facts summed per
unit and the person targets summed per team (for the teams whose target is their members').
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from tiejun.dateinput import parse_day, parse_month
from tiejun.errors import TiejunError
from tiejun.metrics import Metric
from tiejun.metrics import metric as get_metric
from tiejun.ops.statements import decimal_from_db
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.org.selectors import work_calendar
from tiejun.targets.models import Target
from tiejun.workdays import MonthProgress, WorkCalendar, add_months, month_end, month_start

from .models import Fact

ZERO = Decimal(0)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Figures:
    """Target, done and left for one unit or person; ``target`` None when none is set."""

    target: Decimal | None
    achieved: Decimal
    today: Decimal
    remaining_days: int

    @property
    def remaining(self) -> Decimal | None:
        return None if self.target is None else max(ZERO, self.target - self.achieved)

    @property
    def completion(self) -> float | None:
        if not self.target:
            return None
        return float(self.achieved / self.target)

    @property
    def required_daily(self) -> Decimal | None:
        remaining = self.remaining
        if remaining is None or self.remaining_days <= 0:
            return None
        return remaining / self.remaining_days


@dataclass
class BoardRow(Figures):
    kind: str = "unit"  # "unit" or "person"
    code: str = ""
    name: str = ""
    unit_kind: str = ""
    rank: int = 0
    current: bool = True  # for a person: belongs to this team on as_of


@dataclass
class Board(Figures):
    unit: Unit = field(default=None)  # type: ignore[assignment]
    month: dt.date = dt.date.min
    as_of: dt.date = dt.date.min
    metric: Metric = field(default=None)  # type: ignore[assignment]
    progress: MonthProgress = field(default_factory=lambda: MonthProgress(0, 0))
    own_target: Decimal | None = None
    children_target: Decimal | None = None
    rows: list[BoardRow] = field(default_factory=list)
    # The ids of the unit and every unit under it, as the board read them (not in the JSON):
    # what a report built on the board filters its own queries by, without reading them again.
    subtree: list[int] = field(default_factory=list)
    # A team's board only, not in the JSON: its members' person targets as read, person id →
    # (employee number, name, target), which the battle report takes instead of reading again.
    member_targets: dict[int, tuple[str, str, Decimal]] | None = None

    @property
    def time_progress(self) -> float | None:
        return self.progress.time_progress

    @property
    def allocation_gap(self) -> Decimal:
        if self.own_target is None:
            return ZERO
        return max(ZERO, self.own_target - (self.children_target or ZERO))

    def pace(self, figures: Figures) -> str | None:
        """ "ahead" when completion keeps up with time progress, "behind" otherwise."""
        completion, progress = figures.completion, self.time_progress
        if completion is None or progress is None:
            return None
        return "ahead" if completion + 1e-9 >= progress else "behind"

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "month": f"{self.month:%Y-%m}",
            "as_of": self.as_of.isoformat(),
            "metric": m.code,
            "working_days": {"total": self.progress.total, "elapsed": self.progress.elapsed},
            "calendar": {"source": self.progress.source, "confirmed": self.progress.confirmed},
            "time_progress": _ratio(self.time_progress),
            "target": m.to_json(self.target),
            "achieved": m.to_json(self.achieved),
            "today": m.to_json(self.today),
            "remaining": m.to_json(self.remaining),
            "completion": _ratio(self.completion),
            "required_daily": _rate_json(m, self.required_daily),
            "allocation_gap": m.to_json(self.allocation_gap),
            "rows": [
                {
                    "kind": r.kind,
                    "code": r.code,
                    "name": r.name,
                    "target": m.to_json(r.target),
                    "achieved": m.to_json(r.achieved),
                    "today": m.to_json(r.today),
                    "remaining": m.to_json(r.remaining),
                    "completion": _ratio(r.completion),
                    "required_daily": _rate_json(m, r.required_daily),
                    "rank": r.rank,
                }
                for r in self.rows
            ],
        }


def _rate_json(m: Metric, value: Decimal | None) -> str | float | None:
    """A daily pace: money as a two-decimal string; a count per day as a number (2 places)."""
    if value is None:
        return None
    return m.to_json(value) if m.money else round(float(value), 2)  # type: ignore[return-value]


def _rank(rows: list[BoardRow]) -> list[BoardRow]:
    def key(r: BoardRow) -> tuple[int, float, Decimal, str]:
        completion = r.completion
        return (completion is None, -(completion or 0.0), -r.achieved, r.code)

    rows.sort(key=key)
    for i, row in enumerate(rows, start=1):
        row.rank = i
    return rows


def _period(month: dt.date, as_of: dt.date) -> tuple[dt.date, dt.date]:
    start, end = month_start(month), month_end(month)
    return start, min(as_of, end)


# The board's statements are SQL written here, not querysets: compiling a queryset cost more
# Python than running it (issue 11). Their columns and sums are what the querysets of before read.
_FACTS_SQL = (
    "SELECT {part}{group}, SUM(value), SUM(CASE WHEN day = %s THEN value ELSE 0 END) FROM {fact} "
    "WHERE metric = %s AND day >= %s AND day <= %s{filter} GROUP BY {group}"
)


def _facts(
    metric: str,
    month: dt.date,
    as_of: dt.date,
    group: str,
    *,
    unit_ids: list[int] | None = None,
    person_id: int | None = None,
) -> dict[Any, tuple[Decimal, Decimal]]:
    """The facts of ``metric`` in ``month`` up to ``as_of``, summed per ``group`` (``unit_id`` or
    ``person_id``): (month to date, the day ``as_of``); of the units ``unit_ids`` or the person
    ``person_id`` if given. One grouped statement."""
    start, end = _period(month, as_of)
    if end < start:
        return {}
    d = connection.ops.adapt_datefield_value
    params: list[Any] = [d(as_of), metric, d(start), d(end)]
    condition = ""
    if unit_ids is not None:
        condition = f" AND unit_id IN ({', '.join(['%s'] * len(unit_ids))})"
        params += unit_ids
    if person_id is not None:
        condition += " AND person_id = %s"
        params.append(person_id)
    assert group in ("unit_id", "person_id")
    sql = _FACTS_SQL.format(
        part="", group=group, fact=connection.ops.quote_name(Fact._meta.db_table), filter=condition
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    in_month = start <= as_of <= month_end(month)
    return {
        key: (
            decimal_from_db(achieved) or ZERO,
            (decimal_from_db(today) or ZERO) if in_month else ZERO,
        )
        for key, achieved, today in rows
    }


def _progress(calendar: WorkCalendar | None, month: dt.date, as_of: dt.date) -> MonthProgress:
    return (calendar or work_calendar()).progress(month_start(month), as_of)


def board_for_unit(
    unit: Unit,
    *,
    month: dt.date,
    as_of: dt.date,
    metric: str = "revenue",
    calendar: WorkCalendar | None = None,
) -> Board:
    """The board of ``unit`` for ``month`` as of ``as_of`` (access is checked by the caller)."""
    m = get_metric(metric)
    month = month_start(month)
    progress = _progress(calendar, month, as_of)
    if unit.kind == UnitKind.TEAM:
        return _team_board(unit, m, month, as_of, progress)
    return _unit_board(unit, m, month, as_of, progress)


# The team's members on the day with their person targets of the month, and the team's own
# target (the row with no person): one statement instead of a queryset each.
_TEAM_SQL = (
    "SELECT m.person_id, p.employee_no, p.name, m.role, t.value FROM {membership} m "
    "INNER JOIN {person} p ON p.id = m.person_id "
    "LEFT JOIN {target} t ON t.person_id = m.person_id AND t.month = %s AND t.metric = %s "
    "WHERE m.unit_id = %s AND m.valid_from <= %s AND (m.valid_to IS NULL OR m.valid_to >= %s) "
    "UNION ALL SELECT NULL, NULL, NULL, NULL, value FROM {target} "
    "WHERE unit_id = %s AND month = %s AND metric = %s"
)


def _team_members(
    unit: Unit, metric: str, month: dt.date, as_of: dt.date
) -> tuple[list[tuple[int, str, str, str]], dict[int, Decimal], Decimal | None]:
    """The members on ``as_of`` (person id, employee number, name, role) by employee number,
    their person targets of ``month`` and the team's own target."""
    q, d = connection.ops.quote_name, connection.ops.adapt_datefield_value
    target = q(Target._meta.db_table)
    sql = _TEAM_SQL.format(
        membership=q(Membership._meta.db_table), person=q(Person._meta.db_table), target=target
    )
    params = [d(month), metric, unit.pk, d(as_of), d(as_of), unit.pk, d(month), metric]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    members, targets, own = [], {}, None
    for person_id, employee_no, name, role, value in rows:
        if person_id is None:
            own = decimal_from_db(value, places=2)
            continue
        members.append((person_id, employee_no, name, role))
        if value is not None:
            targets[person_id] = decimal_from_db(value, places=2) or ZERO
    members.sort(key=lambda m: m[1])
    return members, targets, own


def _team_board(
    unit: Unit, m: Metric, month: dt.date, as_of: dt.date, progress: MonthProgress
) -> Board:
    facts = _facts(m.code, month, as_of, "person_id", unit_ids=[unit.pk])
    members, person_targets, own = _team_members(unit, m.code, month, as_of)
    people = {pid: (no, name) for pid, no, name, _role in members}
    roles = {pid: role for pid, _no, _name, role in members}
    member_ids = set(people)
    former = set(facts) - member_ids - {None}
    if former:  # results in the team this month of people no longer in it
        people.update(
            (p.pk, (p.employee_no, p.name)) for p in Person.objects.in_bulk(list(former)).values()
        )
    remaining_days = progress.remaining
    rows = []
    for person_id, (employee_no, name) in people.items():
        achieved, today = facts.get(person_id, (ZERO, ZERO))
        target = person_targets.get(person_id)
        is_member = person_id in member_ids
        # Leaders without a personal target or result are not rows of their own team's board.
        if is_member and roles[person_id] != Role.REP and target is None and person_id not in facts:
            continue
        rows.append(
            BoardRow(
                target=target,
                achieved=achieved,
                today=today,
                remaining_days=remaining_days,
                kind="person",
                code=employee_no,
                name=name,
                current=is_member,
            )
        )
    children_target = sum(person_targets.values(), ZERO) if person_targets else None
    achieved = sum((a for a, _ in facts.values()), ZERO)
    today = sum((t for _, t in facts.values()), ZERO)
    return Board(
        target=own if own is not None else children_target,
        achieved=achieved,
        today=today,
        remaining_days=remaining_days,
        unit=unit,
        month=month,
        as_of=as_of,
        metric=m,
        progress=progress,
        own_target=own,
        children_target=children_target,
        rows=_rank(rows),
        subtree=[unit.pk],  # a team is a leaf: units under a branch are teams
        member_targets={
            pid: (people[pid][0], people[pid][1], value) for pid, value in person_targets.items()
        },
    )


class _UnitRow(NamedTuple):
    """The few fields of a unit a board needs."""

    pk: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    sort: int


def _unit_board(
    unit: Unit, m: Metric, month: dt.date, as_of: dt.date, progress: MonthProgress
) -> Board:
    units, own = _subtree_with_targets(unit.pk, m.code, month)
    children = sorted(
        (u for u in units.values() if u.parent_id == unit.pk), key=lambda u: (u.sort, u.code)
    )
    # One grouped statement: the facts of the subtree summed per unit they were credited to (a
    # few thousand teams at most, not one row per fact), and the person targets summed per team
    # for the teams whose target comes from their members. Each unit's sums are then added to
    # the child of the board it lies under, and all of them to the board's own total. The
    # company is the whole tree: no filter, a range of the (metric, day, unit, value) index.
    # Below it the ids as a list, not the closure subquery: with a list PostgreSQL reads only
    # the subtree's facts through the (metric, unit, day) index instead of scanning every fact
    # of the month.
    teams = _teams_summed(units, own, unit.pk)
    per_unit, team_sums = _facts_and_team_targets(
        m.code,
        month,
        as_of,
        unit_ids=None if unit.kind == UnitKind.COMPANY else list(units),
        teams=teams,
    )
    facts = _roll_up(per_unit, units, unit.pk)
    effective, own_targets, children_sums = _resolve_targets(units, own, team_sums, root=unit.pk)
    remaining_days = progress.remaining
    rows = [
        BoardRow(
            target=effective.get(child.pk),
            achieved=facts.get(child.pk, (ZERO, ZERO))[0],
            today=facts.get(child.pk, (ZERO, ZERO))[1],
            remaining_days=remaining_days,
            kind="unit",
            code=child.code,
            name=child.name,
            unit_kind=child.kind,
        )
        for child in children
    ]
    achieved, today = facts.get(unit.pk, (ZERO, ZERO))
    return Board(
        target=effective.get(unit.pk),
        achieved=achieved,
        today=today,
        remaining_days=remaining_days,
        unit=unit,
        month=month,
        as_of=as_of,
        metric=m,
        progress=progress,
        own_target=own_targets.get(unit.pk),
        children_target=children_sums.get(unit.pk),
        rows=_rank(rows),
        subtree=list(units),
    )


@functools.cache
def _subtree_sql() -> str:
    q = connection.ops.quote_name
    return (
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.sort, t.value "  # noqa: S608
        f"FROM {q(Unit._meta.db_table)} u INNER JOIN {q(UnitClosure._meta.db_table)} c "
        f"ON c.descendant_id = u.id LEFT JOIN {q(Target._meta.db_table)} t "
        "ON t.unit_id = u.id AND t.month = %s AND t.metric = %s WHERE c.ancestor_id = %s"
    )


def _subtree_with_targets(
    root: int, metric: str, month: dt.date
) -> tuple[dict[int, _UnitRow], dict[int, Decimal]]:
    """The units of ``root``'s subtree (plain rows, not model instances: a 20,000-rep company
    has a few thousand units) and the targets set on them for ``month``: one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_subtree_sql(), [connection.ops.adapt_datefield_value(month), metric, root])
        rows = cursor.fetchall()
    units = {row[0]: _UnitRow(*row[:6]) for row in rows}
    own = {row[0]: decimal_from_db(row[6], places=2) or ZERO for row in rows if row[6] is not None}
    return units, own


_TEAM_TARGETS_SQL = (
    "SELECT 't', m.unit_id, SUM(t.value), NULL FROM {target} t "
    "INNER JOIN {membership} m ON m.person_id = t.person_id "
    "WHERE t.month = %s AND t.metric = %s AND m.unit_id IN ({teams}) AND m.valid_from <= %s "
    "AND (m.valid_to IS NULL OR m.valid_to >= %s) GROUP BY m.unit_id"
)


def _facts_and_team_targets(
    metric: str,
    month: dt.date,
    as_of: dt.date,
    *,
    unit_ids: list[int] | None,
    teams: list[int],
) -> tuple[dict[Any, tuple[Decimal, Decimal]], dict[int, Decimal]]:
    """The facts of ``metric`` in ``month`` up to ``as_of`` summed per unit (of ``unit_ids``,
    or of every unit) as ``_facts`` gives them, and per team of ``teams`` the sum of the person
    targets of its members on ``as_of``: one statement, two parts."""
    start, end = _period(month, as_of)
    d, q = connection.ops.adapt_datefield_value, connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    if start <= end:
        condition = ""
        if unit_ids is not None:
            condition = f" AND unit_id IN ({', '.join(['%s'] * len(unit_ids))})"
        parts.append(
            _FACTS_SQL.format(
                part="'f', ", group="unit_id", fact=q(Fact._meta.db_table), filter=condition
            )
        )
        params += [d(as_of), metric, d(start), d(end), *(unit_ids or ())]
    if teams:
        parts.append(
            _TEAM_TARGETS_SQL.format(
                target=q(Target._meta.db_table),
                membership=q(Membership._meta.db_table),
                teams=", ".join(["%s"] * len(teams)),
            )
        )
        params += [d(month), metric, *teams, d(as_of), d(as_of)]
    if not parts:
        return {}, {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    in_month = start <= as_of <= month_end(month)
    facts: dict[Any, tuple[Decimal, Decimal]] = {}
    team_sums: dict[int, Decimal] = {}
    for part, unit_id, first, today in rows:
        if part == "t":
            team_sums[unit_id] = decimal_from_db(first, places=2) or ZERO
        else:
            facts[unit_id] = (
                decimal_from_db(first) or ZERO,
                (decimal_from_db(today) or ZERO) if in_month else ZERO,
            )
    return facts, team_sums


def subtree_standing(
    root: Unit, metric: str, month: dt.date, as_of: dt.date
) -> tuple[dict[int, _UnitRow], dict[Any, tuple[Decimal, Decimal]], dict[int, Decimal]]:
    """Every unit of ``root``'s subtree, the facts of ``metric`` summed per unit they were
    credited to (as ``board_for_unit`` reads them), and every unit's effective target: two
    statements, as a board above a team reads."""
    units, own = _subtree_with_targets(root.pk, metric, month)
    facts, team_sums = _facts_and_team_targets(
        metric,
        month,
        as_of,
        unit_ids=None if root.kind == UnitKind.COMPANY else list(units),
        teams=_teams_summed(units, own, None),
    )
    effective, _own, _children = _resolve_targets(units, own, team_sums, root=None)
    return units, facts, effective


def _roll_up(
    per_unit: dict[Any, tuple[Decimal, Decimal]], units: Mapping[int, Any], root: int
) -> dict[int, tuple[Decimal, Decimal]]:
    """Sums per unit of ``root``'s subtree → sums per child of ``root``, and ``root``'s total."""
    branch_of: dict[int, int] = {root: root}

    def child_of(unit_id: int) -> int:
        # The child of ``root`` whose subtree holds ``unit_id`` (``root`` for root itself).
        path = []
        while unit_id not in branch_of:
            path.append(unit_id)
            parent = units[unit_id].parent_id
            if parent == root:
                branch_of[unit_id] = unit_id
                break
            unit_id = parent  # type: ignore[assignment]
        top = branch_of[unit_id]
        for step in path:
            branch_of[step] = top
        return top

    totals: dict[int, tuple[Decimal, Decimal]] = {}
    achieved_all, today_all = ZERO, ZERO
    for unit_id, (achieved, today) in per_unit.items():
        if unit_id not in units:
            continue  # not below the board's unit
        achieved_all += achieved
        today_all += today
        top = child_of(unit_id)
        if top != root:
            a, t = totals.get(top, (ZERO, ZERO))
            totals[top] = (a + achieved, t + today)
    if per_unit:
        totals[root] = (achieved_all, today_all)
    return totals


def effective_targets(
    units: Mapping[int, Any],
    metric: str,
    month: dt.date,
    as_of: dt.date,
    *,
    root: int | None = None,
) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, Decimal]]:
    """Per unit of the subtree: effective target, own target, and the sum of its children's.

    A unit's target is its own if set, else the sum of its children's (for a team, the person
    targets of its members on ``as_of``). Two queries, then a walk up the tree.

    With ``root`` (a board's unit), only what that board shows is resolved: the root's targets
    and its children's effective targets. A unit with a target of its own needs nothing below
    it, so the person targets are read only for the teams reached without one — often none,
    and then a 20,000-rep company board reads no person target at all.
    """
    own = _own_targets(units, metric, month, root=root)
    teams = _teams_summed(units, own, root)
    children_sum = _team_people_targets(teams, metric, month, as_of) if teams else {}
    return _resolve_targets(units, own, children_sum, root=root)


def _kids(units: Mapping[int, Any]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for u in units.values():
        if u.parent_id in units:
            kids[u.parent_id].append(u.pk)
    return kids


def _teams_summed(
    units: Mapping[int, Any], own: Mapping[int, Decimal], root: int | None
) -> list[int]:
    """The teams whose members' targets make a target the board shows: every team, or with
    ``root`` those reached from it without passing a unit with a target of its own."""
    if root is None:
        return [u for u, x in units.items() if x.kind == UnitKind.TEAM]
    kids = _kids(units)
    teams, stack = [], [root]
    while stack:
        unit_id = stack.pop()
        if unit_id != root and unit_id in own:
            continue
        if units[unit_id].kind == UnitKind.TEAM:
            teams.append(unit_id)
        else:
            stack.extend(kids.get(unit_id, ()))
    return teams


def _resolve_targets(
    units: Mapping[int, Any],
    own: dict[int, Decimal],
    team_sums: dict[int, Decimal],
    *,
    root: int | None,
) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, Decimal]]:
    """Effective, own and children's targets from the own targets and the teams' sums (the
    children's sums of the units above the teams are added to ``team_sums``)."""
    kids = _kids(units)
    children_sum = team_sums
    effective: dict[int, Decimal] = {}

    def resolve(unit_id: int) -> Decimal | None:
        if unit_id in effective:
            return effective[unit_id]
        if root is not None and unit_id != root and unit_id in own:
            effective[unit_id] = own[unit_id]
            return own[unit_id]
        if kids.get(unit_id):
            values = [v for v in (resolve(k) for k in kids[unit_id]) if v is not None]
            if values:
                children_sum[unit_id] = sum(values, ZERO)
        value = own.get(unit_id, children_sum.get(unit_id))
        if value is not None:
            effective[unit_id] = value
        return value

    for unit_id in units if root is None else [root]:
        resolve(unit_id)
    return effective, own, children_sum


def _own_targets(
    units: Mapping[int, Any], metric: str, month: dt.date, *, root: int | None
) -> dict[int, Decimal]:
    """The targets set on the units themselves: of ``units``, or of ``root``'s subtree."""
    q = connection.ops.quote_name
    params: list[Any] = [connection.ops.adapt_datefield_value(month), metric]
    if root is not None:
        closure = q(UnitClosure._meta.db_table)
        scope = f"SELECT descendant_id FROM {closure} WHERE ancestor_id = %s"  # noqa: S608
        params.append(root)
    else:
        scope = ", ".join(["%s"] * len(units)) or "NULL"
        params += list(units)
    sql = (
        f"SELECT unit_id, value FROM {q(Target._meta.db_table)} "  # noqa: S608
        f"WHERE month = %s AND metric = %s AND unit_id IN ({scope})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            unit_id: decimal_from_db(value, places=2)  # type: ignore[misc]
            for unit_id, value in cursor.fetchall()
        }


def _team_people_targets(
    teams: list[int], metric: str, month: dt.date, as_of: dt.date
) -> dict[int, Decimal]:
    """Per team: the sum of the person targets of its members on ``as_of``."""
    rows = (
        Target.objects.filter(
            # One filter call, so the three conditions hold for the same membership.
            Q(person__memberships__valid_to__isnull=True)
            | Q(person__memberships__valid_to__gte=as_of),
            month=month,
            metric=metric,
            person__memberships__unit_id__in=teams,
            person__memberships__valid_from__lte=as_of,
        )
        .values("person__memberships__unit_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    return {r["person__memberships__unit_id"]: r["total"] for r in rows}


def person_board(
    person: Person,
    *,
    month: dt.date,
    as_of: dt.date,
    metric: str = "revenue",
    calendar: WorkCalendar | None = None,
) -> Figures:
    """A rep's own figures: my target, done, left, needed today (across teams in the month)."""
    m = get_metric(metric)
    month = month_start(month)
    progress = _progress(calendar, month, as_of)
    facts = _facts(m.code, month, as_of, "person_id", person_id=person.pk)
    achieved, today = facts.get(person.pk, (ZERO, ZERO))
    target = (
        Target.objects.filter(month=month, metric=m.code, person=person)
        .values_list("value", flat=True)
        .first()
    )
    return Figures(target=target, achieved=achieved, today=today, remaining_days=progress.remaining)


def daily_series(
    *,
    metric: str,
    month: dt.date,
    as_of: dt.date,
    unit: Unit | None = None,
    person: Person | None = None,
) -> list[tuple[dt.date, Decimal]]:
    """Day-by-day values of the month up to ``as_of`` for a unit's subtree or a person."""
    start, end = _period(month_start(month), as_of)
    qs = Fact.objects.filter(metric=metric, day__gte=start, day__lte=end)
    if unit is not None:
        qs = qs.filter(unit__ancestor_links__ancestor=unit)
    if person is not None:
        qs = qs.filter(person=person)
    return [(r["day"], r["v"]) for r in qs.values("day").annotate(v=Sum("value")).order_by("day")]


def today() -> dt.date:
    return timezone.localdate()


def parse_board_args(month: str | None, as_of: str | None) -> tuple[dt.date, dt.date]:
    """Month and as-of day from their text; either may be left out (this month, today)."""
    as_of_day = parse_day(as_of, field="as_of")
    month_day = parse_month(month, field="month")
    if month_day is None:
        month_day = (as_of_day or today()).replace(day=1)
    if as_of_day is None:
        now = today()
        as_of_day = now if month_day <= now else month_day
        if as_of_day.replace(day=1) < month_day:
            as_of_day = month_day
    return month_day, as_of_day


SPLIT_METHODS = ("even", "last_month", "last_3_months", "manual")


def split_children(unit: Unit, month: dt.date) -> list[tuple[tuple[str, int], str, str]]:
    """Whom ``unit``'s target is split over: child units, or a team's reps on the month's first day.

    Each is ((scope, id), code, name).
    """
    if unit.kind != UnitKind.TEAM:
        return [(("unit", c.pk), c.code, c.name) for c in unit.children.order_by("sort", "code")]
    members = (
        Membership.objects.on(month_start(month))
        .filter(unit=unit, role=Role.REP)
        .select_related("person")
        .order_by("person__employee_no")
    )
    return [(("person", ms.person_id), ms.person.employee_no, ms.person.name) for ms in members]


def split_weights(
    unit: Unit, *, month: dt.date, metric: str, method: str, today: dt.date | None = None
) -> dict[tuple[str, int], Decimal]:
    """Weights for splitting ``unit``'s target of ``month``: even, or each child's share of the
    results of the last complete month or three (before ``month`` and before ``today``'s month:
    a half-finished month would skew every share)."""
    children = split_children(unit, month)
    keys = [key for key, _code, _name in children]
    if method == "even" or not keys:
        return dict.fromkeys(keys, Decimal(1))
    if method not in {"last_month", "last_3_months"}:
        raise TiejunError(f"unknown split method {method!r}", field="method")
    months = 1 if method == "last_month" else 3
    this_month = month_start(today or timezone.localdate())
    end = min(month_start(month), this_month) - dt.timedelta(days=1)
    start = add_months(month_start(end), -(months - 1))
    qs = Fact.objects.filter(metric=metric, day__gte=start, day__lte=end)
    if unit.kind == UnitKind.TEAM:
        ids = [pk for _scope, pk in keys]
        got = dict(
            qs.filter(person_id__in=ids)
            .values("person_id")
            .annotate(v=Sum("value"))
            .order_by()
            .values_list("person_id", "v")
        )
        return {key: Decimal(got.get(key[1]) or 0) for key in keys}
    ids = [pk for _scope, pk in keys]
    got = dict(
        qs.filter(unit__ancestor_links__ancestor_id__in=ids)
        .values("unit__ancestor_links__ancestor_id")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("unit__ancestor_links__ancestor_id", "v")
    )
    return {key: Decimal(got.get(key[1]) or 0) for key in keys}


def cascade_base_results(
    metric: str,
    start: dt.date,
    end: dt.date,
    unit_ids: Collection[int],
    person_ids: Collection[int],
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """The results from ``start`` to ``end`` of each unit (with everything under it) and of each
    person: the base of a target cascade "by share" (``targets.bases``). Two queries."""
    facts = Fact.objects.filter(metric=metric, day__gte=start, day__lte=end)
    by_unit = dict(
        facts.filter(unit__ancestor_links__ancestor_id__in=list(unit_ids))
        .values("unit__ancestor_links__ancestor_id")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("unit__ancestor_links__ancestor_id", "v")
    )
    by_person = dict(
        facts.filter(person_id__in=list(person_ids))
        .values("person_id")
        .annotate(v=Sum("value"))
        .order_by()
        .values_list("person_id", "v")
    )
    return (
        {k: Decimal(v or 0) for k, v in by_unit.items()},
        {k: Decimal(v or 0) for k, v in by_person.items()},
    )
