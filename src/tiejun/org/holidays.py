"""The company's calendar of one year: the statutory days loaded by the company, provisional
holidays an admin accepted, and company exceptions. Writes (``*_set``, ``*_delete``,
``*_accept``) are services, each in one transaction with its audit entry; ``calendar_year`` is
the read the year's page and ``tiejun calendar show`` share.

Company exceptions are ``WorkdayOverride`` rows, recorded in the audit trail by the model
signals however they are written, so their services here record nothing themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_change, audit_record
from tiejun.errors import TiejunError
from tiejun.workdays import (
    COMPANY,
    STATUTORY,
    WEEKDAYS,
    covered_years,
    provisional_holidays,
)

from .models import Person, StatutoryDay, WorkdayOverride
from .selectors import calendar_source

OBJECT_TYPE = "statutory_day"
MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX = 100
NOTE_MAX = 200

# The spellings a file or a form may use for a day's kind.
KIND_WORDS = {"off": False, "放假": False, "休": False, "work": True, "上班": True, "班": True}


def parse_kind(text: str) -> bool | None:
    """``off``/放假 → False, ``work``/上班 → True (is a working day), anything else None."""
    return KIND_WORDS.get(text.strip().lower())


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise TiejunError(
            _("The year must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR},
            field="year",
        )
    return year


def _snapshot(row: StatutoryDay) -> dict[str, Any]:
    return {"is_workday": row.is_workday, "name": row.name, "provisional": row.provisional}


def check_statutory_day(*, day: dt.date, is_workday: bool, name: str) -> str:
    """The day's name, cleaned; a user error for a make-up day on a weekday or a long name."""
    check_year(day.year)
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise TiejunError(
            _("The name is longer than %(n)d characters.") % {"n": NAME_MAX}, field="name"
        )
    if is_workday and day.weekday() < 5:
        raise TiejunError(
            _("%(day)s is a weekday: a make-up working day falls on a Saturday or Sunday.")
            % {"day": day.isoformat()},
            field="kind",
        )
    return name


def statutory_day_set(
    *, day: dt.date, is_workday: bool, name: str = "", by: Person | None = None
) -> StatutoryDay:
    """Set one day of the official schedule (a holiday or a make-up working day).

    The year then counts as loaded by the company; an accepted provisional day becomes final.
    """
    name = check_statutory_day(day=day, is_workday=is_workday, name=name)
    with transaction.atomic():
        row = StatutoryDay.objects.select_for_update().filter(date=day).first()
        after = {"is_workday": is_workday, "name": name, "provisional": False}
        if row is None:
            row = StatutoryDay.objects.create(date=day, **after)
            audit_record(
                action="create",
                object_type=OBJECT_TYPE,
                object_id=day.isoformat(),
                object_repr=str(row),
                after=after,
                actor=by,
            )
            return row
        before = _snapshot(row)
        row.is_workday, row.name, row.provisional = is_workday, name, False
        row.save(update_fields=["is_workday", "name", "provisional"])
        audit_change(
            action="update",
            object_type=OBJECT_TYPE,
            object_id=day.isoformat(),
            object_repr=str(row),
            before=before,
            after=after,
            actor=by,
        )
        return row


def statutory_day_delete(*, day: dt.date, by: Person | None = None) -> None:
    with transaction.atomic():
        row = StatutoryDay.objects.select_for_update().filter(date=day).first()
        if row is None:
            raise TiejunError(_("%(day)s is not in the schedule.") % {"day": day.isoformat()})
        before = _snapshot(row)
        row.delete()
        audit_record(
            action="delete",
            object_type=OBJECT_TYPE,
            object_id=day.isoformat(),
            object_repr=str(row),
            before=before,
            actor=by,
        )


def statutory_year_clear(*, year: int, by: Person | None = None) -> int:
    """Remove the loaded (and provisional) statutory days of ``year`` before a new schedule
    replaces them; company exceptions stay. Returns how many days were removed."""
    check_year(year)
    with transaction.atomic():
        rows = StatutoryDay.objects.filter(date__year=year)
        removed = [(r.date.isoformat(), _snapshot(r)) for r in rows]
        rows.delete()
        if removed:
            audit_record(
                action="delete",
                object_type=OBJECT_TYPE,
                object_id=str(year),
                object_repr=_("statutory days of %(year)d") % {"year": year},
                before=dict(removed),
                actor=by,
            )
        return len(removed)


