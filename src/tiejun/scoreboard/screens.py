"""Wall screens: the screens saved in the app (services and selectors), the panels a screen
rotates through and the win feed a screen polls.

The board panel is this app's; the kickoff and the evening review belong to ``rhythm`` and the
deals to ``crm``/``broadcast``, which sit above this app. They plug in from their ``ready()``:
``register_panel("kickoff", ...)`` and ``register_win_source(...)``; this module imports none of
them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.audit.services import audit_change, audit_record
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.metrics import METRICS
from tiejun.money import money
from tiejun.org.models import LEADER_ROLES, Person, Unit, UnitClosure
from tiejun.org.selectors import membership_on, visible_unit_ids
from tiejun.workdays import month_start

from .models import PANEL_CHOICES, SavedScreen, SavedScreenUnit
from .selectors import Figures, board_for_unit, person_board

# Short codes people type on a TV remote: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4
MIN_SECONDS, MAX_SECONDS = 5, 3600
MAX_UNITS = 40
PANEL_KINDS = [kind for kind, _label in PANEL_CHOICES]

# --- panels other apps draw ------------------------------------------------------------------

# A panel: (unit, day, metric code) → (template name, its context, its rows). The template is
# included in the screen's panel frame (``scoreboard/_tv_panel.html``) and finds the rows of the
# page on screen in ``panel.rows``: the frame pages them.
PanelRenderer = Callable[[Unit, dt.date, str], tuple[str, dict[str, Any], list[Any]]]
_panels: dict[str, PanelRenderer] = {}


def register_panel(kind: str, renderer: PanelRenderer) -> None:
    """Called by a higher app in its ``ready()``: the screen may rotate through ``kind``."""
    if kind not in PANEL_KINDS:
        raise ValueError(f"unknown panel kind {kind!r}")
    _panels[kind] = renderer


def panel_renderer(kind: str) -> PanelRenderer | None:
    return _panels.get(kind)


def panel_kinds() -> list[str]:
    """The panels a screen may show here: the board and every registered one."""
    return [kind for kind in PANEL_KINDS if kind == "board" or kind in _panels]


# --- the win feed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LandedDeal:
    """A won deal, as the win feed hands it to the screen."""

    id: int
    deal_no: str
    person_id: int
    employee_no: str
    name: str
    customer: str
    amount: Decimal
    won_date: dt.date
    unit_id: int  # the team it counts for
    milestone: bool = False  # recorded as a milestone by the battle reports
    # a yearly incentive milestone this deal took its rep over: threshold, reward, plan
    year_milestone: dict[str, str] | None = None


@dataclass(frozen=True)
class Landed:
    """What a source returns: the newest deals after the cursor (at most ``limit``, newest
    first), the new cursor and how many more landed than were returned."""

    deals: list[LandedDeal]
    cursor: int
    more: int = 0


# (viewer, unit ids, after (None: just tell the cursor), earliest won date, limit) → Landed.
WinSource = Callable[[Person, set[int], int | None, dt.date, int], Landed]
_win_sources: list[WinSource] = []


def register_win_source(source: WinSource) -> None:
    """Called by the app that knows deals (in its ``ready()``); one source is used."""
    if source not in _win_sources:
        _win_sources.append(source)


@dataclass
class WinFeed:
    cursor: int
    wins: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"cursor": str(self.cursor), "wins": self.wins, "more": self.more}


WIN_LIMIT = 5


def parse_cursor(text: str | None) -> int | None:
    """A cursor from the query string; empty means "where are we now" (no flash)."""
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise TiejunError(_("the cursor must be a whole number"), field="after") from None
    if value < 0:
        raise TiejunError(_("the cursor must be a whole number"), field="after")
    return value


def _screen_unit_of(units: Sequence[Unit], unit_ids: set[int]) -> dict[int, Unit]:
    """For each team a deal counts for: the closest unit on the screen above it (or itself)."""
    by_id = {u.pk: u for u in units}
    closest: dict[int, tuple[int, Unit]] = {}
    links = UnitClosure.objects.filter(
        ancestor_id__in=list(by_id), descendant_id__in=list(unit_ids)
    ).values_list("ancestor_id", "descendant_id", "depth")
    for ancestor, descendant, depth in links:
        if descendant not in closest or depth < closest[descendant][0]:
            closest[descendant] = (depth, by_id[ancestor])
    return {d: u for d, (_depth, u) in closest.items()}


def _crossed(figures: Figures, landed_after: Decimal, amount: Decimal) -> bool:
    """Did a deal of ``amount`` take these figures to 100 % of target? ``landed_after`` is what
    landed after it (already in ``figures``)."""
    if not figures.target:
        return False
    after = figures.achieved - landed_after
    return after >= figures.target > after - amount


def wins_since(
    viewer: Person, units: Sequence[Unit], after: int | None, *, today: dt.date
) -> WinFeed:
    """The deals that landed in ``units`` (and under them) since ``after``, as the viewer may
    see them, each with the total of its unit on the screen; a deal that takes its rep or that
    unit to 100 % of the month target is a milestone."""
    if not units or not _win_sources:
        return WinFeed(cursor=after or 0)
    subtree = set(
        UnitClosure.objects.filter(ancestor__in=[u.pk for u in units]).values_list(
            "descendant_id", flat=True
        )
    )
    month = month_start(today)
    landed = _win_sources[0](viewer, subtree, after, month, WIN_LIMIT)
    if not landed.deals:
        return WinFeed(cursor=landed.cursor, more=landed.more)
    on_screen = _screen_unit_of(units, {d.unit_id for d in landed.deals})
    boards: dict[int, Any] = {}
    people: dict[int, Figures] = {}
    later_person: dict[int, Decimal] = {}
    later_unit: dict[int, Decimal] = {}
    wins: list[dict[str, Any]] = []
    # Newest first: what landed after a deal is summed before it is looked at, so "crossed" is
    # exact per deal (the figures are as of now, every landed deal in them).
    for deal in landed.deals:
        unit = on_screen.get(deal.unit_id)
        if unit is None:
            continue
        if unit.pk not in boards:
            boards[unit.pk] = board_for_unit(unit, month=month, as_of=today, metric="revenue")
        if deal.person_id not in people:
            people[deal.person_id] = person_board(
                Person(pk=deal.person_id), month=month, as_of=today
            )
        board, mine = boards[unit.pk], people[deal.person_id]
        person_after = later_person.get(deal.person_id, Decimal(0))
        unit_after = later_unit.get(unit.pk, Decimal(0))
        person_crossed = _crossed(mine, person_after, deal.amount)
        unit_crossed = _crossed(board, unit_after, deal.amount)
        later_person[deal.person_id] = person_after + deal.amount
        later_unit[unit.pk] = unit_after + deal.amount
        milestone: dict[str, str] | None = None
        if deal.year_milestone:
            milestone = {"scope": "year", "name": deal.name, **deal.year_milestone}
        elif unit_crossed:
            milestone = {"scope": "unit", "name": unit.name}
        elif person_crossed or deal.milestone:
            milestone = {"scope": "person", "name": deal.name}
        wins.append(
            {
                "id": deal.id,
                "kind": "milestone" if milestone else "win",
                "deal_no": deal.deal_no,
                "employee_no": deal.employee_no,
                "name": deal.name,
                "customer": deal.customer,
                "amount": money(deal.amount, 0),
                "date": deal.won_date.isoformat(),
                "unit": {"code": unit.code, "name": unit.name},
                "unit_total": money(board.achieved, 0),
                "unit_target": money(board.target, 0) if board.target else None,
                "unit_completion": _percent(board.completion),
                "person_total": money(mine.achieved, 0),
                "person_target": money(mine.target, 0) if mine.target else None,
                "milestone": milestone,
            }
        )
    return WinFeed(cursor=landed.cursor, wins=wins, more=landed.more)


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.0f}%"


# --- saved screens: reads ----------------------------------------------------------------------


def can_save_screens(person: Person, day: dt.date | None = None) -> bool:
    """Admins, managers and supervisors save screens (over the units they may see)."""
    if not person.is_authenticated:
        return False
    if is_admin(person):
        return True
    membership = membership_on(person, day or timezone.localdate())
    return membership is not None and membership.role in LEADER_ROLES


def screens_for_user(person: Person) -> QuerySet[SavedScreen]:
    """The screens ``person`` may edit: their own; every screen for an admin."""
    qs = SavedScreen.objects.select_related("created_by").prefetch_related("slots__unit")
    if is_admin(person):
        return qs.order_by("name", "code")
    return qs.filter(created_by=person).order_by("name", "code")


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


def screen_by_code(code: str) -> SavedScreen:
    """The screen opened by its code (whoever opens it sees only the units they may see)."""
    screen = (
        SavedScreen.objects.prefetch_related("slots__unit")
        .filter(code=normalise_code(code))
        .first()
    )
    if screen is None:
        raise NotFound(_("No screen has the code %(code)s.") % {"code": code})
    return screen


def access_screen_to_edit(person: Person, code: str) -> SavedScreen:
    """The screen if ``person`` may change it (its author or an admin), else not found."""
    screen = screens_for_user(person).filter(code=normalise_code(code)).first()
    if screen is None:
        raise NotFound(_("No screen has the code %(code)s.") % {"code": code})
    return screen


def screen_units(screen: SavedScreen) -> list[Unit]:
    return [slot.unit for slot in screen.slots.all()]


# --- saved screens: writes ---------------------------------------------------------------------


def _fields(screen: SavedScreen, units: Iterable[Unit]) -> dict[str, Any]:
    return {
        "name": screen.name,
        "metric": screen.metric,
        "seconds": screen.seconds,
        "panels": list(screen.panels),
        "sound": screen.sound,
        "units": [u.code for u in units],
    }


def _checked(
    by: Person, name: str, units: Sequence[Unit], metric: str, seconds: int, panels: Sequence[str]
) -> tuple[str, list[Unit], list[str]]:
    if not can_save_screens(by):
        raise Forbidden(_("Only admins, managers and supervisors save wall screens."))
    name = " ".join(name.split())
    if not name:
        raise TiejunError(_("Give the screen a name."), field="name")
    if len(name) > 100:
        raise TiejunError(_("The name is longer than 100 characters."), field="name")
    chosen = list({u.pk: u for u in units}.values())
    if not chosen:
        raise TiejunError(_("Choose at least one unit."), field="units")
    if len(chosen) > MAX_UNITS:
        raise TiejunError(
            _("A screen shows at most %(n)d units.") % {"n": MAX_UNITS}, field="units"
        )
    visible = visible_unit_ids(by)
    hidden = [u for u in chosen if u.pk not in visible]
    if hidden:
        raise NotFound(_("Unknown unit %(code)s.") % {"code": hidden[0].code}, field="units")
    if metric not in METRICS:
        raise TiejunError(_("Unknown metric %(metric)s.") % {"metric": metric}, field="metric")
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise TiejunError(
            _("Seconds per page must be between %(low)d and %(high)d.")
            % {"low": MIN_SECONDS, "high": MAX_SECONDS},
            field="seconds",
        )
    kinds = [k for k in PANEL_KINDS if k in set(panels)]
    unknown = set(panels) - set(PANEL_KINDS)
    if unknown or not kinds:
        raise TiejunError(_("Choose at least one panel."), field="panels")
    return name, chosen, kinds


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def _set_units(screen: SavedScreen, units: Sequence[Unit]) -> None:
    screen.slots.all().delete()
    SavedScreenUnit.objects.bulk_create(
        SavedScreenUnit(screen=screen, unit=u, position=i) for i, u in enumerate(units)
    )


def screen_create(
    *,
    by: Person,
    name: str,
    units: Sequence[Unit],
    metric: str = "revenue",
    seconds: int = 30,
    panels: Sequence[str] = ("board",),
    sound: bool = False,
) -> SavedScreen:
    """Save a named wall screen over ``units`` (each one ``by`` may see) with a fresh code."""
    name, chosen, kinds = _checked(by, name, units, metric, seconds, panels)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                screen = SavedScreen.objects.create(
                    code=_new_code(),
                    name=name,
                    metric=metric,
                    seconds=seconds,
                    panels=kinds,
                    sound=sound,
                    created_by=by,
                )
                _set_units(screen, chosen)
                audit_record(
                    action="create",
                    object_type="screen",
                    object_id=screen.code,
                    object_repr=str(screen),
                    after=_fields(screen, chosen),
                    actor=by,
                )
                return screen
        except IntegrityError:  # the code is taken: draw another
            continue
    raise TiejunError(_("No free screen code was found; try again."))  # pragma: no cover


@transaction.atomic
def screen_update(
    *,
    screen: SavedScreen,
    by: Person,
    name: str,
    units: Sequence[Unit],
    metric: str,
    seconds: int,
    panels: Sequence[str],
    sound: bool = False,
) -> SavedScreen:
    """Change a saved screen (the caller fetched it with ``access_screen_to_edit``)."""
    name, chosen, kinds = _checked(by, name, units, metric, seconds, panels)
    before = _fields(screen, screen_units(screen))
    screen.name, screen.metric, screen.seconds, screen.panels = name, metric, seconds, kinds
    screen.sound = sound
    screen.save(update_fields=["name", "metric", "seconds", "panels", "sound", "updated_at"])
    _set_units(screen, chosen)
    audit_change(
        action="update",
        object_type="screen",
        object_id=screen.code,
        object_repr=str(screen),
        before=before,
        after=_fields(screen, chosen),
        actor=by,
    )
    return screen


@transaction.atomic
def screen_delete(*, screen: SavedScreen, by: Person) -> None:
    audit_record(
        action="delete",
        object_type="screen",
        object_id=screen.code,
        object_repr=str(screen),
        before=_fields(screen, screen_units(screen)),
        actor=by,
    )
    screen.delete()
