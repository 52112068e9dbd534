"""A customer's opportunities over the API: add, edit, close as won or lost."""

from decimal import Decimal

from django.db import transaction
from ninja import Field, Path, Router, Schema, Status

from tiejun.dateinput import Day
from tiejun.http import AuthedRequest

from ..models import Opportunity, OpportunityStage
from ..selectors.customers import access_customer_to_edit, access_opportunity
from ..services.opportunities import (
    CLOSED_STAGES,
    opportunity_close,
    opportunity_create,
    opportunity_update,
)
from .customers import ERRORS, ID_MAX, OpportunityOut, sent_fields

router = Router(tags=["customers"])


class OpportunityIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    amount: Decimal = Field(..., ge=0, lt=Decimal("1e14"), decimal_places=2)
    stage: OpportunityStage = OpportunityStage.LEAD
    expected_close: Day | None = None
    probability: Decimal = Field(
        Decimal(0), ge=0, le=1, description="Chance to win, 0 to 1 (as in the customer's brief)"
    )


class OpportunityPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    amount: Decimal | None = Field(None, ge=0, lt=Decimal("1e14"), decimal_places=2)
    stage: OpportunityStage | None = Field(
        None, description="won or lost closes the opportunity (probability 1 or 0)"
    )
    expected_close: Day | None = None
    probability: Decimal | None = Field(None, ge=0, le=1)


class OpportunityWithIdOut(OpportunityOut):
    id: int
    customer_code: str = Field(alias="customer.code")


@router.post(
    "/customers/{customer_code}/opportunities",
    response={201: OpportunityWithIdOut, **ERRORS},
    summary="Add an opportunity to a customer (held by the customer's owner)",
)
def opportunity_new(
    request: AuthedRequest, customer_code: str, payload: OpportunityIn
) -> Status[Opportunity]:
    person = request.user
    found = access_customer_to_edit(person, customer_code)
    fields = sent_fields(payload, nullable=("expected_close",))
    created = opportunity_create(customer=found, by=person, **fields)
    return Status(201, created)


@router.patch(
    "/customers/{customer_code}/opportunities/{opportunity_id}",
    response={200: OpportunityWithIdOut, **ERRORS},
    summary="Edit an opportunity; stage won or lost closes it",
)
def opportunity_edit(
    request: AuthedRequest,
    customer_code: str,
    payload: OpportunityPatch,
    opportunity_id: int = Path(..., ge=1, le=ID_MAX),
) -> Opportunity:
    person = request.user
    found = access_opportunity(person, customer_code, opportunity_id)
    fields = sent_fields(payload, nullable=("expected_close",))
    stage = fields.get("stage")
    with transaction.atomic():
        if stage in CLOSED_STAGES and found.stage not in CLOSED_STAGES:
            fields.pop("stage")
            opportunity_update(opportunity=found, by=person, **fields)
            return opportunity_close(opportunity=found, outcome=stage, by=person)
        return opportunity_update(opportunity=found, by=person, **fields)
