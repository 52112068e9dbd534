"""Deal pages: the list, record a deal, a deal with its audit trail, correct a deal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.dateinput import check_day
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.models import Person
from tiejun.org.selectors import access_person, access_unit, can_record_deal_for, subtree_ids
from tiejun.workdays import month_end, parse_month

from ..forms import DealFilterForm, DealForm
from ..models import Deal
from ..selectors.deals import (
    access_deal,
    deal_existing,
    deal_history,
    deal_list_for_user,
    deal_visible,
)
from ..services.deals import DealInput, DealNumberTaken, deal_number_unusable, deal_record

PAGE_SIZE = 50

FIELD_LABELS = {
    "deal_no": gettext_lazy("Deal number"),
    "employee_no": gettext_lazy("Rep"),
    "customer_code": gettext_lazy("Customer code"),
    "customer_name": gettext_lazy("Customer name"),
    "amount": gettext_lazy("Amount"),
    "won_date": gettext_lazy("Won date"),
    "channel": gettext_lazy("Channel"),
}


def _filters(form: DealFilterForm, viewer: Person) -> dict[str, Any] | None:
    """Selector arguments from the filter form; None when a filter matches nothing."""
    args: dict[str, Any] = {}
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if data["month"]:
        try:
            start = check_day(parse_month(data["month"]), field="month")
        except ValueError:
            form.add_error("month", _("Enter a month as YYYY-MM."))
            return None
        except TiejunError as error:
            form.add_error("month", str(error))
            return None
        args.update(start=start, end=month_end(start))
    # A unit or person the viewer may not see reads as unknown, like a code that does not exist.
    if data["unit"]:
        try:
            unit = access_unit(viewer, data["unit"].strip())
        except NotFound:
            form.add_error("unit", _("No such unit."))
            return None
        args["unit_ids"] = set(subtree_ids(unit))
    if data["rep"]:
        try:
            args["rep"] = access_person(viewer, data["rep"].strip())
        except NotFound:
            form.add_error("rep", _("No such employee."))
            return None
    return args


@login_required
def deal_list(request: AuthedRequest) -> HttpResponse:
    form = DealFilterForm(request.GET)
    args = _filters(form, request.user)
    qs = deal_list_for_user(request.user, **args) if args is not None else Deal.objects.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "crm/deal_list.html",
        {"form": form, "page": page, "deals": list(page.object_list), "query": query.urlencode()},
    )


def _taken(user: Person, deal_no: str) -> str:
    """Why a new deal's number cannot be used, telling nothing of a deal out of sight."""
    found = deal_existing(deal_no=deal_no)
    if found is None or not deal_visible(user, found):
        return str(deal_number_unusable(deal_no))
    return _("Deal number %(no)s is already used.") % {"no": deal_no}


def _save(request: AuthedRequest, form: DealForm, *, reason: str = "") -> Deal | None:
    """Record the form's deal; on a user error put it on the form and write nothing."""
    data = form.cleaned_data
    rep = form.rep_person()
    if not can_record_deal_for(request.user, rep):
        form.add_error("rep", _("You may not record deals for this person."))
        return None
    item = DealInput(
        deal_no=data["deal_no"],
        person=rep,
        customer_code=data["customer_code"],
        customer_name=data["customer_name"],
        amount=data["amount"],
        won_date=data["won_date"],
        channel=data["channel"],
        client_id=data.get("client_id") or None,
    )
    try:
        deal, _created = deal_record(
            item=item,
            by=request.user,
            reason=reason,
            new=form.deal is None,
        )
    except DealNumberTaken as taken:  # another create with this number came first
        form.add_error("deal_no", _taken(request.user, taken.deal_no))
        return None
    except TiejunError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error))
        return None
    return deal


@login_required
def deal_new(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        form = DealForm(request.POST, user=request.user)
        if form.is_valid() and (deal := _save(request, form)) is not None:
            messages.success(request, _("Deal %(no)s recorded.") % {"no": deal.deal_no})
            return redirect("deals:detail", deal_no=deal.deal_no)
    else:
        form = DealForm(user=request.user)
    return render(request, "crm/deal_form.html", {"form": form, "deal": None})


def _changes(deal: Deal) -> list[dict[str, Any]]:
    rows = []
    for change in deal_history(deal):
        before, after = change.before or {}, change.after or {}
        fields = [
            {"label": label, "before": before.get(key, ""), "after": after.get(key, "")}
            for key, label in FIELD_LABELS.items()
            if before.get(key) != after.get(key)
        ]
        rows.append({"change": change, "created": change.before is None, "fields": fields})
    return rows


@login_required
def deal_detail(request: AuthedRequest, deal_no: str) -> HttpResponse:
    deal = access_deal(request.user, deal_no)
    return render(
        request,
        "crm/deal_detail.html",
        {
            "deal": deal,
            "changes": _changes(deal),
            "can_edit": can_record_deal_for(request.user, deal.person),
        },
    )


@login_required
def deal_edit(request: AuthedRequest, deal_no: str) -> HttpResponse:
    deal = access_deal(request.user, deal_no)
    if not can_record_deal_for(request.user, deal.person):
        raise PermissionDenied(_("You may not correct this deal."))
    initial = {
        "deal_no": deal.deal_no,
        "rep": deal.person.employee_no,
        "customer_code": deal.customer.code,
        "customer_name": deal.customer.name,
        "amount": deal.amount,
        "won_date": deal.won_date,
        "channel": deal.channel,
    }
    if request.method == "POST":
        form = DealForm(request.POST, initial=initial, user=request.user, deal=deal)
        if form.is_valid() and _save(request, form, reason=form.cleaned_data["reason"]) is not None:
            messages.success(request, _("Deal %(no)s corrected.") % {"no": deal.deal_no})
            return redirect("deals:detail", deal_no=deal.deal_no)
    else:
        form = DealForm(initial=initial, user=request.user, deal=deal)
    return render(request, "crm/deal_form.html", {"form": form, "deal": deal})
