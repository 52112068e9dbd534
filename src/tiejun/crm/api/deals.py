"""Deals over the API: list and read what the caller may see, record and correct won deals."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from tiejun.api_schemas import Pages, errors
from tiejun.dateinput import Day, parse_month
from tiejun.errors import Forbidden, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.models import Person
from tiejun.org.selectors import access_person, access_unit, can_record_deal_for, subtree_ids
from tiejun.workdays import month_end

from ..models import Deal, DealChange, SalesChannel
from ..selectors.deals import (
    access_deal,
    deal_existing,
    deal_history,
    deal_list_for_user,
    deal_visible,
)
from ..services.deals import DealInput, DealNumberTaken, deal_number_unusable, deal_record

router = Router(tags=["deals"])


class Conflict(TiejunError):
    status = 409


class DealOut(Schema):
    deal_no: str
    employee_no: str = Field(alias="person.employee_no")
    rep_name: str = Field(alias="person.name")
    unit_code: str = Field(
        alias="unit.code", description="The team the rep belonged to on the won date"
    )
    customer_code: str = Field(alias="customer.code")
    customer_name: str = Field(alias="customer.name")
    amount: str = Field(description="Two decimals", examples=["1234.50"])
    won_date: dt.date
    channel: SalesChannel
    client_id: str | None

    @staticmethod
    def resolve_amount(obj: Deal) -> str:
        return f"{obj.amount:.2f}"


class DealChangeOut(Schema):
    changed_at: dt.datetime
    changed_by: str | None = Field(description="Employee number of who made the change")
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any]

    @staticmethod  # not a dotted alias: the relation may be empty (see customers.OwnershipOut)
    def resolve_changed_by(obj: DealChange) -> str | None:
        return obj.changed_by.employee_no if obj.changed_by else None


class DealDetailOut(DealOut):
    history: list[DealChangeOut]


class DealsQuery(Schema):
    month: str | None = Field(None, description="YYYY-MM: deals won in that month")
    unit: str | None = Field(None, description="Unit code: deals of that unit's subtree")
    employee_no: str | None = Field(None, description="Deals of that rep")


class DealFields(Schema):
    employee_no: str
    customer_code: str
    customer_name: str = ""
    amount: Decimal = Field(description="Greater than zero, at most two decimals")
    won_date: Day = Field(description="Not in the future")
    channel: SalesChannel | None = Field(None, description="visit when left out")


class DealIn(DealFields):
    deal_no: str
    client_id: str | None = Field(
        None,
        max_length=64,
        description="Your id for this write: a retry with the same id records nothing new",
    )


class DealCorrectionIn(DealFields):
    reason: str = Field(description="Why the deal is corrected; kept in its audit trail")


def _detail(deal: Deal) -> Deal:
    """The deal with its audit trail, for ``DealDetailOut``."""
    deal.history = list(deal_history(deal))  # type: ignore[attr-defined]
    return deal


def _rep_for(viewer: Person, employee_no: str) -> Person:
    rep = access_person(viewer, employee_no)
    if not can_record_deal_for(viewer, rep):
        raise Forbidden(
            _("you may not record deals for %(name)s") % {"name": rep.name}, field="employee_no"
        )
    return rep


def _input(deal_no: str, rep: Person, payload: DealFields, client_id: str | None) -> DealInput:
    return DealInput(
        deal_no=deal_no,
        person=rep,
        customer_code=payload.customer_code,
        customer_name=payload.customer_name,
        amount=payload.amount,
        won_date=payload.won_date,
        channel=payload.channel.value if payload.channel else SalesChannel.VISIT,
        client_id=client_id or None,
    )


def _same(deal: Deal, item: DealInput) -> bool:
    # Not the customer's name: a deal never renames its customer, so the name is no part of it.
    return (
        deal.person_id == item.person.pk
        and deal.customer.code == item.customer_code.strip()
        and deal.amount == item.amount
        and deal.won_date == item.won_date
        and deal.channel == item.channel
    )


def _repeated(viewer: Person, item: DealInput) -> Deal | None:
    """The deal this write already recorded (a retry), or None when it is new.

    A different deal under the same number is a conflict (409) when the caller may see it: a
    correction goes through PUT. One out of their sight is "not found" (404), like any foreign
    id, whatever it holds: the answer tells nothing about it.
    """
    existing = deal_existing(deal_no=item.deal_no, client_id=item.client_id)
    if existing is None:
        return None
    if not deal_visible(viewer, existing):
        raise deal_number_unusable(item.deal_no.strip())
    if existing.client_id and existing.client_id == item.client_id:
        return existing
    if _same(existing, item):
        return existing
    raise Conflict(
        _("deal number %(no)s is taken; correct that deal with PUT instead")
        % {"no": existing.deal_no},
        field="deal_no",
    )


@router.get(
    "/deals",
    response={200: list[DealOut], **errors(400, 404, 422)},
    summary="Deals the caller may see, newest first",
)
@paginate(Pages, page_size=50)
def deals(request: AuthedRequest, filters: Query[DealsQuery]) -> Any:
    viewer = request.user
    start = end = None
    if filters.month:
        start = parse_month(filters.month, field="month")
        end = month_end(start) if start else None
    unit_ids = set(subtree_ids(access_unit(viewer, filters.unit))) if filters.unit else None
    rep = access_person(viewer, filters.employee_no) if filters.employee_no else None
    return deal_list_for_user(viewer, unit_ids=unit_ids, rep=rep, start=start, end=end)


@router.get(
    "/deals/{deal_no}",
    response={200: DealDetailOut, **errors(404)},
    summary="A deal and its audit trail",
)
def deal_detail(request: AuthedRequest, deal_no: str) -> Deal:
    return _detail(access_deal(request.user, deal_no))


@router.post(
    "/deals",
    response={200: DealDetailOut, 201: DealDetailOut, **errors(400, 403, 404, 409, 422)},
    summary="Record a won deal",
    description="201 when recorded; 200 when the same client_id, or the same deal number with "
    "the same content, was recorded before (nothing new is written); 409 when the deal number "
    "holds a different deal.",
)
def deal_create(request: AuthedRequest, payload: DealIn) -> Status:
    viewer = request.user
    rep = _rep_for(viewer, payload.employee_no)
    item = _input(payload.deal_no, rep, payload, payload.client_id)
    repeated = _repeated(viewer, item)
    if repeated is not None:
        return Status(200, _detail(repeated))
    try:
        deal, created = deal_record(item=item, by=viewer, new=True)
    except (DealNumberTaken, IntegrityError):  # a create with this number raced in first
        repeated = _repeated(viewer, item)
        if repeated is None:
            raise
        return Status(200, _detail(repeated))
    return Status(201 if created else 200, _detail(deal))


@router.put(
    "/deals/{deal_no}",
    response={200: DealDetailOut, **errors(400, 403, 404, 422)},
    summary="Correct a deal",
    description="Every field is replaced; the fields before and after and the reason are kept.",
)
def deal_correct(request: AuthedRequest, deal_no: str, payload: DealCorrectionIn) -> Deal:
    viewer = request.user
    deal = access_deal(viewer, deal_no)
    if not can_record_deal_for(viewer, deal.person):
        raise Forbidden(_("you may not correct this deal"))
    rep = _rep_for(viewer, payload.employee_no)
    if not payload.reason.strip():
        raise TiejunError(_("a correction needs a reason"), field="reason")
    deal, _created = deal_record(
        item=_input(deal.deal_no, rep, payload, None), by=viewer, reason=payload.reason.strip()
    )
    return _detail(deal)
