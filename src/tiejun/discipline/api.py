"""Red lines over the API: the flags to review, the cases, and one's own record.

``GET /api/v1/redlines/flags``, ``POST /api/v1/redlines/flags/{id}/dismiss``,
``POST /api/v1/redlines/flags/{id}/case``, ``GET|POST /api/v1/redlines/cases``,
``GET /api/v1/redlines/cases/{id}``, ``POST /api/v1/redlines/cases/{id}/decision``,
``GET /api/v1/redlines/mine``. Every route answers 404 for what the caller may not see (the
person's management chain and the admins see cases and flags; the person only the decisions).
Evidence files are added and read on the case page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import Day
from tiejun.errors import TiejunError
from tiejun.http import AuthedRequest

from .models import Case, Category, Evidence, Flag
from .selectors import (
    access_case,
    access_flag,
    access_subject,
    case_evidence,
    case_list,
    cases_of,
    flag_list,
)
from .services import case_decide, case_open, flag_dismiss

router = Router(tags=["red lines"])

MAX_ROWS = 500


class RedlineFlagOut(Schema):
    id: int
    kind: str
    employee_no: str = Field(alias="person.employee_no")
    name: str = Field(alias="person.name")
    unit: str = Field(alias="unit.code")
    day: dt.date
    score: float
    status: str
    evidence: dict[str, Any]
    case: str | None = Field(None, description="The case opened from it, e.g. RL-000012")
    review_reason: str

    @staticmethod
    def resolve_case(obj: Flag) -> str | None:
        return obj.case.number if obj.case is not None else None


class RedlineEvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    note: str
    uploaded_at: dt.datetime


class RedlineCaseOut(Schema):
    id: int
    number: str
    employee_no: str = Field(alias="person.employee_no")
    name: str = Field(alias="person.name")
    unit: str = Field(alias="unit.code")
    category: str = Field(alias="category.code")
    occurred_on: dt.date
    facts: str
    status: str
    opened_at: dt.datetime
    decision: str
    decision_reason: str
    effective_date: dt.date | None
    decided_at: dt.datetime | None
    applied_at: dt.datetime | None = Field(description="When a dismissal took effect")
    customers_handed_over: int


class RedlineCaseDetailOut(RedlineCaseOut):
    evidence: list[RedlineEvidenceOut]

    @staticmethod
    def resolve_evidence(obj: Case) -> list[Evidence]:
        return case_evidence(obj)


class RedlineDecisionRecordOut(Schema):
    number: str
    category: str = Field(alias="category.code")
    decision: str
    decision_reason: str
    effective_date: dt.date | None


class RedlineFlagsQuery(Schema):
    status: str = Field("open", description="open, dismissed or case; anything else: all")
    kind: str = Field(
        "", description="outside_geofence, shared_position, impossible_speed, reversal"
    )


class RedlineCasesQuery(Schema):
    status: str = Field("", description="open or decided; empty: all")


class RedlineCaseIn(Schema):
    category: str = Field(max_length=32, description="A category code, e.g. false_visit")
    occurred_on: Day
    facts: str = Field(max_length=10_000)


class RedlineCaseOpenIn(RedlineCaseIn):
    employee_no: str = Field(max_length=32)


class RedlineDismissIn(Schema):
    reason: str = Field(max_length=2_000)


class RedlineDecisionIn(Schema):
    decision: str = Field(description="warning, demotion, dismissal or cleared")
    reason: str = Field(max_length=2_000)
    effective_date: Day | None = Field(None, description="Default: today for 'cleared'")


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise TiejunError(_("unknown category %(code)s") % {"code": code}, field="category")
    return category


@router.get(
    "/redlines/flags",
    response={200: list[RedlineFlagOut], **errors(404, 422)},
    summary="Suspicious-pattern flags the caller may review (their management chain)",
)
def redline_flags(request: AuthedRequest, filters: Query[RedlineFlagsQuery]) -> Any:
    return list(flag_list(request.user, status=filters.status, kind=filters.kind)[:MAX_ROWS])


@router.post(
    "/redlines/flags/{flag_id}/dismiss",
    response={200: RedlineFlagOut, **errors(404, 422)},
    summary="Dismiss a flag with the reason it is no concern",
)
def redline_flag_dismiss(request: AuthedRequest, flag_id: int, payload: RedlineDismissIn) -> Any:
    flag = access_flag(request.user, flag_id)
    return flag_dismiss(flag=flag, by=request.user, reason=payload.reason)


@router.post(
    "/redlines/flags/{flag_id}/case",
    response={201: RedlineCaseOut, **errors(404, 422)},
    summary="Open a case from a flag",
)
def redline_flag_case(request: AuthedRequest, flag_id: int, payload: RedlineCaseIn) -> Any:
    flag = access_flag(request.user, flag_id)
    case = case_open(
        by=request.user,
        person=flag.person,
        category=_category(payload.category),
        occurred_on=payload.occurred_on,
        facts=payload.facts,
        flag=flag,
    )
    return Status(201, case)


@router.get(
    "/redlines/cases",
    response={200: list[RedlineCaseOut], **errors(422)},
    summary="Red-line cases the caller may see (their management chain; admins: all)",
)
def redline_cases(request: AuthedRequest, filters: Query[RedlineCasesQuery]) -> Any:
    return list(case_list(request.user, status=filters.status)[:MAX_ROWS])


@router.post(
    "/redlines/cases",
    response={201: RedlineCaseOut, **errors(404, 422)},
    summary="Open a case about a person in the caller's management chain",
)
def redline_case_open(request: AuthedRequest, payload: RedlineCaseOpenIn) -> Any:
    case = case_open(
        by=request.user,
        person=access_subject(request.user, payload.employee_no),
        category=_category(payload.category),
        occurred_on=payload.occurred_on,
        facts=payload.facts,
    )
    return Status(201, case)


@router.get(
    "/redlines/cases/{case_id}",
    response={200: RedlineCaseDetailOut, **errors(404, 422)},
    summary="One case with its evidence files' details",
)
def redline_case(request: AuthedRequest, case_id: str) -> Any:
    return access_case(request.user, case_id)


@router.post(
    "/redlines/cases/{case_id}/decision",
    response={200: RedlineCaseOut, **errors(403, 404, 422)},
    summary="Decide a case (a dismissal deactivates the person and hands their customers over)",
)
def redline_case_decide(request: AuthedRequest, case_id: str, payload: RedlineDecisionIn) -> Any:
    case = access_case(request.user, case_id)
    return case_decide(
        case=case,
        by=request.user,
        decision=payload.decision,
        reason=payload.reason,
        effective_date=payload.effective_date,
        today=timezone.localdate(),
    )


@router.get(
    "/redlines/mine",
    response={200: list[RedlineDecisionRecordOut], **errors()},
    summary="The decisions on red-line cases about the caller (never an open investigation)",
)
def redline_mine(request: AuthedRequest) -> Any:
    return list(cases_of(request.user))