def provisional_accept(*, year: int, by: Person | None = None) -> int:
    """Apply the computed holidays of a year nobody covers yet, marked provisional (the year
    stays unconfirmed until its official schedule is loaded). Returns how many were added."""
    check_year(year)
    if calendar_source(year) != WEEKDAYS:
        raise TiejunError(
            _("The statutory holidays of %(year)d are already known.") % {"year": year},
            field="year",
        )
    with transaction.atomic():
        taken = set(StatutoryDay.objects.filter(date__year=year).values_list("date", flat=True))
        new = [
            StatutoryDay(date=h.day, is_workday=False, name=h.name, provisional=True)
            for h in provisional_holidays(year)
            if h.day not in taken
        ]
        StatutoryDay.objects.bulk_create(new)
        if new:
            audit_record(
                action="create",
                object_type=OBJECT_TYPE,
                object_id=str(year),
                object_repr=_("provisional holidays of %(year)d") % {"year": year},
                after={r.date.isoformat(): {"name": r.name, "provisional": True} for r in new},
                actor=by,
            )
        return len(new)


def override_set(
    *, day: dt.date, is_workday: bool, note: str = "", by: Person | None = None
) -> WorkdayOverride:
    """A company exception: an extra day off or an extra working day (audited by the signals)."""
    check_year(day.year)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise TiejunError(
            _("The note is longer than %(n)d characters.") % {"n": NOTE_MAX}, field="note"
        )
    with transaction.atomic():
        row = WorkdayOverride.objects.select_for_update().filter(date=day).first()
        if row is None:
            return WorkdayOverride.objects.create(date=day, is_workday=is_workday, note=note)
        row.is_workday, row.note = is_workday, note
        row.save()
        return row


def override_delete(*, day: dt.date, by: Person | None = None) -> None:
    with transaction.atomic():
        row = WorkdayOverride.objects.filter(date=day).first()
        if row is None:
            raise TiejunError(_("%(day)s has no company exception.") % {"day": day.isoformat()})
        row.delete()


# --- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    is_workday: bool
    name: str
    source: str  # statutory (the package), company (loaded), provisional, exception

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "kind": "work" if self.is_workday else "off",
            "name": self.name,
            "source": self.source,
        }


@dataclass(frozen=True)
class CalendarYear:
    year: int
    source: str  # statutory, company or weekdays
    statutory: list[CalendarDay]  # holidays and make-up days, whatever their source
    exceptions: list[CalendarDay]
    provisional_offer: list[CalendarDay]  # computed holidays not accepted yet (weekdays years)

    @property
    def confirmed(self) -> bool:
        return self.source != WEEKDAYS

    @property
    def holidays(self) -> list[CalendarDay]:
        return [d for d in self.statutory if not d.is_workday]

    @property
    def make_up_days(self) -> list[CalendarDay]:
        return [d for d in self.statutory if d.is_workday]

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "calendar": {"source": self.source, "confirmed": self.confirmed},
            "days": [d.to_json() for d in sorted(self.days(), key=lambda d: d.day)],
        }

    def days(self) -> list[CalendarDay]:
        return [*self.statutory, *self.exceptions]


def _package_days(year: int) -> list[CalendarDay]:
    """The package's holidays that fall on weekdays and its make-up days of ``year``."""
    days = []
    for day, name in chinese_calendar.holidays.items():
        if day.year == year and day.weekday() < 5:
            days.append(CalendarDay(day, False, _holiday_name(name), STATUTORY))
    for day, name in chinese_calendar.workdays.items():
        if day.year == year and day.weekday() >= 5:
            days.append(CalendarDay(day, True, _holiday_name(name), STATUTORY))
    return days


def _holiday_name(english: Any) -> str:
    """The package names a day by its festival's English name; the schedule uses Chinese."""
    from chinese_calendar.constants import Holiday

    for holiday in Holiday:
        if holiday.value == english:
            return str(holiday.chinese)
    return str(english or "")


def calendar_year(year: int) -> CalendarYear:
    """Every non-standard day of ``year`` and where it comes from (two queries)."""
    check_year(year)
    loaded = list(StatutoryDay.objects.filter(date__year=year))
    source = (
        COMPANY
        if any(not r.provisional for r in loaded)
        else STATUTORY
        if year in covered_years()
        else WEEKDAYS
    )
    if source == STATUTORY:
        statutory = _package_days(year)
    else:
        statutory = [
            CalendarDay(r.date, r.is_workday, r.name, "provisional" if r.provisional else COMPANY)
            for r in loaded
        ]
    exceptions = [
        CalendarDay(o.date, o.is_workday, o.note, "exception")
        for o in WorkdayOverride.objects.filter(date__year=year)
    ]
    offer: list[CalendarDay] = []
    if source == WEEKDAYS:
        accepted = {r.date for r in loaded}
        offer = [
            CalendarDay(h.day, False, h.name, "provisional")
            for h in provisional_holidays(year)
            if h.day not in accepted
        ]
    return CalendarYear(
        year=year,
        source=source,
        statutory=sorted(statutory, key=lambda d: d.day),
        exceptions=exceptions,
        provisional_offer=offer,
    )
