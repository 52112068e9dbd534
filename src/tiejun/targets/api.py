"""Targets over the API: read a unit's cascade, set one target, cascade a month to every rep in
one pass, confirm one's targets (目标确认), and the change requests of a locked month. (Splitting
a unit's target over its direct children is ``scoreboard.api``'s ``/split``.)"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import parse_month
from tiejun.errors import Forbidden, NotFound, TiejunError
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

from .cascade import cascade_plan, cascade_save
from .changes import (
    access_change_request,
    change_request_create,
    change_request_decide,
    change_request_withdraw,
    change_requests_for,
    may_decide,
)
from .models import TargetChangeRequest
from .selectors import cascade_for_unit
from .services import ChildKey, month_is_locked, target_set
from .signoff import SignoffRow, signoff_for_unit, targets_confirm

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


def required_month(text: str | None, field: str = "month") -> dt.date:
    """A month that must be given: ``YYYY-MM``, else the user error naming ``field``."""
    month = parse_month(text, field=field)
    if month is None:
        raise TiejunError(_("month must be YYYY-MM"), field=field)
    return month


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


# --- the one-pass cascade ------------------------------------------------------------------------


class CascadeIn(Schema):
    month: str = Field(description=MONTH_HELP, examples=["2027-01"])
    metric: str = "revenue"
    total: Decimal
    methods: list[Literal["even", "share", "hand"]] = Field(
        ["even"],
        description="One per level from the unit down (the last repeats below)",
        max_length=10,
    )
    base: str | None = Field(
        None,
        description="First month of the base period (YYYY-MM); the last complete month if left out",
    )
    base_months: int = Field(1, ge=1, le=12)
    round: Decimal = Field(Decimal(1), description="0.01, 1, 100 or 1000")
    by_hand: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Cells typed by hand, kept as they are: unit code or employee number → value",
        max_length=5000,
    )
    reason: str = Field("", max_length=500, description="Needed in a locked month")
    dry_run: bool = False


class CascadeTargetOut(Schema):
    scope: Literal["unit", "person"]
    code: str
    name: str
    kind: str
    depth: int
    parent: str | None
    value: Value
    old_value: Value
    changed: bool
    by_hand: bool
    base_result: Value
    base_share: str | None = Field(description="Share of the siblings' base results, 0–1")
    allocation_gap: Value


class SkippedOut(Schema):
    code: str
    name: str
    reason: str


class CascadePlanOut(Schema):
    unit: UnitRef
    month: str
    metric: str
    total: Value
    methods: list[str]
    round: Value
    base: dict[str, str]
    dry_run: bool
    written: bool
    units: int
    people: int
    changed: int
    targets: list[CascadeTargetOut]
    skipped_units: list[SkippedOut]


def _by_hand(plan_keys: dict[str, ChildKey], values: dict[str, Decimal]) -> dict[ChildKey, Decimal]:
    unknown = sorted(set(values) - set(plan_keys))
    if unknown:
        raise TiejunError(
            _("%(codes)s are not below the unit") % {"codes": ", ".join(unknown)}, field="by_hand"
        )
    return {plan_keys[code]: value for code, value in values.items()}


@router.post(
    "/targets/{unit_code}/cascade",
    response={200: CascadePlanOut, **errors(400, 403, 404, 422)},
    summary="Split a unit's target of a month down to every rep in one pass",
    description="Preview with dry_run; the same plan is saved all or nothing. Only reps active on "
    "the month's first day get a target; units with none are skipped.",
)
def target_cascade_api(
    request: AuthedRequest, unit_code: str, payload: CascadeIn
) -> dict[str, Any]:
    viewer = request.user
    unit = managed_unit(viewer, unit_code)
    month = required_month(payload.month)
    base = parse_month(payload.base, field="base") if payload.base else None
    args: dict[str, Any] = {
        "unit": unit,
        "month": month,
        "metric": get_metric(payload.metric).code,
        "total": payload.total,
        "methods": list(payload.methods),
        "base": base,
        "base_months": payload.base_months,
        "rounding": payload.round,
    }
    plan = cascade_plan(**args)
    if payload.by_hand:
        keys = {node.code: node.key for node in plan.nodes if node.depth > 0}
        plan = cascade_plan(**args, pinned=_by_hand(keys, payload.by_hand))
    if not payload.dry_run:
        cascade_save(plan=plan, by=viewer, reason=payload.reason)
    return plan.to_json(dry_run=payload.dry_run, written=not payload.dry_run)


# --- sign-off (目标确认) -----------------------------------------------------------------------


class OwedOut(Schema):
    scope: Literal["unit", "person"]
    code: str
    name: str
    metric: str
    value: Value


class ConfirmationOut(Schema):
    month: str
    employee_no: str
    name: str
    confirmed: bool
    confirmed_at: dt.datetime | None
    created: bool = Field(description="False when the same targets were confirmed already")
    targets: list[OwedOut]


class SignoffRowOut(Schema):
    employee_no: str
    name: str
    role: str
    unit: str
    confirmed: bool
    confirmed_at: dt.datetime | None
    changed_since: bool = Field(description="Confirmed, but a target changed afterwards")
    targets: list[OwedOut]


class SignoffOut(Schema):
    unit: UnitRef
    month: str
    confirmed: int
    pending: int
    people: list[SignoffRowOut]


def _owed(row: SignoffRow) -> list[OwedOut]:
    return [
        OwedOut(
            scope=o.scope,  # type: ignore[arg-type]
            code=o.code,
            name=o.name,
            metric=o.metric,
            value=get_metric(o.metric).to_json(o.value),
        )
        for o in row.owed
    ]


@router.post(
    "/targets/{month}/confirm",
    response={200: ConfirmationOut, **errors(400, 404, 422)},
    summary="Confirm your own targets of a month (目标确认)",
    description="A rep confirms their own target, a unit head their unit's. Tapping again on "
    "unchanged targets changes nothing; after a change the targets are confirmed anew.",
)
def target_confirm_api(request: AuthedRequest, month: str) -> ConfirmationOut:
    day = required_month(month)
    row, created = targets_confirm(person=request.user, month=day)
    return ConfirmationOut(
        month=f"{day:%Y-%m}",
        employee_no=request.user.employee_no,
        name=request.user.name,
        confirmed=row.confirmed,
        confirmed_at=row.confirmed_at,
        created=created,
        targets=_owed(row),
    )


@router.get(
    "/targets/{month}/confirmations",
    response={200: SignoffOut, **errors(400, 404, 422)},
    summary="Who in a unit has confirmed the month's targets, and who has not",
)
def target_confirmations_api(
    request: AuthedRequest, month: str, unit: str | None = None
) -> SignoffOut:
    day = required_month(month)
    if unit:
        found = access_unit(request.user, unit)
    else:
        default = default_unit(request.user)
        if default is None:
            raise NotFound(_("you belong to no unit; name one with unit="), field="unit")
        found = default
    signoff = signoff_for_unit(found, day)
    return SignoffOut(
        unit=UnitRef(code=found.code, name=found.name, kind=UnitKind(found.kind)),
        month=f"{day:%Y-%m}",
        confirmed=signoff.confirmed_count,
        pending=len(signoff.pending),
        people=[
            SignoffRowOut(
                employee_no=r.person.employee_no,
                name=r.person.name,
                role=r.role,
                unit=r.unit.code,
                confirmed=r.confirmed,
                confirmed_at=r.confirmed_at,
                changed_since=r.stale,
                targets=_owed(r),
            )
            for r in signoff.rows
        ],
    )


# --- change requests after the lock ---------------------------------------------------------


class ChangeRequestIn(Schema):
    month: str = Field(description=MONTH_HELP, examples=["2026-12"])
    scope: Literal["unit", "person"]
    code: str = Field(description="Unit code, or employee number when scope is person")
    metric: str = "revenue"
    value: Decimal
    reason: str = Field(description="Why: at least 10 letters or digits (5 Chinese characters)")


class DecisionIn(Schema):
    note: str = Field("", max_length=500, description="Needed to reject")


class ChangeRequestOut(Schema):
    id: int
    month: str
    scope: Literal["unit", "person"]
    code: str
    name: str
    metric: str
    old_value: Value
    new_value: Value
    reason: str
    status: str
    requested_by: str | None
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str
    can_decide: bool = Field(description="Whether the caller may approve or reject it")
    direct: bool = Field(
        default=False,
        description="A change the level above (or a move) made itself, recorded as approved at once",
    )


def _request_out(r: TargetChangeRequest, *, can_decide: bool) -> ChangeRequestOut:
    m = get_metric(r.metric)
    holder = r.unit if r.unit is not None else r.person
    return ChangeRequestOut(
        id=r.pk,
        month=f"{r.month:%Y-%m}",
        scope="unit" if r.unit_id else "person",
        code=r.unit.code if r.unit is not None else r.person.employee_no,  # type: ignore[union-attr]
        name=holder.name,  # type: ignore[union-attr]
        metric=r.metric,
        old_value=m.to_json(r.old_value),
        new_value=m.to_json(r.new_value),
        reason=r.reason,
        status=r.status,
        requested_by=r.requested_by.employee_no if r.requested_by else None,
        requested_at=r.requested_at,
        decided_by=r.decided_by.employee_no if r.decided_by else None,
        decided_at=r.decided_at,
        note=r.decision_note,
        can_decide=can_decide,
        direct=r.status == "approved" and r.requested_by_id == r.decided_by_id,
    )


@router.get(
    "/targets/requests",
    response={200: list[ChangeRequestOut], **errors(400, 422)},
    summary="The approval queue: change requests the caller asked, or may see and decide",
)
def change_requests_api(
    request: AuthedRequest,
    status: Literal["pending", "approved", "rejected", "withdrawn", "all"] = "pending",
) -> list[ChangeRequestOut]:
    rows = change_requests_for(request.user, status=None if status == "all" else status)
    return [_request_out(r.request, can_decide=r.can_decide) for r in rows]


@router.post(
    "/targets/requests",
    response={201: ChangeRequestOut, **errors(400, 403, 404, 422)},
    summary="Ask to change a target of a locked month",
)
def change_request_create_api(request: AuthedRequest, payload: ChangeRequestIn) -> Status:
    viewer = request.user
    month = required_month(payload.month)
    owner: dict[str, Any]
    if payload.scope == "unit":
        owner = {"unit": access_unit(viewer, payload.code)}
    else:
        owner = {"person": access_person(viewer, payload.code)}
    created = change_request_create(
        by=viewer,
        month=month,
        metric=payload.metric,
        value=payload.value,
        reason=payload.reason,
        **owner,
    )
    return Status(201, _request_out(created, can_decide=may_decide(viewer, created)))


def _decide(request: AuthedRequest, request_id: int, approve: bool, note: str) -> ChangeRequestOut:
    access_change_request(request.user, request_id)
    decided = change_request_decide(
        request_id=request_id, by=request.user, approve=approve, note=note
    )
    return _request_out(decided, can_decide=False)


@router.post(
    "/targets/requests/{request_id}/approve",
    response={200: ChangeRequestOut, **errors(400, 403, 404, 422)},
    summary="Approve a change request: the target changes now",
)
def change_request_approve_api(
    request: AuthedRequest, request_id: int, payload: DecisionIn | None = None
) -> ChangeRequestOut:
    return _decide(request, request_id, True, payload.note if payload else "")


@router.post(
    "/targets/requests/{request_id}/reject",
    response={200: ChangeRequestOut, **errors(400, 403, 404, 422)},
    summary="Reject a change request, saying why",
)
def change_request_reject_api(
    request: AuthedRequest, request_id: int, payload: DecisionIn
) -> ChangeRequestOut:
    return _decide(request, request_id, False, payload.note)


@router.post(
    "/targets/requests/{request_id}/withdraw",
    response={200: ChangeRequestOut, **errors(400, 403, 404, 422)},
    summary="Withdraw your own pending change request",
)
def change_request_withdraw_api(request: AuthedRequest, request_id: int) -> ChangeRequestOut:
    access_change_request(request.user, request_id)
    return _request_out(
        change_request_withdraw(request_id=request_id, by=request.user), can_decide=False
    )
