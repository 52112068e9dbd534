"""Writes of daily reports (日报): saving and filing by the due time, comments, and the
reminders through the notification outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Membership, Person, Role
from tiejun.org.selectors import work_calendar

from ..models import DailyReport, ReportComment
from ..selectors.reports import TEXT_FIELDS, due_time, earliest_report_day, report_prefill

TEXT_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 2000

# --- writes -------------------------------------------------------------------------------------


def _clean_texts(values: Mapping[str, str | None]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        if name not in TEXT_FIELDS:
            raise TiejunError(_("Unknown field %(name)s.") % {"name": name}, field=name)
        if value is None:
            continue
        text = str(value).replace("\r\n", "\n").strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise TiejunError(
                _("This text is too long (at most %(n)d characters).") % {"n": TEXT_MAX_LENGTH},
                field=name,
            )
        cleaned[name] = text
    return cleaned


def check_report_date(day: dt.date, today: dt.date) -> None:
    """Refuse a report (new or corrected) for a date before the previous working day."""
    if day >= today - dt.timedelta(days=1):
        return  # today and yesterday are always open: no calendar to read
    earliest = earliest_report_day(today)
    if day < earliest:
        raise TiejunError(
            _(
                "The daily report for %(day)s can no longer be written or changed: reports are "
                "taken for today and the previous working day (%(earliest)s). Tell your "
                "supervisor instead."
            )
            % {"day": day.isoformat(), "earliest": earliest.isoformat()},
            field="date",
        )


def daily_report_save(
    *,
    person: Person,
    day: dt.date,
    texts: Mapping[str, str | None] | None = None,
    submit: bool = False,
    now: dt.datetime | None = None,
) -> tuple[DailyReport, bool]:
    """Create or update ``person``'s report for ``day``; ``submit`` files it (once: a filed
    report may still be corrected, its filing time stays). Texts left out (``None``) keep their
    stored value, or the pre-filled one on a new report. Returns (report, created)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if day > today:
        raise TiejunError(_("A daily report cannot be for a future date."), field="date")
    check_report_date(day, today)
    cleaned = _clean_texts(texts or {})
    with transaction.atomic():
        report = DailyReport.objects.select_for_update().filter(person=person, date=day).first()
        created = report is None
        if report is None:
            missing = [name for name in TEXT_FIELDS if name not in cleaned]
            defaults = report_prefill(person, day).texts if missing else {}
            report = DailyReport(person=person, date=day)
            for name in TEXT_FIELDS:
                setattr(report, name, cleaned.get(name, defaults.get(name, "")))
        else:
            for name, text in cleaned.items():
                setattr(report, name, text)
        if submit:
            if not any(getattr(report, name).strip() for name in TEXT_FIELDS):
                raise TiejunError(_("An empty report cannot be filed."), field="visited")
            if report.submitted_at is None:
                report.submitted_at = now
        if created:
            try:
                with transaction.atomic():
                    report.save()
            except IntegrityError:
                # Saved a moment ago by a second tab or a retry: update that one instead.
                stored = DailyReport.objects.select_for_update().get(person=person, date=day)
                for name in TEXT_FIELDS:
                    setattr(stored, name, getattr(report, name))
                stored.submitted_at = stored.submitted_at or report.submitted_at
                stored.save()
                return stored, False
        else:
            report.save()
    return report, created


def report_comment_add(*, author: Person, report: DailyReport, text: str) -> ReportComment:
    """``report`` must come from ``access_report`` for ``author``."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise TiejunError(_("Write a comment first."), field="text")
    if len(text) > COMMENT_MAX_LENGTH:
        raise TiejunError(
            _("This text is too long (at most %(n)d characters).") % {"n": COMMENT_MAX_LENGTH},
            field="text",
        )
    return ReportComment.objects.create(report=report, author=author, text=text)


# --- reminders ----------------------------------------------------------------------------------


def reminder_key(person: Person, day: dt.date) -> str:
    return f"daily_report_reminder:{person.employee_no}:{day.isoformat()}"


def daily_report_reminders_queue(*, day: dt.date) -> int:
    """On a working day, queue an e-mail to every rep (with an address) who has not filed the
    report for ``day``; returns how many messages were newly queued (a second run: 0)."""
    if not work_calendar().is_workday(day):
        return 0
    filed = DailyReport.objects.filter(
        person_id=OuterRef("person_id"), date=day, submitted_at__isnull=False
    )
    people = [
        m.person
        for m in Membership.objects.on(day)
        .filter(role=Role.REP, person__is_active=True)
        .exclude(person__email="")
        .filter(~Exists(filed))
        .select_related("person")
        .order_by("person__employee_no")
    ]
    due = f"{due_time():%H:%M}"
    queued = 0
    for person in people:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = _("Reminder: your daily report for %(day)s") % {"day": day.isoformat()}
            text = _(
                "%(name)s, your daily report for %(day)s is due by %(due)s and has not been "
                "filed yet."
            ) % {"name": person.name, "day": day.isoformat(), "due": due}
        _message, created = message_enqueue(
            channel="email",
            address=person.email,
            key=reminder_key(person, day),
            subject=subject,
            text=text,
            payload={"kind": "daily_report_reminder", "date": day.isoformat()},
        )
        queued += int(created)
    return queued
