"""Daily reports over the API: ``POST /api/v1/daily-reports`` (the caller's report for a date:
create or update, file it with ``"submit": true``) and ``GET /api/v1/daily-reports?date=``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tiejun.api_schemas import errors
from tiejun.dateinput import Day
from tiejun.org.models import Person

from . import reports
from .models import DailyReport

router = Router(tags=["daily reports"])


class DailyReportOut(Schema):
    id: int
    employee_no: str
    name: str
    date: dt.date
    visited: str
    feedback: str
    problems: str
    won: str
    tomorrow: str
    submitted_at: dt.datetime | None = Field(description="When it was filed; null: a draft")
    late: bool = Field(description="Filed after the due time")

    @staticmethod
    def resolve_employee_no(obj: DailyReport) -> str:
        return obj.person.employee_no

    @staticmethod
    def resolve_name(obj: DailyReport) -> str:
        return obj.person.name

    @staticmethod
    def resolve_late(obj: DailyReport) -> bool:
        return reports.is_late(obj)


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


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@router.post(
    "/daily-reports",
    response={200: DailyReportOut, 201: DailyReportOut, **errors(400, 422)},
    summary="Create or update the caller's daily report for a date; file it with submit",
)
def daily_report_post(request: HttpRequest, payload: DailyReportIn) -> Any:
    texts = {name: getattr(payload, name) for name in reports.TEXT_FIELDS}
    report, created = reports.daily_report_save(
        person=_viewer(request),
        day=payload.date or timezone.localdate(),
        texts=texts,
        submit=payload.submit,
    )
    report.person = _viewer(request)
    return Status(201 if created else 200, report)


@router.get(
    "/daily-reports",
    response={200: list[DailyReportOut], **errors(422)},
    summary="The daily reports of a date the caller may read (own, and the led units')",
)
def daily_reports_list(request: HttpRequest, filters: Query[DailyReportsQuery]) -> Any:
    day = filters.date or timezone.localdate()
    return list(
        reports.reports_visible_to(_viewer(request))
        .filter(date=day)
        .order_by("person__employee_no")
    )
