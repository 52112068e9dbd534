"""Working days: the statutory calendar, make-up days, company overrides (pure core)."""

import datetime as dt

import pytest

from tiejun.workdays import WorkCalendar, add_months, covered_years, month_end, parse_month

D = dt.date


def test_statutory_holidays_and_make_up_days():
    calendar = WorkCalendar()
    assert not calendar.is_workday(D(2026, 10, 1))  # National Day, a Thursday
    assert calendar.is_workday(D(2026, 10, 10))  # a Saturday worked in lieu (调休)
    assert calendar.is_workday(D(2026, 2, 14))  # Saturday before the Spring Festival
    assert not calendar.is_workday(D(2026, 2, 18))  # Spring Festival, a Wednesday
    assert not calendar.is_workday(D(2026, 11, 28))  # an ordinary Saturday


def test_month_progress_counts_as_of_itself():
    calendar = WorkCalendar()
    # October 2026: 22 weekdays, 5 of them holidays, plus one make-up Saturday (10 October).
    assert calendar.progress(D(2026, 10, 1), D(2026, 10, 31)).total == 18
    progress = calendar.progress(D(2026, 10, 1), D(2026, 10, 9))
    assert (progress.elapsed, progress.remaining) == (2, 16)  # 8 and 9 October
    assert calendar.progress(D(2026, 10, 1), D(2026, 10, 8)).elapsed == 1
    assert calendar.progress(D(2026, 10, 1), D(2026, 9, 30)).elapsed == 0
    assert calendar.progress(D(2026, 6, 1), D(2026, 6, 30)).time_progress == 1.0


def test_company_overrides_win():
    calendar = WorkCalendar({D(2026, 11, 27): False, D(2026, 11, 28): True})
    assert not calendar.is_workday(D(2026, 11, 27))  # a company day off on a Friday
    assert calendar.is_workday(D(2026, 11, 28))  # a Saturday worked
    assert calendar.progress(D(2026, 11, 1), D(2026, 11, 30)).total == 21


def test_years_without_statutory_data_fall_back_to_weekdays():
    later = max(covered_years()) + 1
    calendar = WorkCalendar()
    monday = D(later, 3, 1) + dt.timedelta(days=(7 - D(later, 3, 1).weekday()) % 7)
    assert calendar.is_workday(monday)
    assert not calendar.is_workday(monday + dt.timedelta(days=5))


def test_previous_workdays_and_first_workday():
    calendar = WorkCalendar()
    assert calendar.first_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert calendar.previous_workdays(D(2026, 10, 8), 2) == [D(2026, 9, 29), D(2026, 9, 30)]


def test_month_helpers():
    assert add_months(D(2026, 11, 28), 1) == D(2026, 12, 1)
    assert add_months(D(2026, 1, 31), -1) == D(2025, 12, 1)
    assert month_end(D(2028, 2, 10)) == D(2028, 2, 29)
    assert parse_month("2026-06") == D(2026, 6, 1)
    with pytest.raises(ValueError, match="does not match format"):
        parse_month("June")
