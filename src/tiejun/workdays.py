"""Working days: mainland China's statutory calendar plus company overrides. Pure: no Django.

Time progress and required pace must match the calendar on the office wall, so the statutory
holidays and make-up working days (调休) come from the maintained ``chinese_calendar`` package.
For a year the package does not cover yet, Monday to Friday are working days; company overrides
(an extra day off, a Saturday worked) win over both.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar

Overrides = Mapping[dt.date, bool]


def statutory_is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day by the national calendar (weekdays where it has no data)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def covered_years() -> range:
    """The years for which the statutory calendar has data."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` to the first day of that month; ``ValueError`` otherwise."""
    parsed = dt.datetime.strptime(text.strip(), "%Y-%m")
    return parsed.date()


@dataclass(frozen=True)
class WorkCalendar:
    """The statutory calendar with a company's overrides (date → is a working day)."""

    overrides: Overrides = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return bool(self.overrides[day])
        return statutory_is_workday(day)

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days from ``start`` to ``end``, both inclusive."""
        days: list[dt.date] = []
        day = start
        while day <= end:
            if self.is_workday(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def month_workdays(self, month: dt.date) -> list[dt.date]:
        return self.workdays(month_start(month), month_end(month))

    def first_workday(self, month: dt.date) -> dt.date:
        days = self.month_workdays(month)
        return days[0] if days else month_start(month)

    def progress(self, month: dt.date, as_of: dt.date) -> MonthProgress:
        """Working days of ``month`` in total and elapsed by ``as_of`` (as_of itself counted)."""
        days = self.month_workdays(month)
        elapsed = sum(1 for d in days if d <= as_of)
        return MonthProgress(total=len(days), elapsed=elapsed)

    def previous_workdays(self, before: dt.date, count: int) -> list[dt.date]:
        """The ``count`` working days strictly before ``before``, oldest first."""
        found: list[dt.date] = []
        day = before - dt.timedelta(days=1)
        # A year without a working day does not exist; the bound only guards bad overrides.
        for _ in range(366 * 2):
            if len(found) == count:
                break
            if self.is_workday(day):
                found.append(day)
            day -= dt.timedelta(days=1)
        return list(reversed(found))


@dataclass(frozen=True)
class MonthProgress:
    total: int
    elapsed: int

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.elapsed)

    @property
    def time_progress(self) -> float | None:
        return None if self.total == 0 else self.elapsed / self.total


def months_between(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """First days of every month from ``first``'s month to ``last``'s, inclusive."""
    month = month_start(first)
    while month <= last:
        yield month
        month = add_months(month, 1)
