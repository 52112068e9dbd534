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


def test_the_source_of_a_year_and_the_month_progress_say_where_holidays_come_from():
    later = max(covered_years()) + 1
    calendar = WorkCalendar()
    assert calendar.source(2026) == "statutory" and calendar.is_confirmed(2026)
    assert calendar.source(later) == "weekdays" and not calendar.is_confirmed(later)
    progress = calendar.progress(D(later, 2, 1), D(later, 2, 1))
    assert (progress.source, progress.confirmed) == ("weekdays", False)
    assert calendar.progress(D(2026, 6, 1), D(2026, 6, 1)).confirmed


def test_a_year_loaded_by_the_company_replaces_the_package():
    # A made-up 2027 schedule, and a reloaded 2026 that moves National Day's make-up Saturday.
    loaded = {
        D(2027, 2, 8): False,
        D(2027, 2, 20): True,
        D(2026, 10, 10): False,
        D(2026, 10, 17): True,
    }
    calendar = WorkCalendar({D(2027, 2, 9): True}, loaded, frozenset({2026, 2027}))
    assert calendar.source(2027) == calendar.source(2026) == "company"
    assert not calendar.is_workday(D(2027, 2, 8)) and calendar.is_workday(D(2027, 2, 20))
    assert calendar.is_workday(D(2027, 2, 9))  # a company exception wins over the schedule
    assert not calendar.is_workday(D(2026, 10, 10)) and calendar.is_workday(D(2026, 10, 17))
    assert calendar.is_workday(D(2026, 10, 1)) is True  # not in the reloaded file: a weekday
    assert not calendar.is_workday(D(2027, 2, 13))  # an ordinary Saturday


def test_provisional_holidays_are_the_festivals_without_make_up_days():
    from tiejun.workdays import provisional_holidays

    # The computed 2026 festivals are days the State Council's 2026 schedule gives off.
    statutory = WorkCalendar()
    computed = provisional_holidays(2026)
    assert all(not statutory.is_workday(h.day) for h in computed)
    names = {h.name for h in computed}
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    days = {h.day: h.name for h in provisional_holidays(2027)}
    assert days[D(2027, 2, 5)] == days[D(2027, 2, 8)] == "春节"  # eve to the third day
    assert days[D(2027, 4, 5)] == "清明节" and days[D(2027, 6, 9)] == "端午节"
    assert days[D(2027, 9, 15)] == "中秋节" and len(days) == 13
    # Accepted for an uncovered year, they apply; a make-up day is never among them.
    calendar = WorkCalendar({}, dict.fromkeys(days, False))
    assert calendar.source(2027) == "weekdays"
    assert not calendar.is_workday(D(2027, 2, 8)) and calendar.is_workday(D(2027, 2, 9))
