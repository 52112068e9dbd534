"""Incentives over the API: statements and milestone progress, read-only.

``GET /api/v1/incentives/statements/{employee_no}/{month}`` (the CLI's JSON);
``GET /api/v1/incentives/milestones/{employee_no}``. A person sees their own; a manager or
supervisor the people of the subtree they lead; admin everyone. Anyone else: 404, as for an
unknown employee number. ``POST …/statements/{employee_no}/{month}/approve`` freezes a closed
month's statement (a manager above the person).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Router, Schema

from tiejun.api_schemas import errors
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest
from tiejun.workdays import parse_month

from .selectors import access_statement_person, milestone_progress, statement_for
from .services import statement_approve

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
