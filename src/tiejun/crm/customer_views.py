"""Customer pages: the list, a customer's detail with pool actions, and the map; create and
edit a customer, and its contacts and opportunities inline on the detail page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiejun.audit.context import acting
from tiejun.errors import Forbidden, NotFound, TiejunError

from .customer_export import customer_export, may_export_customers
from .customer_selectors import (
    CustomerDetail,
    CustomerFilters,
    access_contact,
    access_customer,
    access_customer_to_edit,
    access_opportunity,
    customer_detail,
    customer_has_twin,
    customer_list,
    customers_for_map,
    handover_candidates,
    owners_visible_to,
)
from .customers import (
    EDITABLE,
    contact_add,
    contact_remove,
    contact_update,
    customer_claim,
    customer_create,
    customer_handover,
    customer_permissions,
    customer_release,
    customer_update,
    opportunity_close,
    opportunity_create,
    opportunity_update,
)
from .forms import ContactForm, CustomerForm, OpportunityForm
from .models import Contact, Customer, CustomerStatus, Opportunity, Priority

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
        {
            "page": page,
            "customers": list(page.object_list),
            "can_export": may_export_customers(request.user),  # type: ignore[arg-type]
            **_filter_context(request, filters),
        },
    )


@login_required
def customer_export_page(request: HttpRequest) -> HttpResponse:
    """The list's customers, with its filters, as CSV or XLSX: managers and admin, audited."""
    try:
        export = customer_export(
            person=request.user,  # type: ignore[arg-type]
            filters=CustomerFilters.from_query(request.GET),
            format=request.GET.get("format", "csv"),
            source="web",
        )
    except NotFound:
        raise Http404(_("No such page.")) from None
    except TiejunError as error:
        messages.error(request, str(error))
        return redirect("customers:list")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


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
def customer_detail_page(
    request: HttpRequest, code: str, forms_: dict[str, forms.Form] | None = None
) -> HttpResponse:
    customer = _access(request.user, code)
    may = customer_permissions(request.user, customer)  # type: ignore[arg-type]
    detail = customer_detail(customer)
    candidates = (
        list(handover_candidates(request.user, admin=may["admin"], led=may["led"]))  # type: ignore[arg-type]
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


def _act(request: HttpRequest, code: str, action: Any, done: str) -> HttpResponse:
    customer = _access(request.user, code)
    try:
        action(customer)
    except Forbidden as error:  # the customer is no secret to the caller: say no plainly
        raise PermissionDenied(str(error)) from None
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


# ---- create and edit ----------------------------------------------------------------------


def _access_to_edit(user: Any, code: str) -> Customer:
    """The customer if ``user`` may edit it: 404 when they may not see it, 403 when they see it
    in the open pool but may not edit it."""
    try:
        return access_customer_to_edit(user, code)
    except NotFound:
        raise Http404(_("No such customer.")) from None
    except Forbidden as error:
        raise PermissionDenied(str(error)) from None


def _put_error(form: forms.Form, error: TiejunError, aliases: dict[str, str] | None = None) -> None:
    """A service's error on the form: next to its field when the form has it."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error))


@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with acting(person, "web"):
                customer = customer_create(
                    code=data["code"],
                    by=person,  # type: ignore[arg-type]
                    owner=None if data["pool"] else person,  # type: ignore[arg-type]
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
def customer_edit(request: HttpRequest, code: str) -> HttpResponse:
    customer = _access_to_edit(request.user, code)
    initial = {name: getattr(customer, name) for name in EDITABLE}
    form = CustomerForm(request.POST or None, initial=initial, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            with acting(request.user, "web"):
                customer_update(customer=customer, by=request.user, **form.details())  # type: ignore[arg-type]
        except TiejunError as error:
            customer.refresh_from_db()
            _put_error(form, error)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customers:detail", code=customer.code)
    return render(request, "crm/customer_form.html", {"form": form, "customer": customer})


def _detail_again(
    request: HttpRequest, customer: Customer, forms_: dict[str, forms.Form]
) -> HttpResponse:
    """The detail page again with a form that failed, its errors next to its fields."""
    return customer_detail_page(request, customer.code, forms_=forms_)


def _save_on_detail(
    request: HttpRequest,
    customer: Customer,
    form: forms.Form,
    save: Callable[[forms.Form], object],
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
def contact_new(request: HttpRequest, code: str) -> HttpResponse:
    customer = _access_to_edit(request.user, code)
    return _save_on_detail(
        request,
        customer,
        ContactForm(request.POST, prefix="contact"),
        lambda form: contact_add(customer=customer, by=request.user, **form.cleaned_data),  # type: ignore[arg-type]
        done=_("Contact added."),
        section="contacts",
    )


@login_required
@require_POST
def contact_edit(request: HttpRequest, code: str, contact_id: int) -> HttpResponse:
    contact = _access_contact(request.user, code, contact_id)
    return _save_on_detail(
        request,
        contact.customer,
        ContactForm(request.POST, prefix=f"contact-{contact.pk}"),
        lambda form: contact_update(contact=contact, by=request.user, **form.cleaned_data),  # type: ignore[arg-type]
        done=_("Contact saved."),
        section="contacts",
    )


@login_required
@require_POST
def contact_remove_view(request: HttpRequest, code: str, contact_id: int) -> HttpResponse:
    contact = _access_contact(request.user, code, contact_id)
    contact_remove(contact=contact, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Contact %(name)s removed.") % {"name": contact.name})
    return redirect(_anchor(code, "contacts"))


@login_required
@require_POST
def opportunity_new(request: HttpRequest, code: str) -> HttpResponse:
    customer = _access_to_edit(request.user, code)
    return _save_on_detail(
        request,
        customer,
        OpportunityForm(request.POST, prefix="opportunity"),
        lambda form: opportunity_create(customer=customer, by=request.user, **form.values()),  # type: ignore[arg-type, attr-defined]
        done=_("Opportunity added."),
        section="opportunities",
    )


@login_required
@require_POST
def opportunity_edit(request: HttpRequest, code: str, opportunity_id: int) -> HttpResponse:
    found = _access_opportunity(request.user, code, opportunity_id)
    return _save_on_detail(
        request,
        found.customer,
        OpportunityForm(request.POST, prefix=f"opportunity-{found.pk}"),
        lambda form: opportunity_update(opportunity=found, by=request.user, **form.values()),  # type: ignore[arg-type, attr-defined]
        done=_("Opportunity saved."),
        section="opportunities",
    )


@login_required
@require_POST
def opportunity_close_view(request: HttpRequest, code: str, opportunity_id: int) -> HttpResponse:
    found = _access_opportunity(request.user, code, opportunity_id)
    try:
        opportunity_close(
            opportunity=found,
            outcome=request.POST.get("outcome", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except TiejunError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Opportunity %(title)s closed.") % {"title": found.title})
    return redirect(_anchor(code, "opportunities"))


def _anchor(code: str, section: str) -> str:
    return reverse("customers:detail", kwargs={"code": code}) + f"#{section}"


def _access_contact(user: Any, code: str, contact_id: int) -> Contact:
    try:
        return access_contact(user, code, contact_id)
    except NotFound:
        raise Http404(_("No such contact.")) from None
    except Forbidden as error:
        raise PermissionDenied(str(error)) from None


def _access_opportunity(user: Any, code: str, opportunity_id: int) -> Opportunity:
    try:
        return access_opportunity(user, code, opportunity_id)
    except NotFound:
        raise Http404(_("No such opportunity.")) from None
    except Forbidden as error:
        raise PermissionDenied(str(error)) from None
