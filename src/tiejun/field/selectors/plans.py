"""Reads of visit plans (拜访计划): who may plan for whom, the plan with its stops, suggestions,
and the route of a plan as it stands or as the optimiser would order it (no writes). The route
itself comes from the pure core in ``tiejun.routing``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun import routing
from tiejun.crm.models import Customer, CustomerStatus, Opportunity
from tiejun.crm.selectors.customers import OPEN_STAGES, customers_visible_to
from tiejun.errors import NotFound
from tiejun.org.models import Membership, Person
from tiejun.org.selectors import can_record_deal_for, is_admin, led_unit_ids

from ..models import PlanStop, VisitPlan

NEAR_POOL_KM = 3.0


# --- settings -------------------------------------------------------------------------------


def revisit_days() -> dict[str, int]:
    """Revisit interval per priority from TIEJUN_REVISIT_DAYS ("A=7,B=14,C=30")."""
    days = {"A": 7, "B": 14, "C": 30}
    for part in str(settings.REVISIT_DAYS or "").split(","):
        key, _sep, value = part.partition("=")
        if key.strip().upper() in days and value.strip().isdigit():
            days[key.strip().upper()] = int(value)
    return days


def office_point() -> tuple[float, float] | None:
    lat, lon = settings.OFFICE_LAT, settings.OFFICE_LON
    if lat is None or lat == "" or lon is None or lon == "":
        return None
    try:
        return (float(lat), float(lon))
    except (TypeError, ValueError):
        return None


def road_factor() -> float:
    return float(settings.ROAD_FACTOR or 1.3)


# --- who plans, what is planned ----------------------------------------------------------------


def access_planner(viewer: Person, employee_no: str) -> Person:
    """The person whose plans ``viewer`` may see and edit: themself, or a rep of a unit they
    lead (admin: anyone). Anyone else is not found."""
    if not viewer.is_authenticated:
        raise NotFound(_("No such person."), field="employee_no")
    if viewer.employee_no == employee_no:
        return viewer
    person = Person.objects.filter(employee_no=employee_no).first()
    if person is None or not can_record_deal_for(viewer, person):
        raise NotFound(_("No such person."), field="employee_no")
    return person


def plannable_people(viewer: Person) -> list[Person]:
    """Whom ``viewer`` may plan for: themself first, then the current members they lead."""
    day = timezone.localdate()
    if is_admin(viewer):
        ids = Membership.objects.on(day).values("person_id")
    else:
        led = led_unit_ids(viewer, day)
        if not led:
            return [viewer]
        ids = Membership.objects.on(day).filter(unit_id__in=led).values("person_id")
    others = Person.objects.filter(pk__in=ids).exclude(pk=viewer.pk).order_by("employee_no")
    return [viewer, *others]


def plan_for(person: Person, day: dt.date) -> VisitPlan | None:
    return VisitPlan.objects.filter(person=person, date=day).first()


def plan_stops(plan: VisitPlan | None) -> list[PlanStop]:
    if plan is None or plan.pk is None:
        return []
    return list(plan.stops.select_related("customer").order_by("seq", "id"))


def plan_customers(person: Person) -> QuerySet[Customer]:
    """Customers ``person`` may put on their plan: the ones they can see (own + pool …)."""
    return customers_visible_to(person).exclude(status=CustomerStatus.LOST)


@dataclass
class Suggestion:
    customer: Customer
    reason: str
    detail: str = ""


@dataclass
class Suggestions:
    overdue: list[Suggestion] = field(default_factory=list)
    opportunities: list[Suggestion] = field(default_factory=list)
    nearby: list[Suggestion] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.overdue or self.opportunities or self.nearby)


def _coordinate(value: Decimal | None) -> float:
    """A latitude or longitude already checked to be set."""
    assert value is not None
    return float(value)


def _point_of(lat: Any, lon: Any) -> tuple[float, float] | None:
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def plan_suggestions(
    person: Person, day: dt.date, stops: list[PlanStop] | None = None, *, limit: int = 10
) -> Suggestions:
    """Customers worth adding to the plan of ``day``: three queries whatever the data.

    - overdue: own customers whose last visit (or follow-up) is older than the revisit interval
      of their priority (never visited counts as overdue), A before B before C;
    - opportunities: own customers with an open opportunity, closest expected close first;
    - nearby: open-pool customers within a few kilometres of the planned stops.
    """
    stops = stops or []
    planned = {s.customer_id for s in stops}
    days = revisit_days()
    result = Suggestions()

    # a person always sees their own customers: no visibility rule needed for these two lists
    own = (
        Customer.objects.filter(owner=person)
        .exclude(status=CustomerStatus.LOST)
        .exclude(pk__in=planned)
        .annotate(last_visit=Max("visits__checkin_at"))
    )
    overdue: list[tuple[str, int, Customer, dt.date | None]] = []
    for annotated in own:
        last = annotated.last_activity_on
        if annotated.last_visit is not None:
            visited = timezone.localtime(annotated.last_visit).date()
            last = max(last, visited) if last else visited
        interval = days.get(annotated.priority, 30)
        if last is None:
            overdue.append((annotated.priority, -10_000, annotated, None))
        elif (day - last).days >= interval:
            overdue.append((annotated.priority, -(day - last).days, annotated, last))
    overdue.sort(key=lambda row: (row[0], row[1], row[2].code))
    for _p, _d, customer, last in overdue[:limit]:
        detail = (
            _("last visit %(date)s") % {"date": last.isoformat()} if last else _("never visited")
        )
        result.overdue.append(Suggestion(customer, "overdue", detail))

    seen: set[int] = set()
    opportunities = (
        Opportunity.objects.filter(
            stage__in=OPEN_STAGES,
            customer__owner=person,
        )
        .exclude(customer_id__in=planned)
        .select_related("customer")
        .order_by(
            # an opportunity without a close date comes last
            "expected_close",
            "id",
        )[: limit * 3]
    )
    for opp in opportunities:
        if opp.customer_id in seen or opp.customer.status == CustomerStatus.LOST:
            continue
        seen.add(opp.customer_id)
        detail = f"{opp.title} · {opp.get_stage_display()} · {opp.amount}"
        result.opportunities.append(Suggestion(opp.customer, "opportunity", detail))
        if len(result.opportunities) >= limit:
            break

    anchors = [p for s in stops if (p := _point_of(s.customer.lat, s.customer.lon))]
    if anchors:
        pad_lat = NEAR_POOL_KM / 111.0
        pad_lon = NEAR_POOL_KM / (111.0 * max(0.2, math.cos(math.radians(anchors[0][0]))))
        lats, lons = [a[0] for a in anchors], [a[1] for a in anchors]
        pool = (
            Customer.objects.filter(
                owner__isnull=True,
                lat__gte=min(lats) - pad_lat,
                lat__lte=max(lats) + pad_lat,
                lon__gte=min(lons) - pad_lon,
                lon__lte=max(lons) + pad_lon,
            )
            .exclude(status=CustomerStatus.LOST)
            .exclude(pk__in=planned)[:500]
        )
        near = []
        for customer in pool:
            if customer.lat is None or customer.lon is None:
                continue  # the query's lat/lon ranges already exclude these
            here = (float(customer.lat), float(customer.lon))
            metres = min(routing.haversine_m(*here, *a) for a in anchors)
            if metres <= NEAR_POOL_KM * 1000:
                near.append((metres, customer.code, customer))
        near.sort(key=lambda row: (row[0], row[1]))
        for metres, _code, customer in near[:limit]:
            detail = _("%(km)s km from the route") % {"km": f"{metres / 1000:.1f}"}
            result.nearby.append(Suggestion(customer, "nearby", detail))
    return result


# --- the route --------------------------------------------------------------------------------


def time_seconds(value: dt.time | str | None) -> int | None:
    """A time of day as seconds since midnight (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):  # a model default on an instance not read back ("09:00")
        return routing.parse_hhmm(value[:5])
    return value.hour * 3600 + value.minute * 60


