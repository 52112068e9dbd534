"""Incentives over the API: statements and milestone progress, read-only.

``GET /api/v1/incentives/statements/{employee_no}/{month}`` (the CLI's JSON);
``GET /api/v1/incentives/milestones/{employee_no}``. A person sees their own; a manager or
supervisor the people of the subtree they lead; admin everyone. Anyone else: 404, as for an
unknown employee number. ``POST …/statements/{employee_no}/{month}/approve`` freezes a closed
month's statement (a manager above the person). ``GET …/exceptions`` lists the milestone
exceptions the caller may see (the promotion advisor's), ``POST …/exceptions/{id}/approve`` and
``…/refuse`` decide a pending one (a manager a level above the person's unit, never the one who
asked).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Path, Router, Schema

from tiejun.api_schemas import errors
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.workdays import parse_month

from .models import MilestoneException
from .selectors import (
    access_exception,
    access_statement_person,
    exceptions_for,
    milestone_progress,
    statement_for,
)
from .services import milestone_exception_decide, statement_approve

router = Router(tags=["incentives"])


class MilestoneOut(Schema):
    employee_no: str
    milestone: str
    plan: str
    ytd: str
    threshold: str
    reached_on: dt.date | None
    projected_on: dt.date | None
    probability: float | None
    reward: str
    status: str


def _month(text: str) -> dt.date:
    try:
        return parse_month(text)
    except ValueError:
        raise TiejunError(f"month must be YYYY-MM, not {text!r}", field="month") from None


@router.get(
    "/incentives/statements/{employee_no}/{month}",
    response={200: dict[str, Any], **errors(404, 422)},
    summary="A person's incentive statement of a month (as frozen once approved)",
)
def incentive_statement(request: AuthedRequest, employee_no: str, month: str) -> Any:
    today = timezone.localdate()
    person = access_statement_person(request.user, employee_no, today=today)
    return statement_for(person, _month(month), today=today).as_json()


@router.post(
    "/incentives/statements/{employee_no}/{month}/approve",
    response={200: dict[str, Any], **errors(404, 422)},
    summary="Approve and freeze a closed month's statement (a manager above the person)",
)
def incentive_statement_approve(request: AuthedRequest, employee_no: str, month: str) -> Any:
    today = timezone.localdate()
    statement = statement_approve(
        viewer=request.user, employee_no=employee_no, month=_month(month), today=today
    )
    return statement_for(statement.person, statement.month, today=today).as_json()


@router.get(
    "/incentives/milestones/{employee_no}",
    response={200: list[MilestoneOut], **errors(404)},
    summary="A person's annual milestones: YTD, threshold, reached or projected date",
)
def incentive_milestones(request: AuthedRequest, employee_no: str) -> Any:
    today = timezone.localdate()
    person = access_statement_person(request.user, employee_no, today=today)
    return [row.as_json() for row in milestone_progress(person, today=today)]


ExceptionId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ExceptionOut(Schema):
    id: int
    employee_no: str
    plan: str
    milestone: str
    reward: str
    unit_code: str
    effective_date: dt.date
    leaving: bool
    reason: str
    status: str = Field(description="pending, approved or refused")
    requested_by: str | None
    decided_by: str | None
    decision_note: str


class ExceptionDecisionIn(Schema):
    note: str = Field("", max_length=500, description="Required to refuse")


def _exception_out(e: MilestoneException) -> ExceptionOut:
    return ExceptionOut(
        id=e.pk,
        employee_no=e.person.employee_no,
        plan=e.milestone.plan.code,
        milestone=e.milestone.code,
        reward=e.milestone.reward,
        unit_code=e.unit.code,
        effective_date=e.effective,
        leaving=e.leaving,
        reason=e.reason,
        status=e.status,
        requested_by=e.requested_by.employee_no if e.requested_by else None,
        decided_by=e.decided_by.employee_no if e.decided_by else None,
        decision_note=e.decision_note,
    )


@router.get(
    "/incentives/exceptions",
    response={200: list[ExceptionOut]},
    summary="Milestone exceptions the caller may see, pending first",
)
def incentive_exceptions(request: AuthedRequest) -> Any:
    today = timezone.localdate()
    return [_exception_out(e) for e in exceptions_for(request.user, today=today)]


def _decide(
    request: AuthedRequest, exception_id: ExceptionId, payload: ExceptionDecisionIn, approve: bool
) -> Any:
    today = timezone.localdate()
    exception = milestone_exception_decide(
        viewer=request.user,
        exception_id=exception_id,
        approve=approve,
        note=payload.note,
        today=today,
    )
    return _exception_out(access_exception(request.user, exception.pk, today=today))


@router.post(
    "/incentives/exceptions/{exception_id}/approve",
    response={200: ExceptionOut, **errors(400, 403, 404, 422)},
    summary="Approve a milestone exception: the person keeps the milestone after the move",
)
def incentive_exception_approve(
    request: AuthedRequest, exception_id: ExceptionId, payload: ExceptionDecisionIn
) -> Any:
    return _decide(request, exception_id, payload, True)


@router.post(
    "/incentives/exceptions/{exception_id}/refuse",
    response={200: ExceptionOut, **errors(400, 403, 404, 422)},
    summary="Refuse a milestone exception (with a note): the milestone is forfeited",
)
def incentive_exception_refuse(
    request: AuthedRequest, exception_id: ExceptionId, payload: ExceptionDecisionIn
) -> Any:
    return _decide(request, exception_id, payload, False)
