"""Working days: mainland China's statutory calendar plus company overrides. Pure: no Django.

Time progress and required pace must match the calendar on the office wall, so the statutory
holidays and make-up working days (调休) come from the maintained ``chinese_calendar`` package.
A company may load a year's official schedule itself (``statutory`` days, a year in
``loaded_years``); that replaces the package for the year. For a year nobody covers, Monday to
Friday are working days (plus any provisional holidays an admin accepted), and the calendar says
so: ``source(year)`` is ``weekdays``. Company overrides (an extra day off, a Saturday worked) win
over everything.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import chinese_calendar
from lunar_python import Lunar

Overrides = Mapping[dt.date, bool]
Source = Literal["statutory", "company", "weekdays"]
STATUTORY: Source = "statutory"
COMPANY: Source = "company"
WEEKDAYS: Source = "weekdays"


@functools.lru_cache(maxsize=1 << 16)
def statutory_is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day by the national calendar (weekdays where it has no data).

    Remembered: the package's answer depends on the day alone, and it costs two scans of its
    whole table of holidays per call (its date check takes their min and max) — most of a team
    board's or a battle report's time, which ask for every day of the month."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@functools.cache
def covered_years() -> range:
    """The years for which the statutory calendar has data."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


@dataclass(frozen=True)
class ProvisionalHoliday:
    day: dt.date
    name: str  # the festival's Chinese name, as the State Council's notice writes it


def provisional_holidays(year: int) -> list[ProvisionalHoliday]:
    """The statutory holidays proper of ``year`` (the days the law names, since 2025), computed:
    New Year's Day, Spring Festival (eve to the third day), Qingming, Labour Day (two days),
    Dragon Boat, Mid-Autumn and National Day (three days).

    Only a guess at the year's schedule: the State Council also bridges weekends and moves
    working days (调休), which nobody can compute; make-up days are never guessed here.
    """

    def lunar(month: int, day: int) -> dt.date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())

    new_year = lunar(1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    days = [
        (dt.date(year, 1, 1), "元旦"),
        *((new_year + dt.timedelta(days=n), "春节") for n in range(-1, 3)),
        (dt.date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), "清明节"),
        (dt.date(year, 5, 1), "劳动节"),
        (dt.date(year, 5, 2), "劳动节"),
        (lunar(5, 5), "端午节"),
        (lunar(8, 15), "中秋节"),
        *((dt.date(year, 10, d), "国庆节") for d in (1, 2, 3)),
    ]
    return [ProvisionalHoliday(day, name) for day, name in sorted(days)]


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
    """The statutory calendar with a company's overrides (date → is a working day).

    ``statutory`` holds the days a company loaded (the official schedule of each year in
    ``loaded_years``) and any provisional holidays an admin accepted for a year nobody covers.
    """

    overrides: Overrides = field(default_factory=dict)
    statutory: Overrides = field(default_factory=dict)
    loaded_years: frozenset[int] = frozenset()

    def source(self, year: int) -> Source:
        """Where the statutory days of ``year`` come from: loaded by the company, the package,
        or nowhere (``weekdays``: Monday to Friday, the year's holidays unknown)."""
        if year in self.loaded_years:
            return COMPANY
        if year in covered_years():
            return STATUTORY
        return WEEKDAYS

    def is_confirmed(self, year: int) -> bool:
        return self.source(year) != WEEKDAYS

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return bool(self.overrides[day])
        if day in self.statutory and self.source(day.year) != STATUTORY:
            return bool(self.statutory[day])
        if day.year in self.loaded_years:
            return day.weekday() < 5
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
        return MonthProgress(total=len(days), elapsed=elapsed, source=self.source(month.year))

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
    source: Source = STATUTORY  # where the month's statutory days come from

    @property
    def confirmed(self) -> bool:
        """False when the month's holidays are unknown and Monday to Friday are counted."""
        return self.source != WEEKDAYS

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
