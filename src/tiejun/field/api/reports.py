"""Daily reports over the API: ``POST /api/v1/daily-reports`` (the caller's report for a date:
create or update, file it with ``"submit": true``) and ``GET /api/v1/daily-reports?date=``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import Day
from tiejun.http import AuthedRequest

from ..models import DailyReport
from ..selectors.reports import TEXT_FIELDS, is_late, reports_visible_to
from ..services.reports import daily_report_save

router = Router(tags=["daily reports"])


class DailyReportOut(Schema):
    id: int
    employee_no: str = Field(alias="person.employee_no")
    name: str = Field(alias="person.name")
    date: dt.date
    visited: str
    feedback: str
    problems: str
    won: str
    tomorrow: str
    submitted_at: dt.datetime | None = Field(description="When it was filed; null: a draft")
    late: bool = Field(description="Filed after the due time")

    @staticmethod
    def resolve_late(obj: DailyReport) -> bool:
        return is_late(obj)


class DailyReportIn(Schema):
    date: Day | None = Field(None, description="Default: today")
    visited: str | None = Field(None, description="Left out: kept (a new report: pre-filled)")
    feedback: str | None = None
    problems: str | None = None
    won: str | None = None
    tomorrow: str | None = None
    submit: bool = Field(False, description="File the report (its filing time is kept)")


class DailyReportsQuery(Schema):
    date: Day | None = Field(None, description="Default: today")


@router.post(
    "/daily-reports",
    response={200: DailyReportOut, 201: DailyReportOut, **errors(400, 422)},
    summary="Create or update the caller's daily report for a date; file it with submit",
)
def daily_report_post(request: AuthedRequest, payload: DailyReportIn) -> Any:
    texts = {name: getattr(payload, name) for name in TEXT_FIELDS}
    report, created = daily_report_save(
        person=request.user,
        day=payload.date or timezone.localdate(),
        texts=texts,
        submit=payload.submit,
    )
    report.person = request.user
    return Status(201 if created else 200, report)


@router.get(
    "/daily-reports",
    response={200: list[DailyReportOut], **errors(422)},
    summary="The daily reports of a date the caller may read (own, and the led units')",
)
def daily_reports_list(request: AuthedRequest, filters: Query[DailyReportsQuery]) -> Any:
    day = filters.date or timezone.localdate()
    return list(reports_visible_to(request.user).filter(date=day).order_by("person__employee_no"))
