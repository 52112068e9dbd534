"""Writes of visit plans (拜访计划): choosing the day's customers, the optimised route, hand
reordering, where and when the day starts. One function per use case, one transaction each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun import routing
from tiejun.errors import NotFound, TiejunError
from tiejun.org.models import Person

from ..models import PlanStop, VisitPlan
from ..selectors.plans import plan_customers, plan_route, plan_solve, plan_stops, time_seconds

MAX_STOPS = 30


def _time(seconds: int) -> dt.time:
    seconds = max(0, min(seconds, 24 * 3600 - 60))
    return dt.time(seconds // 3600, seconds % 3600 // 60)


def _store(
    plan: VisitPlan, stops: list[PlanStop], route: routing.Route, *, optimised: bool
) -> None:
    """Write ``route`` onto the plan: routed stops in order first, then the ones left out."""
    by_code = {s.customer.code: s for s in stops}
    ordered = [by_code[c] for c in route.order]
    rest = [s for s in stops if s.customer.code not in set(route.order)]
    for seq, stop in enumerate(ordered, start=1):
        stop.seq = seq
        stop.arrival = _time(route.arrivals[stop.customer.code])
        stop.leg_distance_m = route.leg_distance_m[seq - 1]
        stop.leg_duration_s = route.leg_duration_s[seq - 1]
    for seq, stop in enumerate(rest, start=len(ordered) + 1):
        stop.seq, stop.arrival, stop.leg_distance_m, stop.leg_duration_s = seq, None, 0, 0
    if stops:
        PlanStop.objects.bulk_update(stops, ["seq", "arrival", "leg_distance_m", "leg_duration_s"])
    plan.total_distance_m = route.distance_m
    plan.total_duration_s = route.duration_s
    fields = ["total_distance_m", "total_duration_s", "updated_at"]
    if optimised:
        plan.optimised_at = timezone.now()
        fields.append("optimised_at")
    plan.save(update_fields=fields)


def plan_get_or_create(*, person: Person, date: dt.date) -> VisitPlan:
    plan, created = VisitPlan.objects.get_or_create(person=person, date=date)
    if created:
        plan.refresh_from_db()  # the time defaults are strings until read back
    return plan


def _decimal(value: Any, low: int, high: int, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise TiejunError(_("Enter a number."), field=name) from None
    if not number.is_finite() or not (low <= number <= high):
        raise TiejunError(
            _("Must lie between %(low)s and %(high)s.") % {"low": low, "high": high}, field=name
        )
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def plan_update(
    *,
    plan: VisitPlan,
    start_label: str = "",
    start_lat: Any = None,
    start_lon: Any = None,
    end_label: str = "",
    end_lat: Any = None,
    end_lon: Any = None,
    day_starts_at: dt.time | None = None,
    day_ends_at: dt.time | None = None,
    lunch_from: dt.time | None = None,
    lunch_minutes: int = 60,
) -> VisitPlan:
    """Change where and when the day starts and ends, and the lunch break."""
    values = {
        "start_lat": _decimal(start_lat, -90, 90, "start_lat"),
        "start_lon": _decimal(start_lon, -180, 180, "start_lon"),
        "end_lat": _decimal(end_lat, -90, 90, "end_lat"),
        "end_lon": _decimal(end_lon, -180, 180, "end_lon"),
    }
    for prefix in ("start", "end"):
        if (values[f"{prefix}_lat"] is None) != (values[f"{prefix}_lon"] is None):
            raise TiejunError(_("Give both latitude and longitude."), field=f"{prefix}_lat")
    starts = day_starts_at or plan.day_starts_at
    ends = day_ends_at or plan.day_ends_at
    if (time_seconds(starts) or 0) >= (time_seconds(ends) or 0):
        raise TiejunError(_("The day must end after it starts."), field="day_ends_at")
    if not (0 <= lunch_minutes <= 180):
        raise TiejunError(_("Lunch lasts 0 to 180 minutes."), field="lunch_minutes")
    plan.start_label, plan.end_label = start_label[:100], end_label[:100]
    for name, value in values.items():
        setattr(plan, name, value)
    plan.day_starts_at, plan.day_ends_at = starts, ends
    plan.lunch_from, plan.lunch_minutes = lunch_from, lunch_minutes
    plan.save()
    stops = plan_stops(plan)
    _store(plan, stops, plan_route(plan, stops), optimised=False)
    return plan


@transaction.atomic
def plan_add_customers(*, plan: VisitPlan, codes: list[str]) -> list[PlanStop]:
    """Append customers (by code) to the plan; each must be visible to the plan's person."""
    codes = [c.strip() for c in codes if c and c.strip()]
    if not codes:
        raise TiejunError(_("Choose at least one customer."), field="customers")
    found = {c.code: c for c in plan_customers(plan.person).filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(
            _("Unknown customer %(code)s.") % {"code": ", ".join(missing)}, field="customers"
        )
    stops = plan_stops(plan)
    present = {s.customer_id for s in stops}
    new = [found[c] for c in dict.fromkeys(codes) if found[c].pk not in present]
    if len(stops) + len(new) > MAX_STOPS:
        raise TiejunError(
            _("A plan holds at most %(n)s customers.") % {"n": MAX_STOPS}, field="customers"
        )
    seq = max((s.seq for s in stops), default=0)
    created = PlanStop.objects.bulk_create(
        [PlanStop(plan=plan, customer=c, seq=seq + i) for i, c in enumerate(new, start=1)]
    )
    stops = plan_stops(plan)
    _store(plan, stops, plan_route(plan, stops), optimised=False)
    return created


@transaction.atomic
def plan_remove_customer(*, plan: VisitPlan, code: str) -> None:
    deleted, _rows = plan.stops.filter(customer__code=code).delete()
    if not deleted:
        raise NotFound(_("Unknown customer %(code)s.") % {"code": code}, field="customer")
    stops = plan_stops(plan)
    _store(plan, stops, plan_route(plan, stops), optimised=False)


@transaction.atomic
def plan_optimise(*, plan: VisitPlan, time_limit_s: float | None = None) -> routing.Route:
    """Order the stops by the optimiser; those that do not fit go last, without a time."""
    stops = plan_stops(plan)
    route = plan_solve(plan, stops, time_limit_s=time_limit_s)
    _store(plan, stops, route, optimised=True)
    return route


@transaction.atomic
def plan_move(*, plan: VisitPlan, code: str, up: bool) -> routing.Route:
    """Move a stop one place up or down and recompute the times, without re-optimising."""
    stops = plan_stops(plan)
    index = next((i for i, s in enumerate(stops) if s.customer.code == code), None)
    if index is None:
        raise NotFound(_("Unknown customer %(code)s.") % {"code": code}, field="customer")
    other = index - 1 if up else index + 1
    if 0 <= other < len(stops):
        stops[index], stops[other] = stops[other], stops[index]
    for seq, stop in enumerate(stops, start=1):
        stop.seq = seq
    route = plan_route(plan, stops)
    _store(plan, stops, route, optimised=False)
    return route
