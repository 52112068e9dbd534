"""Customer pages: the list, a customer's detail with pool actions, and the map."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiejun.errors import NotFound, TiejunError

from .customer_selectors import (
    CustomerFilters,
    access_customer,
    customer_detail,
    customer_list,
    customers_for_map,
    handover_candidates,
    owners_visible_to,
)
from .customers import (
    customer_claim,
    customer_handover,
    customer_permissions,
    customer_release,
)
from .models import Customer, CustomerStatus, Priority

PAGE_SIZE = 50


def _access(user: Any, code: str) -> Customer:
    try:
        return access_customer(user, code)
    except NotFound:
        raise Http404(_("No such customer.")) from None


def _filter_context(request: HttpRequest, filters: CustomerFilters) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "owners": list(owners_visible_to(request.user)),  # type: ignore[arg-type]
        "statuses": CustomerStatus.choices,
        "priorities": Priority.choices,
        "query": query.urlencode(),
    }


@login_required
def customer_list_page(request: HttpRequest) -> HttpResponse:
    filters = CustomerFilters.from_query(request.GET)
    qs = customer_list(request.user, filters)  # type: ignore[arg-type]
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/customer_list.html",
        {"page": page, "customers": list(page.object_list), **_filter_context(request, filters)},
    )


@login_required
def customer_map(request: HttpRequest) -> HttpResponse:
    filters = CustomerFilters.from_query(request.GET)
    return render(
        request,
        "crm/customer_map.html",
        {
            "points": customers_for_map(request.user, filters),  # type: ignore[arg-type]
            "tiles": getattr(settings, "MAP_TILES", "") or "",
            **_filter_context(request, filters),
        },
    )


@login_required
def customer_detail_page(request: HttpRequest, code: str) -> HttpResponse:
    customer = _access(request.user, code)
    may = customer_permissions(request.user, customer)  # type: ignore[arg-type]
    candidates = (
        list(handover_candidates(request.user, admin=may["admin"], led=may["led"]))  # type: ignore[arg-type]
        if may["handover"]
        else []
    )
    return render(
        request,
        "crm/customer_detail.html",
        {
            "detail": customer_detail(customer),
            "customer": customer,
            "can_claim": may["claim"],
            "can_release": may["release"],
            "can_handover": may["handover"],
            "candidates": candidates,
        },
    )


def _act(request: HttpRequest, code: str, action: Any, done: str) -> HttpResponse:
    customer = _access(request.user, code)
    try:
        action(customer)
    except TiejunError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"name": customer.name})
    # After a release or handover the customer may no longer be visible: go to the list then.
    try:
        access_customer(request.user, code)  # type: ignore[arg-type]
    except NotFound:
        return redirect("customers:list")
    return redirect("customers:detail", code=code)


@login_required
@require_POST
def customer_claim_view(request: HttpRequest, code: str) -> HttpResponse:
    return _act(
        request,
        code,
        lambda c: customer_claim(customer=c, person=request.user),  # type: ignore[arg-type]
        _("%(name)s is now your customer."),
    )


@login_required
@require_POST
def customer_release_view(request: HttpRequest, code: str) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(
        request,
        code,
        lambda c: customer_release(customer=c, by=request.user, note=note),  # type: ignore[arg-type]
        _("%(name)s is back in the open pool."),
    )


@login_required
@require_POST
def customer_handover_view(request: HttpRequest, code: str) -> HttpResponse:
    from tiejun.org.models import Person

    to = Person.objects.filter(employee_no=request.POST.get("to", "").strip()).first()
    note = request.POST.get("note", "")

    def handover(customer: Customer) -> None:
        if to is None:
            raise TiejunError(_("No such employee."), field="to")
        customer_handover(customer=customer, to=to, by=request.user, note=note)  # type: ignore[arg-type]

    return _act(request, code, handover, _("%(name)s handed over."))
