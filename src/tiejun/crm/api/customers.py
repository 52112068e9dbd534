"""Customers over the API: the caller's visible customers, and one customer's brief."""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from tiejun.api_schemas import Pages, errors
from tiejun.audit.context import acting
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from ..exports import customer_export
from ..models import (
    Customer,
    CustomerStatus,
    Opportunity,
    OwnershipChange,
    Priority,
)
from ..selectors.customers import (
    CustomerDetail,
    CustomerFilters,
    access_customer,
    access_customer_to_edit,
    customer_detail,
    customer_list,
)
from ..services.customers import customer_create, customer_update

router = Router(tags=["customers"])


def _coordinate(value: object) -> str | None:
    return None if value is None else f"{value:.6f}"


class CustomerOut(Schema):
    customer_code: str = Field(alias="code")
    name: str
    industry: str
    size: str
    address: str
    lat: str | None = Field(description="Latitude, six decimals; null when unknown")
    lon: str | None = Field(description="Longitude, six decimals; null when unknown")
    phone: str
    owner_employee_no: str | None = Field(description="Null: the customer is in the open pool")
    owner_name: str | None
    owned_since: dt.datetime | None
    status: CustomerStatus
    priority: Priority
    last_activity_on: dt.date | None = Field(description="Last visit or follow-up")

    @staticmethod
    def resolve_lat(obj: Customer) -> str | None:
        return _coordinate(obj.lat)

    @staticmethod
    def resolve_lon(obj: Customer) -> str | None:
        return _coordinate(obj.lon)

    # Not dotted aliases: a pool customer has no owner (see OwnershipOut).
    @staticmethod
    def resolve_owner_employee_no(obj: Customer) -> str | None:
        return obj.owner.employee_no if obj.owner else None

    @staticmethod
    def resolve_owner_name(obj: Customer) -> str | None:
        return obj.owner.name if obj.owner else None


class ContactOut(Schema):
    name: str
    title: str
    phone: str


class CustomerVisitOut(Schema):  # not VisitOut: OpenAPI names a schema by its class
    id: str
    employee_no: str = Field(alias="person.employee_no")
    checkin_at: dt.datetime
    met_whom: str
    interest: str
    next_step: str
    next_date: dt.date | None

    @staticmethod
    def resolve_id(obj: Any) -> str:  # a field.models.Visit
        return str(obj.id)


class OpportunityOut(Schema):
    title: str
    stage: str
    amount: str
    expected_close: dt.date | None
    probability: str
    owner_employee_no: str | None

    @staticmethod
    def resolve_amount(obj: Opportunity) -> str:
        return f"{obj.amount:.2f}"

    @staticmethod
    def resolve_probability(obj: Opportunity) -> str:
        return f"{obj.probability:.3f}"

    @staticmethod
    def resolve_owner_employee_no(obj: Opportunity) -> str | None:
        return obj.owner.employee_no if obj.owner else None


class OwnershipOut(Schema):
    changed_at: dt.datetime
    from_employee_no: str | None
    to_employee_no: str | None
    reason: str
    note: str
    changed_by: str | None

    # Not dotted aliases: the relations may be empty, and an alias would need a default (the
    # field would no longer be required in the OpenAPI schema).
    @staticmethod
    def resolve_from_employee_no(obj: OwnershipChange) -> str | None:
        return obj.from_person.employee_no if obj.from_person else None

    @staticmethod
    def resolve_to_employee_no(obj: OwnershipChange) -> str | None:
        return obj.to_person.employee_no if obj.to_person else None

    @staticmethod
    def resolve_changed_by(obj: OwnershipChange) -> str | None:
        return obj.changed_by.employee_no if obj.changed_by else None


def _clock(value: dt.time | None) -> str | None:
    return value.isoformat() if value is not None else None


class CustomerDetailOut(CustomerOut):
    # Text, not a time: JSON Schema's "time" format demands a UTC offset a local time has not.
    opens_at: str | None = Field(description="Local time HH:MM:SS", examples=["09:00:00"])
    closes_at: str | None = Field(description="Local time HH:MM:SS", examples=["18:00:00"])
    notes: str
    contacts: list[ContactOut]
    visits: list[CustomerVisitOut] = Field(description="The last three visits, newest first")
    opportunities: list[OpportunityOut] = Field(description="Open opportunities")
    ownership: list[OwnershipOut] = Field(description="Changes of owner, newest first")

    @staticmethod
    def resolve_opens_at(obj: Customer) -> str | None:
        return _clock(obj.opens_at)

    @staticmethod
    def resolve_closes_at(obj: Customer) -> str | None:
        return _clock(obj.closes_at)


class CustomersQuery(Schema):
    owner: str | None = Field(None, description="Employee number of the owner")
    status: CustomerStatus | None = None
    priority: Priority | None = None
    pool: bool = Field(False, description="Only customers in the open pool")
    mine: bool = Field(False, description="Only the caller's own customers")
    q: str | None = Field(None, description="Search code, name, address, industry")


