"""The targets page: a unit's target for a month, its children's, the gaps, and the split form
that sets the unit's target and shares it over the children (the target cascade)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tiejun.dateinput import check_day
from tiejun.dateinput import parse_month as parse_month_input
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.metrics import METRICS, Metric
from tiejun.money import grouped, money
from tiejun.org.models import Person, Unit, UnitKind
from tiejun.org.selectors import (
    access_person,
    access_unit,
    ancestors,
    can_manage_unit,
    default_unit,
    visible_unit_ids,
)
from tiejun.targets.allocation import EVEN, HAND, SHARE
from tiejun.targets.cascade import cascade_levels, cascade_plan, cascade_save, default_base
from tiejun.targets.changes import (
    access_change_request,
    change_request_create,
    change_request_decide,
    change_request_withdraw,
    change_requests_for,
)
from tiejun.targets.selectors import Cascade, cascade_for_unit, target_changes_for
from tiejun.targets.services import ChildKey, month_is_locked
from tiejun.targets.signoff import signoff_for_person, signoff_for_unit, targets_confirm
from tiejun.workdays import add_months, month_start, parse_month

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


# --- the one-pass cascade page -------------------------------------------------------------------

ROUND_CHOICES = [("0.01", "¥0.01"), ("1", "¥1"), ("100", "¥100"), ("1000", "¥1,000")]
METHOD_LABELS = {
    EVEN: gettext_lazy("Evenly"),
    SHARE: gettext_lazy("By share of the base period"),
    HAND: gettext_lazy("By hand"),
}


def _plain(value: Decimal) -> str:
    """A figure to type over: 2400000, or 1234.50 when it has cents."""
    whole = value.to_integral_value()
    return f"{whole:f}" if value == whole else f"{value:f}"


def _cell(key: ChildKey) -> str:
    return f"{key[0]}_{key[1]}"


def _decimal(text: str, label: str) -> Decimal | None:
    cleaned = (text or "").replace(",", "").replace("¥", "").replace("，", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise TiejunError(_("%(what)s must be a number") % {"what": label}) from None
    if not value.is_finite():
        raise TiejunError(_("%(what)s must be a number") % {"what": label})
    return value


def _posted_pins(post: Any, metric: Metric) -> dict[ChildKey, Decimal]:
    """The cells kept by hand: ticked "by hand", or changed from the figure the preview showed."""
    pins: dict[ChildKey, Decimal] = {}
    for name in post:
        if not name.startswith("v_"):
            continue
        scope, _sep, pk = name[2:].partition("_")
        if scope not in ("unit", "person") or not pk.isdigit():
            continue
        key: ChildKey = (scope, int(pk))
        value = _decimal(post.get(name, ""), _("a cell"))
        if value is None:
            continue
        auto = post.get(f"auto_{_cell(key)}")
        edited = auto is None or _decimal(auto, _("a cell")) != value
        if post.get(f"pin_{_cell(key)}") or edited:
            pins[key] = metric.quantize(value)
    return pins


def _levels(plan_kinds: list[str]) -> list[str]:
    names = dict(UnitKind.choices) | {"rep": _("Reps")}
    return [" / ".join(str(names.get(k, k)) for k in kinds.split("/")) for kinds in plan_kinds]


@login_required
def cascade_page(request: AuthedRequest, unit_code: str) -> HttpResponse:
    """Split a month's target from this unit down to every rep: one preview, one save."""
    unit = access_unit(request.user, unit_code)
    if not can_manage_unit(request.user, unit):
        raise PermissionDenied(_("You may not change the targets of this unit."))
    month = _month(request.GET.get("month"))
    metric = _metric(request)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else request.GET
    default_start, _end = default_base(today)
    context: dict[str, Any] = {
        "unit": unit,
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "metric": metric,
        "locked": month_is_locked(month),
        "round_choices": ROUND_CHOICES if metric.money else ROUND_CHOICES[1:],
        "method_choices": list(METHOD_LABELS.items()),
        "values": {
            "total": data.get("total", ""),
            "base": data.get("base") or f"{default_start:%Y-%m}",
            "base_months": data.get("base_months") or "1",
            "round": data.get("round") or ("1000" if metric.money else "1"),
            "reason": data.get("reason", ""),
        },
        "plan": None,
        "error": None,
        "trail": _trail(request.user, unit),
        "targets_url": _page_url(unit.code, month, metric.code),
    }
    levels = cascade_levels(unit, month)
    methods = [data.get(f"method_{i}") or (SHARE if i == 0 else EVEN) for i in range(len(levels))]
    context["levels"] = list(zip(range(len(levels)), _levels(levels), methods, strict=True))
    if request.method == "POST" and not (data.get("total") or "").strip():
        context["error"] = _("Enter the total.")
    elif request.method == "POST":
        try:
            base = parse_month_input(data.get("base") or None, field="base")
            total = _decimal(data["total"], _("Total"))
            rounding = _decimal(data.get("round") or "1", _("Round shares"))
            try:
                base_months = int(data.get("base_months") or 1)
            except ValueError:
                raise TiejunError(_("the base period is 1 to 12 months"), field="base") from None
            plan = cascade_plan(
                unit=unit,
                month=month,
                metric=metric.code,
                total=total or Decimal(0),
                methods=methods,
                base=base,
                base_months=base_months,
                rounding=rounding or Decimal(1),
                pinned=_posted_pins(request.POST, metric),
            )
            if "save" in request.POST:
                saved = cascade_save(plan=plan, by=request.user, reason=data.get("reason", ""))
                messages.success(
                    request,
                    _("Targets saved: %(units)s units and %(people)s reps, %(changed)s changed.")
                    % {
                        "units": len(plan.nodes) - len(plan.people),
                        "people": len(plan.people),
                        "changed": saved.created + saved.updated,
                    },
                )
                return redirect(_page_url(unit.code, month, metric.code))
            context["plan"] = plan
            context["rows"] = [
                {
                    "node": node,
                    "cell": _cell(node.key),
                    "indent": node.depth,
                    "share": f"{node.base_share * 100:.1f}%"
                    if node.base_share is not None
                    else "—",
                    "value_text": _plain(node.value),
                }
                for node in plan.nodes
            ]
        except TiejunError as error:
            context["error"] = str(error)
    return render(request, "scoreboard/targets_cascade.html", context)


