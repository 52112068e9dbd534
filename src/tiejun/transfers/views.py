"""Transfer order pages: my orders, one order (acknowledge, report in, confirm the arrival),
issuing one, and a region's orders with the on-time rate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.models import Role
from tiejun.org.selectors import (
    access_person,
    access_unit,
    board_roots,
    can_move_person,
    current_or_last_membership,
    manageable_units,
)

from .forms import OrderForm
from .models import TransferOrder
from .selectors import (
    access_order,
    may_confirm_arrival,
    my_orders,
    offices_for,
    on_time,
    region_orders,
    status_of,
)
from .services import order_acknowledge, order_confirm_arrival, order_issue, order_report_checkin


def _rows(orders: list[TransferOrder], now: dt.datetime) -> list[dict[str, Any]]:
    return [{"order": o, "status": status_of(o, now)} for o in orders]


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    orders = list(my_orders(request.user))
    return render(request, "transfers/mine.html", {"rows": _rows(orders, now)})


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: AuthedRequest, order_id: int) -> HttpResponse:
    viewer = request.user
    order = access_order(viewer, order_id)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "acknowledge":
                order_acknowledge(order=order, by=viewer)
                messages.success(request, _("Order acknowledged."))
            elif action == "report":
                order_report_checkin(
                    order=order,
                    by=viewer,
                    lat=request.POST.get("lat"),
                    lon=request.POST.get("lon"),
                    accuracy_m=request.POST.get("accuracy_m"),
                )
                messages.success(
                    request, _("Reported in at %(office)s.") % {"office": order.office.name}
                )
            elif action == "arrived":
                order_confirm_arrival(order=order, by=viewer)
                messages.success(request, _("Arrival confirmed."))
            else:
                raise TiejunError(_("Unknown action."))
        except TiejunError as exc:  # shown on the page
            error = str(exc)
        else:
            return redirect("transfers:detail", order_id=order.pk)
        order = access_order(viewer, order_id)
    context = {
        "order": order,
        "status": status_of(order),
        "is_mine": order.person_id == viewer.pk,
        "may_confirm": may_confirm_arrival(viewer, order) and order.reported_at is None,
        "error": error,
    }
    return render(request, "transfers/detail.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: AuthedRequest, employee_no: str) -> HttpResponse:
    viewer = request.user
    person = access_person(viewer, employee_no)
    current = current_or_last_membership(person, timezone.localdate())
    if current is None or not can_move_person(viewer, person, current.unit, current.unit, None):
        raise Http404(_("No such page."))
    units, offices = manageable_units(viewer), offices_for(viewer)
    if request.method != "POST":
        form = OrderForm(
            units=units,
            offices=offices,
            initial={
                "unit": current.unit,
                "role": current.role,
                "effective_date": timezone.localdate(),
            },
        )
        return render(request, "transfers/issue.html", {"person": person, "form": form})
    form = OrderForm(request.POST, units=units, offices=offices)
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = order_issue(
                person=person,
                unit=data["unit"],
                role=data["role"],
                effective=data["effective_date"],
                report_by=data["report_by"],
                office=data["office"],
                note=data["note"],
                by=viewer,
                confirm=data["confirm"],
                choices=form.move_choices(),
            )
        except MoveNeedsConfirmation as refused:
            form.show_warnings(refused.warnings)
        except TiejunError as exc:
            form.add_tiejun_error(exc)
        else:
            messages.success(
                request,
                _("Order issued: %(name)s to %(unit)s as %(role)s from %(day)s.")
                % {
                    "name": person.name,
                    "unit": order.to_unit.name,
                    "role": Role(order.to_role).label,
                    "day": order.effective.isoformat(),
                },
            )
            return redirect("transfers:detail", order_id=order.pk)
    return render(request, "transfers/issue.html", {"person": person, "form": form}, status=400)


@login_required
@require_GET
def my_region(request: AuthedRequest) -> HttpResponse:
    roots = board_roots(request.user)
    if not roots:
        raise Http404(_("No such page."))
    # The widest unit the viewer sees: a region manager's region, a branch's own branch.
    return redirect("transfers:region", unit_code=roots[0].code)


@login_required
@require_GET
def region(request: AuthedRequest, unit_code: str) -> HttpResponse:
    unit = access_unit(request.user, unit_code)
    now = timezone.now()
    orders = list(region_orders(request.user, unit))
    show_all = request.GET.get("all") == "1"
    shown = orders if show_all else [o for o in orders if o.reported_at is None]
    context = {
        "unit": unit,
        "rows": _rows(shown, now),
        "rate": on_time(orders, now),
        "show_all": show_all,
    }
    return render(request, "transfers/region.html", context)
