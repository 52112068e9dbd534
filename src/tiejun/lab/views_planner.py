"""The mix planner page: current mix vs recommended, next quarter's inputs, what-if sliders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tiejun.errors import NotFound
from tiejun.org.models import Person, Role
from tiejun.org.selectors import access_unit, default_unit, is_admin, membership_on

from .planner import parse_number, planner_for_unit


def _may_plan(person: Person) -> bool:
    """Managers and admin plan the mix (for the units they may see)."""
    if is_admin(person):
        return True
    membership = membership_on(person, timezone.localdate())
    return membership is not None and membership.role in (Role.MANAGER, Role.COORDINATOR)


@login_required
@require_GET
def planner(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    if not _may_plan(person):
        raise Http404("no planner for this user")
    code = str(request.GET.get("unit") or getattr(default_unit(person), "code", ""))
    try:
        unit = access_unit(person, code)
    except NotFound as error:
        raise Http404(str(error)) from None
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for key in request.GET:
        if key.startswith(("min_", "max_")):
            model = key[4:]
            low, high = bounds.get(model, (None, None))
            value = parse_number(request.GET.get(key))
            bounds[model] = (value, high) if key.startswith("min_") else (low, value)
    result = planner_for_unit(
        unit,
        today=timezone.localdate(),
        total_hours=parse_number(request.GET.get("hours")),
        budget=parse_number(request.GET.get("budget")),
        bounds=bounds,
    )
    current = {r.code: r.current_hours for r in result.fitted_rows}
    slider_max = max([result.total_hours, *current.values(), 1.0])
    context = {
        "unit": unit,
        "result": result,
        "plan": result.plan,
        "slider_max": round(slider_max),
        "curves": {
            "cells": result.cells,
            "curves": result.curves,
            "current": current,
            "recommended": {r.code: r.recommended_hours for r in result.fitted_rows},
        },
    }
    return render(request, "lab/planner.html", context)
