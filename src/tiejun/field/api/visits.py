"""Check-ins over the API: ``POST /api/v1/visits`` (idempotent on the client's id), the caller's
visible visits of a day, and the check-out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.crm.models import SalesChannel
from tiejun.dateinput import Day, Moment, check_moment
from tiejun.errors import NotFound, TiejunError
from tiejun.http import AuthedRequest
from tiejun.org.selectors import access_person

from ..models import Visit
from ..selectors.visits import (
    access_visit,
    checkin_warnings,
    parse_id,
    visits_awaiting,
    visits_visible_to,
)
from ..services.checkins import visit_checkin
from ..services.visits import visit_approve, visit_checkout

router = Router(tags=["visits"])
# Photos are stored as JPEG; older ones kept the phone's format.
PHOTO_TYPES = {"png": "image/png", "webp": "image/webp", "gif": "image/gif", "heic": "image/heic"}


class VisitOut(Schema):
    id: str
    employee_no: str = Field(alias="person.employee_no")
    unit_code: str = Field(alias="unit.code", description="The rep's team on the day of the visit")
    customer_code: str = Field(alias="customer.code")
    customer_name: str = Field(alias="customer.name")
    checkin_at: dt.datetime
    lat: float | None
    lon: float | None
    accuracy_m: int | None
    position_at: dt.datetime | None
    distance_m: int | None = Field(description="Metres from the customer's location")
    outside_geofence: bool
    poor_accuracy: bool
    stale_position: bool
    photo: str | None = Field(
        description="URL of the photo (a downscaled copy), served to those who may see the visit"
    )
    checkout_at: dt.datetime | None
    auto_checkout: bool = Field(description="Checked out by the rep's next check-in elsewhere")
    duration_minutes: int | None
    met_whom: str
    interest: str
    next_step: str
    next_date: dt.date | None
    notes: str
    channel: str
    approval: str = Field(
        description="'' (counts), 'pending' (sent too late: waits for the supervisor's approval "
        "and does not count yet), 'approved' or 'refused'"
    )
    warnings: list[str] = Field(
        description="What the rep should know at once: outside the geofence, held for approval, "
        "an earlier open visit checked out"
    )

    @staticmethod
    def resolve_id(obj: Visit) -> str:
        return str(obj.pk)

    @staticmethod
    def resolve_lat(obj: Visit) -> float | None:
        return float(obj.lat) if obj.lat is not None else None

    @staticmethod
    def resolve_lon(obj: Visit) -> float | None:
        return float(obj.lon) if obj.lon is not None else None

    @staticmethod
    def resolve_photo(obj: Visit) -> str | None:
        return f"/api/v1/visits/{obj.pk}/photo" if obj.photo else None

    @staticmethod
    def resolve_warnings(obj: Visit) -> list[str]:
        return checkin_warnings(obj)


def visit_out(visit: Visit) -> VisitOut:
    """``VisitOut`` of ``visit``, built field by field: what validating the model instance through
    the schema gives, without the per-field look-ups (the check-in answers with it; ninja sends a
    schema instance as it is). ``tests/field/test_visits.py`` holds the two equal."""
    return VisitOut.model_construct(
        id=str(visit.pk),
        employee_no=visit.person.employee_no,
        unit_code=visit.unit.code,
        customer_code=visit.customer.code,
        customer_name=visit.customer.name,
        checkin_at=visit.checkin_at,
        lat=VisitOut.resolve_lat(visit),
        lon=VisitOut.resolve_lon(visit),
        accuracy_m=visit.accuracy_m,
        position_at=visit.position_at,
        distance_m=visit.distance_m,
        outside_geofence=visit.outside_geofence,
        poor_accuracy=visit.poor_accuracy,
        stale_position=visit.stale_position,
        photo=VisitOut.resolve_photo(visit),
        checkout_at=visit.checkout_at,
        auto_checkout=visit.auto_checkout,
        duration_minutes=visit.duration_minutes,
        met_whom=visit.met_whom,
        interest=visit.interest,
        next_step=visit.next_step,
        next_date=visit.next_date,
        notes=visit.notes,
        channel=visit.channel,
        approval=visit.approval,
        warnings=checkin_warnings(visit),
    )


class VisitsQuery(Schema):
    date: Day | None = Field(None, description="YYYY-MM-DD; today when left out")
    employee_no: str | None = Field(None, description="Only this person's visits")


class ApprovalIn(Schema):
    approve: bool = Field(description="true: the check-in counts; false: it is refused")


class CheckoutIn(Schema):
    checkout_at: Moment | None = Field(None, description="Now when left out")
    met_whom: str = ""
    interest: str = Field("", description="none, low, medium or high")
    next_step: str = ""
    next_date: Day | None = None
    notes: str = ""
    channel: SalesChannel | None = None


def _fields(request: AuthedRequest) -> tuple[dict[str, Any], Any]:
    """The check-in's fields and photo: JSON, or a multipart form (the phone page's)."""
    if request.content_type == "multipart/form-data" or request.FILES:
        return request.POST.dict(), request.FILES.get("photo")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise TiejunError(_("the request body is not JSON")) from None
    if not isinstance(data, dict):
        raise TiejunError(_("the request body must be a JSON object"))
    return data, None


def _when(data: dict[str, Any], name: str, *, required: bool) -> dt.datetime | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise TiejunError(_("%(field)s is required") % {"field": name}, field=name)
        return None
    parsed = None
    try:
        parsed = parse_datetime(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise TiejunError(
            _("%(value)s is not a date and time (ISO 8601)") % {"value": value}, field=name
        )
    return check_moment(parsed, field=name)


@router.post(
    "/visits",
    response={200: VisitOut, 201: VisitOut, **errors(400, 404, 409, 413)},
    summary="Check in at a customer",
    description="JSON or multipart (with an optional `photo`). Fields: `id` (a UUID the client "
    "generates), `customer_code`, `lat`, `lon`, `accuracy_m`, `position_at`, `checkin_at` "
    "(now when left out), `channel`. 201 when recorded; 200 when this id was recorded before, "
    "or when the caller checked in at the same customer within a few minutes (a double tap: "
    "the first visit is returned, nothing new is written); 404 for a customer the caller may not "
    "visit; 409 when the id belongs to someone else's check-in; 413 for a photo that is too "
    "large. A check-in older than TIEJUN_CHECKIN_BACKDATE_DAYS or in a month already over is "
    "stored with `approval` 'pending' and counts once the supervisor approves it. `warnings` "
    "tells the rep at once what is off (outside the geofence, held for approval).",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["id", "customer_code", "lat", "lon"],
                        "properties": {
                            "id": {"type": "string", "format": "uuid"},
                            "customer_code": {"type": "string"},
                            "lat": {"type": "number"},
                            "lon": {"type": "number"},
                            "accuracy_m": {"type": "number"},
                            "position_at": {"type": "string", "format": "date-time"},
                            "checkin_at": {"type": "string", "format": "date-time"},
                            "channel": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
)
def visit_create(request: AuthedRequest) -> Status:
    data, photo = _fields(request)
    # The first send is the common case: the customer is read with the rep's team and planned
    # stop in one statement, and the visit inserted; a retry or a double tap is found on the way
    # and answered with the stored visit.
    visit, created = visit_checkin(
        id=parse_id(data.get("id")),
        person=request.user,
        customer=str(data.get("customer_code") or ""),
        at=_when(data, "checkin_at", required=False) or timezone.now(),
        lat=data.get("lat"),
        lon=data.get("lon"),
        accuracy_m=data.get("accuracy_m"),
        position_at=_when(data, "position_at", required=False),
        photo=photo,
        channel=str(data.get("channel") or SalesChannel.VISIT).strip().lower(),
        source="api" if "Authorization" in request.headers else "app",
        known_new=True,
    )
    return Status(201 if created else 200, visit_out(visit))


@router.get(
    "/visits/approvals",
    response={200: list[VisitOut]},
    summary="The held (late) check-ins the caller may approve",
)
def visit_approvals(request: AuthedRequest) -> Any:
    return list(visits_awaiting(request.user)[:1000])


@router.post(
    "/visits/{visit_id}/approval",
    response={200: VisitOut, **errors(403, 404, 409, 422)},
    summary="Approve or refuse a held check-in (the supervisor; a repeat changes nothing)",
)
def visit_approval(request: AuthedRequest, visit_id: str, payload: ApprovalIn) -> Visit:
    return visit_approve(
        visit=access_visit(request.user, visit_id), by=request.user, approve=payload.approve
    )


@router.get(
    "/visits/{visit_id}/photo",
    response={200: None, **errors(404)},
    summary="The visit's photo, for those who may see the visit",
)
def visit_photo(request: AuthedRequest, visit_id: str) -> FileResponse:
    visit = access_visit(request.user, visit_id)
    if not visit.photo:
        raise NotFound(_("this visit has no photo"), field="id")
    kind = PHOTO_TYPES.get((visit.photo.name or "").rsplit(".", 1)[-1].lower(), "image/jpeg")
    try:
        response = FileResponse(visit.photo.open("rb"), content_type=kind)
    except OSError:  # the file is gone from the disk
        raise NotFound(_("this visit has no photo"), field="id") from None
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get(
    "/visits",
    response={200: list[VisitOut], **errors(404, 422)},
    summary="The visits the caller may see on a day",
)
def visit_list(request: AuthedRequest, filters: Query[VisitsQuery]) -> Any:
    qs = visits_visible_to(request.user, filters.date or timezone.localdate())
    if filters.employee_no:
        qs = qs.filter(person=access_person(request.user, filters.employee_no))
    return list(qs[:1000])


@router.post(
    "/visits/{visit_id}/checkout",
    response={200: VisitOut, **errors(400, 403, 404, 422)},
    summary="Check out: the visit's end and its outcome (a repeat corrects it)",
)
def visit_checkout_api(request: AuthedRequest, visit_id: str, payload: CheckoutIn) -> Visit:
    visit = access_visit(request.user, visit_id)
    return visit_checkout(
        visit=visit,
        by=request.user,
        at=payload.checkout_at,
        met_whom=payload.met_whom,
        interest=payload.interest,
        next_step=payload.next_step,
        next_date=payload.next_date,
        notes=payload.notes,
        channel=payload.channel.value if payload.channel else None,
    )


__all__ = ["router"]