# --- sign-off: my targets, who has not confirmed ------------------------------------------------


def _signoff_month(request: HttpRequest, person: Person) -> dt.date:
    """The month asked for; else next month when its targets wait for a confirmation, else this
    month."""
    text = request.GET.get("month") or request.POST.get("month")
    if text:
        return _month(text)
    today = timezone.localdate()
    upcoming = add_months(today, 1)
    row = signoff_for_person(person, upcoming)
    return upcoming if row is not None and not row.confirmed else month_start(today)


@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """My targets of a month and the one tap that confirms them (目标确认)."""
    month = _signoff_month(request, request.user)
    if request.method == "POST":
        try:
            _row, created = targets_confirm(person=request.user, month=month)
        except TiejunError as error:
            messages.error(request, str(error))
        else:
            if created:
                messages.success(request, _("Targets confirmed. Thank you!"))
        return redirect(f"{reverse('scoreboard:targets_mine')}?month={month:%Y-%m}")
    row = signoff_for_person(request.user, month)
    context = {
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "prev_month": f"{add_months(month, -1):%Y-%m}",
        "next_month": f"{add_months(month, 1):%Y-%m}",
        "row": row,
        "locked": month_is_locked(month),
        "owed": [
            {"item": o, "metric": METRICS[o.metric], "figure": o.text}
            for o in (row.owed if row else [])
        ],
    }
    return render(request, "scoreboard/targets_mine.html", context)


@login_required
@require_GET
def signoff_slot(request: AuthedRequest, unit_code: str) -> HttpResponse:
    """Who in the unit has not confirmed the month's targets: a card the board, the kickoff and
    the targets page load on their own (so their own reads stay as they are)."""
    unit = access_unit(request.user, unit_code)
    month = _month(request.GET.get("month"))
    signoff = signoff_for_unit(unit, month)
    return render(
        request,
        "scoreboard/_signoff.html",
        {"unit": unit, "signoff": signoff, "month_text": f"{month:%Y-%m}"},
    )


# --- change requests after the lock ----------------------------------------------------------


@login_required
def requests_page(request: AuthedRequest) -> HttpResponse:
    """The approval queue: requests to decide, one's own, and a form to ask for a change."""
    viewer = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                _create_request(request)
                messages.success(request, _("Your request was sent to the level above."))
            else:
                request_id = int(request.POST.get("request") or 0)
                access_change_request(viewer, request_id)
                if action == "withdraw":
                    change_request_withdraw(request_id=request_id, by=viewer)
                    messages.success(request, _("Request withdrawn."))
                elif action in ("approve", "reject"):
                    change_request_decide(
                        request_id=request_id,
                        by=viewer,
                        approve=action == "approve",
                        note=request.POST.get("note", ""),
                    )
                    messages.success(
                        request,
                        _("Approved: the target has changed.")
                        if action == "approve"
                        else _("Request rejected."),
                    )
                else:
                    raise TiejunError(_("unknown action"))
        except (TiejunError, ValueError) as error:
            messages.error(request, str(error))
            return _requests_render(request, form=request.POST)
        return redirect(reverse("scoreboard:targets_requests"))
    return _requests_render(request, form=request.GET)


def _create_request(request: AuthedRequest) -> None:
    data = request.POST
    month = parse_month_input(data.get("month"), field="month")
    if month is None:
        raise TiejunError(_("month must be YYYY-MM"), field="month")
    value = _decimal(data.get("value", ""), _("New target"))
    if value is None:
        raise TiejunError(_("Enter the new target."), field="value")
    code = (data.get("code") or "").strip()
    owner: dict[str, Any]
    if data.get("scope") == "unit":
        owner = {"unit": access_unit(request.user, code)}
    else:
        owner = {"person": access_person(request.user, code or request.user.employee_no)}
    change_request_create(
        by=request.user,
        month=month,
        metric=data.get("metric") or "revenue",
        value=value,
        reason=data.get("reason", ""),
        **owner,
    )


def _requests_render(request: AuthedRequest, *, form: Any) -> HttpResponse:
    status = request.GET.get("status") or "pending"
    rows = change_requests_for(request.user, status=None if status == "all" else status)
    context = {
        "rows": [
            {
                "row": r,
                "metric": METRICS[r.request.metric],
                "holder": r.request.unit or r.request.person,
                "code": r.request.unit.code if r.request.unit else r.request.person.employee_no,  # type: ignore[union-attr]
            }
            for r in rows
        ],
        "status": status,
        "statuses": [("pending", _("Pending")), ("all", _("All"))],
        "form": {
            "scope": form.get("scope") or "person",
            "code": form.get("code") or request.user.employee_no,
            "month": form.get("month") or f"{timezone.localdate():%Y-%m}",
            "metric": form.get("metric") or "revenue",
            "value": form.get("value", ""),
            "reason": form.get("reason", ""),
        },
        "metrics": list(METRICS.values()),
    }
    return render(request, "scoreboard/targets_requests.html", context)
