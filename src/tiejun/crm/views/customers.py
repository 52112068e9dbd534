"""Customer pages: the list, a customer's detail with pool actions, and the map; create and
edit a customer, and its contacts and opportunities inline on the detail page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiejun.audit.context import acting
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.models import Person

from ..exports import customer_export, may_export_customers
from ..forms import ContactForm, CustomerForm, OpportunityForm
from ..models import Customer, CustomerStatus, Priority
from ..selectors.customers import (
    CustomerDetail,
    CustomerFilters,
    access_contact,
    access_customer,
    access_customer_to_edit,
    access_opportunity,
    customer_detail,
    customer_has_twin,
    customer_list,
    customer_permissions,
    customers_for_map,
    handover_candidates,
    owners_visible_to,
)
from ..services.contacts import contact_add, contact_remove, contact_update
from ..services.customers import EDITABLE, customer_create, customer_update
from ..services.opportunities import opportunity_close, opportunity_create, opportunity_update
from ..services.ownership import customer_claim, customer_handover, customer_release

PAGE_SIZE = 50


def _filter_context(request: AuthedRequest, filters: CustomerFilters) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "owners": list(owners_visible_to(request.user)),
        "statuses": CustomerStatus.choices,
        "priorities": Priority.choices,
        "query": query.urlencode(),
    }


@login_required
def customer_list_page(request: AuthedRequest) -> HttpResponse:
    filters = CustomerFilters.from_query(request.GET)
    qs = customer_list(request.user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/customer_list.html",
        {
            "page": page,
            "customers": list(page.object_list),
            "can_export": may_export_customers(request.user),
            **_filter_context(request, filters),
        },
    )


@login_required
def customer_export_page(request: AuthedRequest) -> HttpResponse:
    """The list's customers, with its filters, as CSV or XLSX: managers and admin, audited."""
    try:
        export = customer_export(
            person=request.user,
            filters=CustomerFilters.from_query(request.GET),
            format=request.GET.get("format", "csv"),
            source="web",
        )
    except NotFound:
        raise  # no such page for them (a 404), not a message on the list
    except TiejunError as error:
        messages.error(request, str(error))
        return redirect("customers:list")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
def customer_map(request: AuthedRequest) -> HttpResponse:
    filters = CustomerFilters.from_query(request.GET)
    return render(
        request,
        "crm/customer_map.html",
        {
            "points": customers_for_map(request.user, filters),
            "tiles": settings.MAP_TILES,
            **_filter_context(request, filters),
        },
    )


@login_required
def customer_detail_page(
    request: AuthedRequest, code: str, forms_: dict[str, forms.Form] | None = None
) -> HttpResponse:
    customer = access_customer(request.user, code)
    may = customer_permissions(request.user, customer)
    detail = customer_detail(customer)
    candidates = (
        list(handover_candidates(request.user, admin=may["admin"], led=may["led"]))
        if may["handover"]
        else []
    )
    return render(
        request,
        "crm/customer_detail.html",
        {
            "detail": detail,
            "customer": customer,
            "can_claim": may["claim"],
            "can_release": may["release"],
            "can_handover": may["handover"],
            "candidates": candidates,
            **(_edit_forms(detail, forms_ or {}) if may["edit"] else {}),
            "can_edit": may["edit"],
        },
    )


def _edit_forms(detail: CustomerDetail, bound: dict[str, forms.Form]) -> dict[str, Any]:
    """Unbound forms to add and edit contacts and opportunities, or the bound one that failed."""

    def form(prefix: str, cls: type[forms.Form], initial: dict[str, Any] | None = None) -> Any:
        return bound.get(prefix) or cls(prefix=prefix, initial=initial)

    return {
        "contact_form": form("contact", ContactForm),
        "opportunity_form": form("opportunity", OpportunityForm),
        "contact_rows": [
            (
                c,
                form(
                    f"contact-{c.pk}",
                    ContactForm,
                    {"name": c.name, "title": c.title, "phone": c.phone},
                ),
            )
            for c in detail.contacts
        ],
        "opportunity_rows": [
            (o, form(f"opportunity-{o.pk}", OpportunityForm, OpportunityForm.initial_for(o)))
            for o in detail.opportunities
        ],
        "failed": next(iter(bound), ""),
    }


def _act(request: AuthedRequest, code: str, action: Any, done: str) -> HttpResponse:
    customer = access_customer(request.user, code)
    try:
        action(customer)
    except Forbidden:  # the customer is no secret to the caller: say no plainly (a 403)
        raise
    except TiejunError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"name": customer.name})
    # After a release or handover the customer may no longer be visible: go to the list then.
    try:
        access_customer(request.user, code)
    except NotFound:
        return redirect("customers:list")
    return redirect("customers:detail", code=code)


@login_required
@require_POST
def customer_claim_view(request: AuthedRequest, code: str) -> HttpResponse:
    return _act(
        request,
        code,
        lambda c: customer_claim(customer=c, person=request.user),
        _("%(name)s is now your customer."),
    )


@login_required
@require_POST
def customer_release_view(request: AuthedRequest, code: str) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(
        request,
        code,
        lambda c: customer_release(customer=c, by=request.user, note=note),
        _("%(name)s is back in the open pool."),
    )