def _filters(filters: CustomersQuery) -> CustomerFilters:
    return CustomerFilters(
        owner=(filters.owner or "").strip(),
        status=filters.status or "",
        priority=filters.priority or "",
        pool=filters.pool,
        mine=filters.mine,
        search=(filters.q or "").strip(),
    )


# A page holds at most MAX_PAGE_SIZE customers whatever ``page_size`` asks for: the bulk way
# out is the audited export, for managers and admin.
MAX_PAGE_SIZE = 100


@router.get(
    "/customers",
    response={200: list[CustomerOut], **errors(422)},
    summary="Customers the caller may see",
)
@paginate(Pages, page_size=50, max_page_size=MAX_PAGE_SIZE)
def customers(request: AuthedRequest, filters: Query[CustomersQuery]) -> Any:
    return customer_list(request.user, _filters(filters))


class ExportQuery(CustomersQuery):
    format: Literal["csv", "xlsx"] = "csv"


@router.get(
    "/customers/export",
    response={200: None, **errors(404, 422)},
    summary="Export the customers the caller may see (managers and admin; audited)",
    description="CSV (UTF-8 with BOM) or XLSX of the customers the list returns for the same "
    "filters. Managers and admin only; 404 for anyone else. Every export is audited.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            },
            404: {"description": "Not a manager or admin"},
        }
    },
)
def customers_export(request: AuthedRequest, filters: Query[ExportQuery]) -> HttpResponse:
    export = customer_export(
        person=request.user, filters=_filters(filters), format=filters.format, source="api"
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class _Brief:
    """A customer with its loaded brief under the schema's names (the related managers would
    query again)."""

    def __init__(self, customer: Customer, detail: CustomerDetail) -> None:
        self._customer = customer
        self.contacts = detail.contacts
        self.visits = detail.visits
        self.opportunities = detail.opportunities
        self.ownership = detail.history

    def __getattr__(self, name: str) -> object:
        return getattr(self._customer, name)


@router.get(
    "/customers/{customer_code}",
    response={200: CustomerDetailOut, **errors(404)},
    summary="A customer's brief: contacts, last visits, open opportunities, owners",
)
def customer(request: AuthedRequest, customer_code: str) -> _Brief:
    found = access_customer(request.user, customer_code)
    return _Brief(found, customer_detail(found))


# ---- writes -------------------------------------------------------------------------------


ERRORS: dict[int, Any] = errors(400, 403, 404, 422)
ID_MAX = 2**31 - 1


class CustomerFieldsIn(Schema):
    name: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=100)
    size: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=300)
    lat: Decimal | None = Field(None, ge=-90, le=90, description="Latitude (WGS-84)")
    lon: Decimal | None = Field(None, ge=-180, le=180, description="Longitude (WGS-84)")
    phone: str | None = Field(None, max_length=32)
    status: CustomerStatus | None = None
    priority: Priority | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    notes: str | None = Field(None, max_length=5000)


class CustomerIn(CustomerFieldsIn):
    customer_code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=200)  # type: ignore[assignment]
    pool: bool = Field(
        False,
        description="Put the new customer in the open pool; otherwise the caller owns it "
        "(refused when the caller holds the most private customers allowed)",
    )


class CustomerPatch(CustomerFieldsIn):
    """Only the fields sent change; the owner changes by claim, handover or release."""


def sent_fields(payload: Schema, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields the client sent; null means "clear" only where a field may be empty."""
    sent = payload.model_dump(exclude_unset=True)
    for key, value in list(sent.items()):
        if value is None and key not in nullable:
            raise TiejunError(_("%(field)s may not be null") % {"field": key}, field=key)
        if isinstance(value, enum.Enum):
            sent[key] = value.value
    return sent


CLEARABLE = ("lat", "lon", "opens_at", "closes_at")


def _detail(customer: Customer) -> _Brief:
    return _Brief(customer, customer_detail(customer))


@router.post(
    "/customers",
    response={201: CustomerDetailOut, **ERRORS},
    summary="Create a customer, owned by the caller or in the open pool",
)
def customer_new(request: AuthedRequest, payload: CustomerIn) -> Status[_Brief]:
    person = request.user
    fields = sent_fields(payload, nullable=CLEARABLE)
    code, pool = fields.pop("customer_code"), fields.pop("pool", False)
    with acting(person, "api"):
        created = customer_create(code=code, by=person, owner=None if pool else person, **fields)
    return Status(201, _detail(access_customer(person, created.code)))


@router.patch(
    "/customers/{customer_code}",
    response={200: CustomerDetailOut, **ERRORS},
    summary="Edit a customer's details (owner, their leaders, admin; a pool customer: leaders)",
)
def customer_edit(request: AuthedRequest, customer_code: str, payload: CustomerPatch) -> _Brief:
    person = request.user
    found = access_customer_to_edit(person, customer_code)
    with acting(person, "api"):
        customer_update(customer=found, by=person, **sent_fields(payload, nullable=CLEARABLE))
    return _detail(found)
