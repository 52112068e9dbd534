"""Targets over the API: read a unit's cascade, set one target. (Splitting a unit's target over
its children is the target cascade: ``scoreboard.api``.)"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tiejun.api_schemas import errors
from tiejun.dateinput import parse_month
from tiejun.errors import Forbidden, NotFound
from tiejun.http import AuthedRequest
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Person, Unit, UnitKind
from tiejun.org.selectors import (
    access_person,
    access_unit,
    can_manage_unit,
    default_unit,
    membership_on,
)

from .selectors import cascade_for_unit
from .services import month_is_locked, target_set

router = Router(tags=["targets"])

Value = str | int | None  # money as a two-decimal string, counts as integers, unset as null
MONTH_HELP = "YYYY-MM"


class UnitRef(Schema):
    code: str
    name: str
    kind: UnitKind


class CascadeRowOut(Schema):
    scope: Literal["unit", "person"]
    code: str
    name: str
    target: Value = Field(description="The child's own target")
    children_sum: Value = Field(description="Sum of the child's own children's targets")
    allocation_gap: Value


class CascadeOut(Schema):
    unit: UnitRef
    month: str = Field(description=MONTH_HELP)
    metric: str
    locked: bool = Field(description="Targets lock on the month's first working day")
    target: Value = Field(description="The unit's own target, else the sum of its children's")
    own_target: Value
    children_sum: Value
    allocation_gap: Value
    rows: list[CascadeRowOut]


class TargetsQuery(Schema):
    month: str | None = Field(None, description=f"{MONTH_HELP}; this month if left out")
    metric: str = "revenue"
    unit: str | None = Field(None, description="Unit code; the caller's own unit if left out")


class TargetIn(Schema):
    month: str = Field(description=MONTH_HELP, examples=["2026-07"])
    scope: Literal["unit", "person"]
    code: str = Field(description="Unit code, or employee number when scope is person")
    metric: str = "revenue"
    value: Decimal
    reason: str = Field("", description="Needed to change a target of a locked month")


class TargetOut(Schema):
    month: str
    scope: Literal["unit", "person"]
    code: str
    name: str
    metric: str
    value: Value
    locked: bool


def month_arg(text: str | None) -> dt.date:
    """The month of a request's ``month`` field; this month if left out."""
    if not text:
        return timezone.localdate().replace(day=1)
    return parse_month(text, field="month") or timezone.localdate().replace(day=1)


def managed_unit(viewer: Person, code: str) -> Unit:
    """The unit of ``code`` if ``viewer`` may set its targets (missing and unseen alike 404)."""
    unit = access_unit(viewer, code)
    if not can_manage_unit(viewer, unit):
        raise Forbidden(_("you may not set targets for %(unit)s") % {"unit": unit.name})
    return unit


@router.get(
    "/targets",
    response={200: CascadeOut, **errors(400, 404, 422)},
    summary="A unit's target for a month and its children's, with allocation gaps",
)
def targets(request: AuthedRequest, filters: Query[TargetsQuery]) -> CascadeOut:
    viewer = request.user
    month = month_arg(filters.month)
    m = get_metric(filters.metric)
    if filters.unit:
        unit = access_unit(viewer, filters.unit)
    else:
        found = default_unit(viewer)
        if found is None:
            raise NotFound(_("you belong to no unit; name one with unit="), field="unit")
        unit = found
    cascade = cascade_for_unit(unit, month, m.code)
    return CascadeOut(
        unit=UnitRef(code=unit.code, name=unit.name, kind=UnitKind(unit.kind)),
        month=f"{month:%Y-%m}",
        metric=m.code,
        locked=month_is_locked(month),
        target=m.to_json(cascade.effective),
        own_target=m.to_json(cascade.own),
        children_sum=m.to_json(cascade.children_sum),
        allocation_gap=m.to_json(cascade.gap),
        rows=[
            CascadeRowOut(
                scope=row.kind,  # type: ignore[arg-type]
                code=row.code,
                name=row.name,
                target=m.to_json(row.target),
                children_sum=m.to_json(row.children_sum),
                allocation_gap=m.to_json(row.gap),
            )
            for row in cascade.rows
        ],
    )


@router.put(
    "/targets",
    response={200: TargetOut, **errors(400, 403, 404, 422)},
    summary="Set one target of a unit or a person",
)
def target_put(request: AuthedRequest, payload: TargetIn) -> TargetOut:
    viewer = request.user
    month = month_arg(payload.month)
    m = get_metric(payload.metric)
    if payload.scope == "unit":
        unit = managed_unit(viewer, payload.code)
        target = target_set(
            month=month,
            metric=m.code,
            value=payload.value,
            unit=unit,
            by=viewer,
            reason=payload.reason,
        )
        name = unit.name
    else:
        person = access_person(viewer, payload.code)
        membership = membership_on(person, timezone.localdate()) or membership_on(person, month)
        if membership is None or not can_manage_unit(viewer, membership.unit):
            raise Forbidden(_("you may not set targets for %(name)s") % {"name": person.name})
        target = target_set(
            month=month,
            metric=m.code,
            value=payload.value,
            person=person,
            by=viewer,
            reason=payload.reason,
        )
        name = person.name
    return TargetOut(
        month=f"{month:%Y-%m}",
        scope=payload.scope,
        code=payload.code,
        name=name,
        metric=m.code,
        value=m.to_json(target.value),
        locked=month_is_locked(month),
    )
