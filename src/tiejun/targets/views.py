"""The targets page: a unit's target for a month, its children's, the gaps, the split form."""

from __future__ import annotations

import datetime as dt
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
from tiejun.errors import NotFound, TiejunError
from tiejun.metrics import METRICS
from tiejun.org.selectors import (
    access_unit,
    ancestors,
    can_manage_unit,
    default_unit,
    visible_unit_ids,
)
from tiejun.scoreboard.selectors import split_children
from tiejun.workdays import add_months, parse_month

from .forms import SERVICE_FIELDS, SplitForm, share_field_name
from .selectors import cascade_for_unit, target_changes_for
from .services import month_is_locked


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


def _page_url(code: str, month: dt.date, metric: str) -> str:
    query = urlencode({"month": f"{month:%Y-%m}", "metric": metric})
    return f"{reverse('targets:unit', args=[code])}?{query}"


@login_required
def index(request: HttpRequest) -> HttpResponse:
    unit = default_unit(request.user)  # type: ignore[arg-type]
    if unit is None:
        raise Http404(_("You belong to no unit."))
    month = _month(request.GET.get("month"))
    metric = request.GET.get("metric") or "revenue"
    if metric not in METRICS:
        metric = "revenue"
    return redirect(_page_url(unit.code, month, metric))


@login_required
def unit_targets(request: HttpRequest, unit_code: str) -> HttpResponse:
    user = request.user
    try:
        unit = access_unit(user, unit_code)  # type: ignore[arg-type]
    except NotFound:
        raise Http404(_("No such unit.")) from None
    month = _month(request.GET.get("month"))
    metric = request.GET.get("metric") or "revenue"
    if metric not in METRICS:
        metric = "revenue"
    m = METRICS[metric]
    can_edit = can_manage_unit(user, unit)  # type: ignore[arg-type]
    children = split_children(unit, month)
    preview = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("You may not change the targets of this unit."))
        form = SplitForm(request.POST, children=children, metric=m)
        if form.is_valid():
            if "preview" in request.POST:
                preview = form.shares(unit=unit, month=month)
            else:
                try:
                    form.save(unit=unit, month=month, by=user)  # type: ignore[arg-type]
                except TiejunError as error:
                    form.add_error(SERVICE_FIELDS.get(error.field or "", None), str(error))
                else:
                    messages.success(request, _("Targets saved."))
                    return redirect(_page_url(unit.code, month, metric))
    else:
        form = None
    cascade = cascade_for_unit(unit, month, metric)
    if can_edit and form is None:
        initial = {"total": cascade.own, "method": "even"}
        for row in cascade.rows:
            initial[share_field_name(row.key)] = row.target
        form = SplitForm(initial=initial, children=children, metric=m)
    visible = visible_unit_ids(user)  # type: ignore[arg-type]
    trail = [u for u in ancestors(unit) if u.pk in visible and u.pk != unit.pk]

    def fmt(value):
        return "—" if value is None else m.to_json(value)

    rows = []
    for row in cascade.rows:
        rows.append(
            {
                "row": row,
                "target": fmt(row.target),
                "children_sum": fmt(row.children_sum),
                "gap": fmt(row.gap) if row.gap else "",
                "share": fmt(preview.get(row.key)) if preview is not None else None,
                "field": form[share_field_name(row.key)] if form is not None else None,
            }
        )
    context = {
        "unit": unit,
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "prev_month": f"{add_months(month, -1):%Y-%m}",
        "next_month": f"{add_months(month, 1):%Y-%m}",
        "metric": m,
        "metrics": list(METRICS.values()),
        "locked": month_is_locked(month),
        "cascade": cascade,
        "rows": rows,
        "own": fmt(cascade.own),
        "children_sum": fmt(cascade.children_sum),
        "gap": fmt(cascade.gap),
        "has_gap": cascade.gap > 0,
        "preview": preview,
        "preview_total": fmt(sum(preview.values())) if preview else None,
        "can_edit": can_edit,
        "form": form,
        "trail": trail,
        "changes": list(target_changes_for(unit, month, metric, [r.key for r in cascade.rows])),
    }
    return render(request, "targets/unit.html", context)
