"""Transfer orders over the API: issue, list, acknowledge, report in, confirm the arrival."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Field, Path, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import Day
from tiejun.errors import NotFound
from tiejun.http import AuthedRequest
from tiejun.org.api import (
    MILESTONE_FIELD,
    MILESTONE_REASON_FIELD,
    MilestoneChoice,
    MoveWarningOut,
    MoveWarningsOut,
    TargetChoice,
    move_choices,
)
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.models import Role
from tiejun.org.selectors import access_person, access_unit

from .models import TransferOrder
from .selectors import access_order, offices_for, status_of, visible_orders
from .services import order_acknowledge, order_confirm_arrival, order_issue, order_report_checkin

router = Router(tags=["transfer orders"])
ID_MAX = 2**31 - 1
OrderId = Annotated[int, Path(ge=1, le=ID_MAX)]


class OrderIn(Schema):
    employee_no: str
    unit_code: str
    role: Role | None = None
    effective_date: Day
    report_by: dt.datetime = Field(description="When the person must have reported at the office")
    office_id: int = Field(..., ge=1, le=ID_MAX)
    note: str = Field("", max_length=2000)
    confirm: bool = Field(False, description="Issue it although the move has warnings")
    target: TargetChoice | None = None
    milestone: MilestoneChoice | None = MILESTONE_FIELD
    milestone_reason: str = MILESTONE_REASON_FIELD


class OrderOut(Schema):
    id: int
    employee_no: str
    name: str
    from_unit: str
    to_unit: str
    to_role: Role
    effective_date: dt.date
    report_by: dt.datetime
    office: str
    office_lat: float
    office_lon: float
    note: str
    issued_by: str | None
    issued_at: dt.datetime
    acknowledged_at: dt.datetime | None
    reported_at: dt.datetime | None
    reported_how: str
    status: str = Field(description="issued, acknowledged, overdue, reported or reported_late")


class ReportIn(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000)


def _out(order: TransferOrder, now: dt.datetime) -> OrderOut:
    return OrderOut(
        id=order.pk,
        employee_no=order.person.employee_no,
        name=order.person.name,
        from_unit=order.from_unit.code,
        to_unit=order.to_unit.code,
        to_role=Role(order.to_role),
        effective_date=order.effective,
        report_by=order.report_by,
        office=order.office.name,
        office_lat=float(order.office.lat),
        office_lon=float(order.office.lon),
        note=order.note,
        issued_by=order.issued_by.employee_no if order.issued_by else None,
        issued_at=order.issued_at,
        acknowledged_at=order.acknowledged_at,
        reported_at=order.reported_at,
        reported_how=order.reported_how,
        status=status_of(order, now),
    )


@router.get(
    "/orders",
    response={200: list[OrderOut], **errors(422)},
    summary="The transfer orders the caller may see, newest first (open ones only with open=true)",
)
def orders(request: AuthedRequest, open: bool = False) -> list[OrderOut]:
    qs = visible_orders(request.user)
    if open:
        qs = qs.filter(reported_at__isnull=True)
    now = timezone.now()
    return [_out(o, now) for o in qs[:500]]


@router.post(
    "/orders",
    response={201: OrderOut, 409: MoveWarningsOut, **errors(400, 403, 404, 422)},
    summary="Issue a transfer or promotion as an order (调令)",
    description="Saves the move (effective on ``effective_date``, whatever the order's state) "
    "and tells the person at once. A move with warnings answers 409 with them unless "
    "``confirm`` is true.",
)
def order_create(request: AuthedRequest, payload: OrderIn) -> Status:
    viewer = request.user
    person = access_person(viewer, payload.employee_no)
    unit = access_unit(viewer, payload.unit_code)
    office = offices_for(viewer).filter(pk=payload.office_id).first()
    if office is None:
        raise NotFound(f"unknown office {payload.office_id}", field="office_id")
    try:
        order = order_issue(
            person=person,
            unit=unit,
            role=payload.role.value if payload.role else None,
            effective=payload.effective_date,
            report_by=payload.report_by,
            office=office,
            note=payload.note,
            by=viewer,
            confirm=payload.confirm,
            choices=move_choices(payload),
        )
    except MoveNeedsConfirmation as refused:
        return Status(
            409,
            MoveWarningsOut(
                detail=str(refused),
                warnings=[MoveWarningOut(**w.as_json()) for w in refused.warnings],
            ),
        )
    return Status(201, _out(access_order(viewer, order.pk), timezone.now()))


@router.get(
    "/orders/{order_id}", response={200: OrderOut, **errors(404, 422)}, summary="One transfer order"
)
def order_detail(request: AuthedRequest, order_id: OrderId) -> OrderOut:
    return _out(access_order(request.user, order_id), timezone.now())


@router.post(
    "/orders/{order_id}/acknowledge",
    response={200: OrderOut, **errors(403, 404, 422)},
    summary="The person acknowledges their order",
)
def acknowledge(request: AuthedRequest, order_id: OrderId) -> OrderOut:
    order = order_acknowledge(order=access_order(request.user, order_id), by=request.user)
    return _out(access_order(request.user, order.pk), timezone.now())


@router.post(
    "/orders/{order_id}/report",
    response={200: OrderOut, **errors(403, 404, 422)},
    summary="The person reports in at the office (inside its geofence)",
)
def report(request: AuthedRequest, order_id: OrderId, payload: ReportIn) -> OrderOut:
    order = order_report_checkin(
        order=access_order(request.user, order_id),
        by=request.user,
        lat=payload.lat,
        lon=payload.lon,
        accuracy_m=payload.accuracy_m,
    )
    return _out(access_order(request.user, order.pk), timezone.now())


@router.post(
    "/orders/{order_id}/arrived",
    response={200: OrderOut, **errors(403, 404, 422)},
    summary="The receiving manager confirms the person has reported",
)
def arrived(request: AuthedRequest, order_id: OrderId) -> OrderOut:
    order = order_confirm_arrival(order=access_order(request.user, order_id), by=request.user)
    return _out(access_order(request.user, order.pk), timezone.now())
