"""The targets page: a unit's target for a month, its children's, the gaps, and the split form
that sets the unit's target and shares it over the children (the target cascade)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.dateinput import check_day
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import METRICS, Metric
from tiejun.money import grouped, money
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import (
    access_unit,
    ancestors,
    can_manage_unit,
    default_unit,
    visible_unit_ids,
)
from tiejun.targets.selectors import Cascade, cascade_for_unit, target_changes_for
from tiejun.targets.services import ChildKey, month_is_locked
from tiejun.workdays import add_months, parse_month

from ..forms import SERVICE_FIELDS, Child, SplitForm, share_field_name
from ..selectors import split_children


def _month(text: str | None) -> dt.date:
    """The month asked for, else next month (the one a manager usually splits)."""
    if text:
        try:
            month = parse_month(text)
        except ValueError:
            pass
        else:  # a month of year 1 or 9999 is refused (400), not the start of an overflow
            return check_day(month, field="month")
    return add_months(timezone.localdate(), 1)


def _metric(request: HttpRequest) -> Metric:
    """The metric asked for; revenue for none or an unknown one."""
    return METRICS.get(request.GET.get("metric") or "revenue") or METRICS["revenue"]


def _page_url(code: str, month: dt.date, metric: str) -> str:
    query = urlencode({"month": f"{month:%Y-%m}", "metric": metric})
    return f"{reverse('scoreboard:targets_unit', args=[code])}?{query}"


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    unit = default_unit(request.user)
    if unit is None:
        raise Http404(_("You belong to no unit."))
    month = _month(request.GET.get("month"))
    return redirect(_page_url(unit.code, month, _metric(request).code))


def _posted_split(
    request: AuthedRequest, *, unit: Unit, month: dt.date, metric: Metric, children: list[Child]
) -> tuple[SplitForm, dict[ChildKey, Decimal] | None, bool]:
    """The posted split form; what each child would get on a preview; whether it was saved."""
    form = SplitForm(request.POST, children=children, metric=metric)
    if not form.is_valid():
        return form, None, False
    if "preview" in request.POST:
        return form, form.shares(unit=unit, month=month), False
    try:
        form.save(unit=unit, month=month, by=request.user)
    except TiejunError as error:  # shown on the form, beside the field at fault
        form.add_error(SERVICE_FIELDS.get(error.field or ""), str(error))
        return form, None, False
    return form, None, True


def _initial_form(cascade: Cascade, *, metric: Metric, children: list[Child]) -> SplitForm:
    """The split form filled with the targets as they stand, evenly split by default."""
    initial: dict[str, Any] = {"total": cascade.own, "method": "even"}
    for row in cascade.rows:
        initial[share_field_name(row.key)] = row.target
    return SplitForm(initial=initial, children=children, metric=metric)


def _trail(viewer: Person, unit: Unit) -> list[Unit]:
    """The units above ``unit`` that ``viewer`` may see, for the breadcrumb."""
    visible = visible_unit_ids(viewer)
    return [u for u in ancestors(unit) if u.pk in visible and u.pk != unit.pk]


def _context(
    cascade: Cascade,
    *,
    unit: Unit,
    month: dt.date,
    metric: Metric,
    form: SplitForm | None,
    preview: dict[ChildKey, Decimal] | None,
) -> dict[str, Any]:
    def fmt(value: Decimal | int | None) -> str:
        """As the page shows a figure: ¥ with separators, a count grouped."""
        if value is None:
            return "—"
        return money(value) if metric.money else grouped(Decimal(value), 0)

    preview_sum = sum(preview.values(), Decimal(0)) if preview else None
    preview_gap = None
    if preview is not None and form is not None and form.is_valid():
        preview_gap = metric.quantize(form.cleaned_data["total"]) - (preview_sum or Decimal(0))

    rows = [
        {
            "row": row,
            "target": fmt(row.target),
            "children_sum": fmt(row.children_sum),
            "gap": fmt(row.gap) if row.gap else "",
            "share": fmt(preview.get(row.key)) if preview is not None else None,
            "field": form[share_field_name(row.key)] if form is not None else None,
        }
        for row in cascade.rows
    ]
    return {
        "unit": unit,
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "prev_month": f"{add_months(month, -1):%Y-%m}",
        "next_month": f"{add_months(month, 1):%Y-%m}",
        "metric": metric,
        "metrics": list(METRICS.values()),
        "locked": month_is_locked(month),
        "cascade": cascade,
        "rows": rows,
        "own": fmt(cascade.own),
        "children_sum": fmt(cascade.children_sum),
        "gap": fmt(cascade.gap),
        "has_gap": cascade.gap > 0,
        "preview": preview,
        "preview_total": fmt(preview_sum) if preview else None,
        "preview_gap": preview_gap,
        "preview_gap_text": fmt(abs(preview_gap)) if preview_gap else "",
        "form": form,
        "changes": list(
            target_changes_for(unit, month, metric.code, [r.key for r in cascade.rows])
        ),
    }


@login_required
def unit_targets(request: AuthedRequest, unit_code: str) -> HttpResponse:
    unit = access_unit(request.user, unit_code)
    month = _month(request.GET.get("month"))
    metric = _metric(request)
    can_edit = can_manage_unit(request.user, unit)
    children = split_children(unit, month)
    form, preview = None, None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("You may not change the targets of this unit."))
        form, preview, saved = _posted_split(
            request, unit=unit, month=month, metric=metric, children=children
        )
        if saved:
            messages.success(request, _("Targets saved."))
            return redirect(_page_url(unit.code, month, metric.code))
    cascade = cascade_for_unit(unit, month, metric.code)
    if can_edit and form is None:
        form = _initial_form(cascade, metric=metric, children=children)
    context = _context(cascade, unit=unit, month=month, metric=metric, form=form, preview=preview)
    context.update(can_edit=can_edit, trail=_trail(request.user, unit))
    return render(request, "scoreboard/targets.html", context)
