"""Customers over the API: the caller's visible customers, and one customer's brief."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from tiejun.org.models import Person

from .customer_selectors import (
    CustomerDetail,
    CustomerFilters,
    access_customer,
    customer_detail,
    customer_list,
)
from .models import Customer, CustomerStatus, OwnershipChange, Priority

router = Router(tags=["customers"])


def _coordinate(value: object) -> str | None:
    return None if value is None else f"{value:.6f}"


class CustomerOut(Schema):
    customer_code: str
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
    def resolve_customer_code(obj: Customer) -> str:  # also a _Brief
        return obj.code

    @staticmethod
    def resolve_lat(obj: Customer) -> str | None:
        return _coordinate(obj.lat)

    @staticmethod
    def resolve_lon(obj: Customer) -> str | None:
        return _coordinate(obj.lon)

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


class VisitOut(Schema):
    id: str
    employee_no: str
    checkin_at: dt.datetime
    met_whom: str
    interest: str
    next_step: str
    next_date: dt.date | None

    @staticmethod
    def resolve_id(obj: object) -> str:
        return str(obj.id)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_employee_no(obj: object) -> str:
        return obj.person.employee_no  # type: ignore[attr-defined]


class OpportunityOut(Schema):
    title: str
    stage: str
    amount: str
    expected_close: dt.date | None
    probability: str
    owner_employee_no: str | None

    @staticmethod
    def resolve_amount(obj: object) -> str:
        return f"{obj.amount:.2f}"  # type: ignore[attr-defined]

    @staticmethod
    def resolve_probability(obj: object) -> str:
        return f"{obj.probability:.3f}"  # type: ignore[attr-defined]

    @staticmethod
    def resolve_owner_employee_no(obj: object) -> str | None:
        owner = obj.owner  # type: ignore[attr-defined]
        return owner.employee_no if owner else None


class OwnershipOut(Schema):
    changed_at: dt.datetime
    from_employee_no: str | None
    to_employee_no: str | None
    reason: str
    note: str
    changed_by: str | None

    @staticmethod
    def resolve_from_employee_no(obj: OwnershipChange) -> str | None:
        return obj.from_person.employee_no if obj.from_person else None

    @staticmethod
    def resolve_to_employee_no(obj: OwnershipChange) -> str | None:
        return obj.to_person.employee_no if obj.to_person else None

    @staticmethod
    def resolve_changed_by(obj: OwnershipChange) -> str | None:
        return obj.changed_by.employee_no if obj.changed_by else None


class CustomerDetailOut(CustomerOut):
    opens_at: dt.time | None
    closes_at: dt.time | None
    notes: str
    contacts: list[ContactOut]
    visits: list[VisitOut] = Field(description="The last three visits, newest first")
    opportunities: list[OpportunityOut] = Field(description="Open opportunities")
    ownership: list[OwnershipOut] = Field(description="Changes of owner, newest first")


class CustomersQuery(Schema):
    owner: str | None = Field(None, description="Employee number of the owner")
    status: CustomerStatus | None = None
    priority: Priority | None = None
    pool: bool = Field(False, description="Only customers in the open pool")
    mine: bool = Field(False, description="Only the caller's own customers")
    q: str | None = Field(None, description="Search code, name, address, industry")


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@router.get("/customers", response=list[CustomerOut], summary="Customers the caller may see")
@paginate(PageNumberPagination, page_size=50)
def customers(request: HttpRequest, filters: Query[CustomersQuery]):  # type: ignore[type-arg]
    return customer_list(
        _viewer(request),
        CustomerFilters(
            owner=(filters.owner or "").strip(),
            status=filters.status or "",
            priority=filters.priority or "",
            pool=filters.pool,
            mine=filters.mine,
            search=(filters.q or "").strip(),
        ),
    )


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
    response=CustomerDetailOut,
    summary="A customer's brief: contacts, last visits, open opportunities, owners",
)
def customer(request: HttpRequest, customer_code: str) -> _Brief:
    found = access_customer(_viewer(request), customer_code)
    return _Brief(found, customer_detail(found))