@login_required
@require_POST
def customer_handover_view(request: AuthedRequest, code: str) -> HttpResponse:
    to = Person.objects.filter(employee_no=request.POST.get("to", "").strip()).first()
    note = request.POST.get("note", "")

    def handover(customer: Customer) -> None:
        if to is None:
            raise TiejunError(_("No such employee."), field="to")
        customer_handover(customer=customer, to=to, by=request.user, note=note)

    return _act(request, code, handover, _("%(name)s handed over."))


# ---- create and edit ----------------------------------------------------------------------


def _put_error(form: forms.Form, error: TiejunError, aliases: dict[str, str] | None = None) -> None:
    """A service's error on the form: next to its field when the form has it."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error))


@login_required
def customer_new(request: AuthedRequest) -> HttpResponse:
    person = request.user
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with acting(person, "web"):
                customer = customer_create(
                    code=data["code"],
                    by=person,
                    owner=None if data["pool"] else person,
                    **form.details(),
                )
        except TiejunError as error:
            _put_error(form, error, {"owner": "pool"})
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            if customer_has_twin(customer):
                messages.warning(
                    request,
                    _("Another customer has the same name at the same address: a duplicate?"),
                )
            return redirect("customers:detail", code=customer.code)
    return render(request, "crm/customer_form.html", {"form": form, "customer": None})


@login_required
def customer_edit(request: AuthedRequest, code: str) -> HttpResponse:
    customer = access_customer_to_edit(request.user, code)
    initial = {name: getattr(customer, name) for name in EDITABLE}
    form = CustomerForm(request.POST or None, initial=initial, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            with acting(request.user, "web"):
                customer_update(customer=customer, by=request.user, **form.details())
        except TiejunError as error:
            customer.refresh_from_db()
            _put_error(form, error)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customers:detail", code=customer.code)
    return render(request, "crm/customer_form.html", {"form": form, "customer": customer})


def _detail_again(
    request: AuthedRequest, customer: Customer, forms_: dict[str, forms.Form]
) -> HttpResponse:
    """The detail page again with a form that failed, its errors next to its fields."""
    return customer_detail_page(request, customer.code, forms_=forms_)


def _save_on_detail(
    request: AuthedRequest,
    customer: Customer,
    form: forms.Form,
    save: Callable[[Any], object],
    *,
    done: str,
    section: str,
) -> HttpResponse:
    """An inline form of the detail page: saved → back to its section with ``done``; refused →
    the detail page again with the errors next to the fields (the form keyed by its prefix)."""
    if form.is_valid():
        try:
            save(form)
        except TiejunError as error:
            _put_error(form, error)
        else:
            messages.success(request, done)
            return redirect(_anchor(customer.code, section))
    return _detail_again(request, customer, {str(form.prefix): form})


@login_required
@require_POST
def contact_new(request: AuthedRequest, code: str) -> HttpResponse:
    customer = access_customer_to_edit(request.user, code)
    return _save_on_detail(
        request,
        customer,
        ContactForm(request.POST, prefix="contact"),
        lambda form: contact_add(customer=customer, by=request.user, **form.cleaned_data),
        done=_("Contact added."),
        section="contacts",
    )


@login_required
@require_POST
def contact_edit(request: AuthedRequest, code: str, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, code, contact_id)
    return _save_on_detail(
        request,
        contact.customer,
        ContactForm(request.POST, prefix=f"contact-{contact.pk}"),
        lambda form: contact_update(contact=contact, by=request.user, **form.cleaned_data),
        done=_("Contact saved."),
        section="contacts",
    )


@login_required
@require_POST
def contact_remove_view(request: AuthedRequest, code: str, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, code, contact_id)
    contact_remove(contact=contact, by=request.user)
    messages.success(request, _("Contact %(name)s removed.") % {"name": contact.name})
    return redirect(_anchor(code, "contacts"))


@login_required
@require_POST
def opportunity_new(request: AuthedRequest, code: str) -> HttpResponse:
    customer = access_customer_to_edit(request.user, code)
    return _save_on_detail(
        request,
        customer,
        OpportunityForm(request.POST, prefix="opportunity"),
        lambda form: opportunity_create(customer=customer, by=request.user, **form.values()),
        done=_("Opportunity added."),
        section="opportunities",
    )


@login_required
@require_POST
def opportunity_edit(request: AuthedRequest, code: str, opportunity_id: int) -> HttpResponse:
    found = access_opportunity(request.user, code, opportunity_id)
    return _save_on_detail(
        request,
        found.customer,
        OpportunityForm(request.POST, prefix=f"opportunity-{found.pk}"),
        lambda form: opportunity_update(opportunity=found, by=request.user, **form.values()),
        done=_("Opportunity saved."),
        section="opportunities",
    )


@login_required
@require_POST
def opportunity_close_view(request: AuthedRequest, code: str, opportunity_id: int) -> HttpResponse:
    found = access_opportunity(request.user, code, opportunity_id)
    try:
        opportunity_close(
            opportunity=found,
            outcome=request.POST.get("outcome", ""),
            by=request.user,
        )
    except TiejunError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Opportunity %(title)s closed.") % {"title": found.title})
    return redirect(_anchor(code, "opportunities"))


def _anchor(code: str, section: str) -> str:
    return reverse("customers:detail", kwargs={"code": code}) + f"#{section}"