@dataclass
class RouteInput:
    depot: routing.Point
    end: routing.Point | None
    stops: list[routing.Point]  # the stops with a position, in plan order
    unplaced: list[PlanStop]  # no position: cannot be routed
    by_code: dict[str, PlanStop]
    start_time: int
    end_time: int
    lunch: tuple[int, int] | None


def route_input(plan: VisitPlan, stops: list[PlanStop]) -> RouteInput:
    """The plan as plain data for the optimiser: depot, end, stops with their windows."""
    placed = [s for s in stops if s.customer.lat is not None and s.customer.lon is not None]
    start = _point_of(plan.start_lat, plan.start_lon) or office_point()
    if start is None and placed:
        start = (
            sum(_coordinate(s.customer.lat) for s in placed) / len(placed),
            sum(_coordinate(s.customer.lon) for s in placed) / len(placed),
        )
    start = start or (0.0, 0.0)
    end = _point_of(plan.end_lat, plan.end_lon)
    points = [
        routing.Point(
            id=s.customer.code,
            lat=_coordinate(s.customer.lat),
            lon=_coordinate(s.customer.lon),
            opens=time_seconds(s.customer.opens_at),
            closes=time_seconds(s.customer.closes_at),
            service_s=s.service_minutes * 60,
        )
        for s in placed
    ]
    lunch = None
    if plan.lunch_from is not None and plan.lunch_minutes:
        lunch = (time_seconds(plan.lunch_from) or 0, plan.lunch_minutes * 60)
    return RouteInput(
        depot=routing.Point("start", *start, service_s=0),
        end=routing.Point("end", *end, service_s=0) if end and end != start else None,
        stops=points,
        unplaced=[s for s in stops if s not in placed],
        by_code={s.customer.code: s for s in stops},
        start_time=time_seconds(plan.day_starts_at) or 9 * 3600,
        end_time=time_seconds(plan.day_ends_at) or 18 * 3600,
        lunch=lunch,
    )


