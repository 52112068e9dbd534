"""The newer features, alive in the demo: an office per branch (where a transferred person reports,
with its geofence), a saved wall screen per region (opened on the TV by its code) and this
month's target sign-off, confirmed by most but not all. Bulk rows, like the rest of the demo;
each part draws from its own seeded stream, so adding it left every other draw as it was."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from tiejun.org.models import Unit, UnitKind
from tiejun.scoreboard.models import SavedScreen, SavedScreenUnit
from tiejun.scoreboard.screens import CODE_ALPHABET, CODE_LENGTH
from tiejun.targets.models import TargetConfirmation
from tiejun.targets.signoff import signoff_for_unit
from tiejun.transfers.models import Office
from tiejun.workdays import WorkCalendar, month_start

from .bulk import ids_by, insert_rows
from .field import CITY_CENTRES, STREETS

if TYPE_CHECKING:
    from .generator import UnitPlan

CONFIRMED_SHARE = 0.8  # of the people who hold a target this month; the rest show as pending
SCREEN_PANELS = ["board", "kickoff"]
SCREEN_SECONDS = 20


@dataclass
class ScreenPlan:
    code: str
    name: str
    region: str
    units: list[str]


def write_offices(units: Iterable[UnitPlan], unit_ids: dict[str, int], *, seed: int) -> int:
    """One office per branch, a short walk from its city centre."""
    rng = random.Random(f"{seed}:offices")
    offices = []
    for unit in units:
        if unit.kind != UnitKind.BRANCH or unit.branch is None:
            continue
        lat, lon = CITY_CENTRES[unit.branch.code]
        offices.append(
            Office(
                unit_id=unit_ids[unit.code],
                name=unit.name,
                address=f"{unit.branch.city}{rng.choice(STREETS)}{rng.randint(1, 399)}号",
                lat=Decimal(f"{lat + rng.uniform(-0.01, 0.01):.6f}"),
                lon=Decimal(f"{lon + rng.uniform(-0.01, 0.01):.6f}"),
            )
        )
    return insert_rows(offices)


def plan_screens(units: Iterable[UnitPlan], *, seed: int) -> list[ScreenPlan]:
    """A wall screen per region: its branches in turn, the board then the kickoff."""
    rng = random.Random(f"{seed}:screens")
    plans = list(units)
    used: set[str] = set()
    screens = []
    for region in sorted((u for u in plans if u.kind == UnitKind.REGION), key=lambda u: u.sort):
        branches = sorted(
            (u for u in plans if u.kind == UnitKind.BRANCH and u.parent == region.code),
            key=lambda u: u.sort,
        )
        code = ""
        while not code or code in used:
            code = "".join(rng.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        used.add(code)
        screens.append(
            ScreenPlan(code, f"{region.name}大屏", region.code, [b.code for b in branches])
        )
    return screens


def write_screens(
    screens: list[ScreenPlan], unit_ids: dict[str, int], person_ids: dict[str, int]
) -> int:
    rows = [
        SavedScreen(
            code=s.code,
            name=s.name,
            metric="revenue",
            seconds=SCREEN_SECONDS,
            panels=list(SCREEN_PANELS),
            created_by_id=person_ids.get(f"{s.region}-0000"),
        )
        for s in screens
    ]
    insert_rows(rows)
    screen_ids = ids_by(rows, "code")
    insert_rows(
        [
            SavedScreenUnit(screen_id=screen_ids[s.code], unit_id=unit_ids[code], position=i)
            for s in screens
            for i, code in enumerate(s.units)
        ]
    )
    return len(rows)


def write_confirmations(
    company_id: int, *, today: dt.date, cal: WorkCalendar, seed: int
) -> tuple[int, int]:
    """Most people confirm this month's targets in its first working days; the sign-off is read
    the way the board reads it (the closure table must be built). Returns (confirmed, owing)."""
    month = month_start(today)
    rows = signoff_for_unit(Unit(pk=company_id), month).rows
    rng = random.Random(f"{seed}:signoff")
    chosen = rng.sample(rows, round(len(rows) * CONFIRMED_SHARE))
    days = [d for d in cal.month_workdays(month)[:3] if d <= today] or [today]
    confirmations = []
    for row in chosen:
        at = dt.datetime.combine(rng.choice(days), dt.time(8, 30)) + dt.timedelta(
            minutes=rng.randint(0, 150)
        )
        confirmations.append(
            TargetConfirmation(
                month=month,
                person_id=row.person.pk,
                # What ``targets_confirm`` keeps: each owed target's value as it was confirmed.
                values={o.key: f"{o.value:.2f}" for o in row.owed},
                confirmed_at=timezone.make_aware(at),
            )
        )
    return insert_rows(confirmations), len(rows)
