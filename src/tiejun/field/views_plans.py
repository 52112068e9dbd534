"""Visit plan pages: choose the day's customers, optimise, reorder, print the route sheet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun import routing
from tiejun.crm.customer_selectors import customer_briefs
from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.org.models import Person

from . import plans
from .models import VisitPlan


def _day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404(_("No such date.")) from None
    return check_day(day, field="date")


def _person(request: HttpRequest, employee_no: str) -> Person:
    try:
        return plans.access_planner(request.user, employee_no)  # type: ignore[arg-type]
    except NotFound:
        raise Http404(_("No such person.")) from None


def _time(text: str, field: str) -> dt.time | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        seconds = routing.parse_hhmm(text)
    except ValueError:
        raise TiejunError(_("Enter a time HH:MM."), field=field) from None
    return dt.time(min(seconds, 86340) // 3600, min(seconds, 86340) % 3600 // 60)


@login_required
def plan_home(request: HttpRequest) -> HttpResponse:
    """Today's plan (or ?date=, ?person=) of the user or of a rep they lead."""
    day = request.GET.get("date") or timezone.localdate().isoformat()
    employee_no = request.GET.get("person") or request.user.employee_no  # type: ignore[union-attr]
    _day(day)
    return redirect("field:plan", employee_no=employee_no, day=day)


def _stop_rows(stops: list, route: routing.Route) -> list[dict[str, Any]]:
    late = set(route.late)
    legs = dict(
        zip(
            route.order, zip(route.leg_distance_m, route.leg_duration_s, strict=False), strict=False
        )
    )
    rows = []
    for stop in stops:
        code = stop.customer.code
        arrival = route.arrivals.get(code)
        distance, duration = legs.get(code, (None, None))
        rows.append(
            {
                "stop": stop,
                "customer": stop.customer,
                "arrival": routing.hhmm(arrival) if arrival is not None else "",
                "leaves": routing.hhmm(arrival + stop.service_minutes * 60)
                if arrival is not None
                else "",
                "leg_km": f"{distance / 1000:.1f}" if distance is not None else "",
                "leg_min": round(duration / 60) if duration is not None else "",
                "late": code in late,
                "unplaced": arrival is None,
            }
        )
    return rows


def _context(request: HttpRequest, person: Person, day: dt.date) -> dict[str, Any]:
    plan = plans.plan_for(person, day)
    stops = plans.plan_stops(plan)
    shown = plan or VisitPlan(person=person, date=day)
    route = plans.plan_route(shown, stops)
    data = plans.route_input(shown, stops)
    map_points = {
        "start": [data.depot.lat, data.depot.lon] if stops else None,
        "end": [data.end.lat, data.end.lon] if data.end else None,
        "stops": [
            {"code": p.id, "name": data.by_code[p.id].customer.name, "lat": p.lat, "lon": p.lon}
            for p in (next(s for s in data.stops if s.id == c) for c in route.order)
        ],
    }
    return {
        "person": person,
        "day": day,
        "plan": shown,
        "saved": plan is not None,
        "rows": _stop_rows(stops, route),
        "route": route,
        "start_at": routing.hhmm(route.start_at),
        "return_at": routing.hhmm(route.return_at),
        "lunch_at": routing.hhmm(route.lunch_at) if route.lunch_at is not None else "",
        "total_km": f"{route.distance_m / 1000:.1f}",
        "total_min": round(route.duration_s / 60),
        "late_back": (data.end or data.depot).id in route.late,
        "map_points": map_points,
        "tiles": plans.map_tiles(),
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }


@login_required
def plan_page(request: HttpRequest, employee_no: str, day: str) -> HttpResponse:
    person = _person(request, employee_no)
    date = _day(day)
    if request.method == "POST":
        try:
            _act(request, person, date)
        except NotFound as exc:
            raise Http404(str(exc)) from None
        except TiejunError as exc:
            messages.error(request, str(exc))
        return redirect("field:plan", employee_no=person.employee_no, day=date.isoformat())
    context = _context(request, person, date)
    context["suggestions"] = plans.plan_suggestions(
        person, date, [r["stop"] for r in context["rows"]]
    )
    context["people"] = plans.plannable_people(request.user)  # type: ignore[arg-type]
    return render(request, "field/plan.html", context)


def _act(request: HttpRequest, person: Person, date: dt.date) -> None:
    action = request.POST.get("action", "")
    plan = plans.plan_get_or_create(person=person, date=date)
    if action == "add":
        codes = request.POST.getlist("customer") + (request.POST.get("codes", "").split(","))
        added = plans.plan_add_customers(plan=plan, codes=codes)
        messages.success(request, _("%(n)s customers added.") % {"n": len(added)})
    elif action == "remove":
        plans.plan_remove_customer(plan=plan, code=request.POST.get("customer", ""))
    elif action in ("up", "down"):
        plans.plan_move(plan=plan, code=request.POST.get("customer", ""), up=action == "up")
    elif action == "optimise":
        route = plans.plan_optimise(plan=plan)
        if route.dropped:
            messages.warning(
                request,
                _("Do not fit into the day: %(codes)s") % {"codes": ", ".join(route.dropped)},
            )
        else:
            messages.success(request, _("Route optimised."))
    elif action == "settings":
        post = request.POST
        try:
            lunch_minutes = int(post.get("lunch_minutes") or 0)
        except ValueError:
            raise TiejunError(_("Enter a number."), field="lunch_minutes") from None
        plans.plan_update(
            plan=plan,
            start_label=post.get("start_label", ""),
            start_lat=post.get("start_lat"),
            start_lon=post.get("start_lon"),
            end_label=post.get("end_label", ""),
            end_lat=post.get("end_lat"),
            end_lon=post.get("end_lon"),
            day_starts_at=_time(post.get("day_starts_at", ""), "day_starts_at"),
            day_ends_at=_time(post.get("day_ends_at", ""), "day_ends_at"),
            lunch_from=_time(post.get("lunch_from", ""), "lunch_from"),
            lunch_minutes=lunch_minutes,
        )
        messages.success(request, _("Plan saved."))
    else:
        raise TiejunError(_("Unknown action."))


def _sheet_context(request: HttpRequest, employee_no: str, day: str) -> dict[str, Any]:
    person = _person(request, employee_no)
    date = _day(day)
    context = _context(request, person, date)
    briefs = customer_briefs([r["customer"] for r in context["rows"]])
    for row in context["rows"]:
        row["brief"] = briefs.get(row["customer"].pk)
    return context


@login_required
def plan_sheet(request: HttpRequest, employee_no: str, day: str) -> HttpResponse:
    context = _sheet_context(request, employee_no, day)
    context["pdf_url"] = reverse("field:plan-pdf", args=[employee_no, day])
    return render(request, "field/plan_sheet.html", context)


@login_required
def plan_pdf(request: HttpRequest, employee_no: str, day: str) -> HttpResponse:
    from .plan_pdf import route_sheet_pdf

    context = _sheet_context(request, employee_no, day)
    body = route_sheet_pdf(context)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"route-{context['person'].employee_no}-{context['day'].isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