def _matrices(data: RouteInput) -> tuple[list[list[int]], list[list[int]]]:
    points = [data.depot, *data.stops] + ([data.end] if data.end else [])
    return routing.GreatCircleProvider(road_factor=road_factor()).matrix(points)


def plan_route(plan: VisitPlan, stops: list[PlanStop] | None = None) -> routing.Route:
    """Times and distances of the plan in its current order (no optimisation, no writes)."""
    stops = plan_stops(plan) if stops is None else stops
    data = route_input(plan, stops)
    dist, dur = _matrices(data)
    return routing.schedule(
        data.depot,
        data.stops,
        dist,
        dur,
        start_time=data.start_time,
        end_time=data.end_time,
        lunch=data.lunch,
        end=data.end,
    )


def plan_solve(
    plan: VisitPlan, stops: list[PlanStop] | None = None, *, time_limit_s: float | None = None
) -> routing.Route:
    """The optimised route of the plan (no writes)."""
    stops = plan_stops(plan) if stops is None else stops
    data = route_input(plan, stops)
    route = routing.solve(
        data.depot,
        data.stops,
        start_time=data.start_time,
        end_time=data.end_time,
        lunch=data.lunch,
        time_limit_s=time_limit_s,
        matrices=_matrices(data),
        end=data.end,
    )
    route.dropped += [s.customer.code for s in data.unplaced]
    return route


def route_json(route: routing.Route, *, depot_id: str, end_id: str | None = None) -> dict:
    """The ``tiejun route --json`` contract."""
    return {
        "order": [depot_id, *route.order, end_id or depot_id],
        "distance_m": int(route.distance_m),
        "duration_s": int(route.duration_s),
        "arrivals": {code: routing.hhmm(t) for code, t in route.arrivals.items()},
    }
