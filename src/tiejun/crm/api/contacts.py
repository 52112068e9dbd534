"""A customer's contacts over the API: add, edit, remove (whoever may edit the customer)."""

from ninja import Field, Path, Router, Schema, Status

from tiejun.http import AuthedRequest

from ..models import Contact
from ..selectors.customers import access_contact, access_customer_to_edit
from ..services.contacts import contact_add, contact_remove, contact_update
from .customers import ERRORS, ID_MAX, ContactOut, sent_fields

router = Router(tags=["customers"])


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    phone: str = Field("", max_length=32)


class ContactPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)


class ContactWithIdOut(ContactOut):
    id: int


@router.post(
    "/customers/{customer_code}/contacts",
    response={201: ContactWithIdOut, **ERRORS},
    summary="Add a contact to a customer",
)
def contact_new(request: AuthedRequest, customer_code: str, payload: ContactIn) -> Status[Contact]:
    person = request.user
    found = access_customer_to_edit(person, customer_code)
    return Status(201, contact_add(customer=found, by=person, **payload.model_dump()))


@router.patch(
    "/customers/{customer_code}/contacts/{contact_id}",
    response={200: ContactWithIdOut, **ERRORS},
    summary="Edit a customer's contact",
)
def contact_edit(
    request: AuthedRequest,
    customer_code: str,
    payload: ContactPatch,
    contact_id: int = Path(..., ge=1, le=ID_MAX),
) -> Contact:
    person = request.user
    contact = access_contact(person, customer_code, contact_id)
    return contact_update(contact=contact, by=person, **sent_fields(payload))


@router.delete(
    "/customers/{customer_code}/contacts/{contact_id}",
    response={204: None, **ERRORS},
    summary="Remove a customer's contact",
)
def contact_delete(
    request: AuthedRequest, customer_code: str, contact_id: int = Path(..., ge=1, le=ID_MAX)
) -> Status[None]:
    person = request.user
    contact_remove(contact=access_contact(person, customer_code, contact_id), by=person)
    return Status(204, None)
