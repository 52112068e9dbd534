"""The cell parsers: the dates, times, amounts and choices the files offices really have."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from tiejun.crm.models import SalesChannel
from tiejun.field.models import Interest
from tiejun.imports import cells as cells_module
from tiejun.imports.cells import Cells
from tiejun.imports.spellings import CHANNEL_LABELS, OUTCOME_LABELS
from tiejun.org.models import Role, UnitKind

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def parse(method, text, **kwargs):
    c = Cells({"x": text})
    value = getattr(c, method)("x", **kwargs)
    return value, [problem for _column, problem in c.errors]


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-01",
        "2026/6/1",
        "2026/06/01",
        "2026.6.1",
        "2026年6月1日",
        "2026 年 6 月 1 日",
        "２０２６－０６－０１",  # full-width, as a Chinese input method types it
        "２０２６年６月１日",
        "2026-06-01 00:00:00",  # an XLSX date-time cell at midnight
        "2026-06-01 00:00",
        "46174",  # Excel's serial number of 2026-06-01
        " 2026-06-01 ",
    ],
)
def test_a_date_in_every_form_offices_export(text):
    assert parse("date", text) == (dt.date(2026, 6, 1), [])


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        ("1", dt.date(1900, 1, 1)),
        ("59", dt.date(1900, 2, 28)),
        ("61", dt.date(1900, 3, 1)),  # Excel counts a 1900-02-29 that never was
        ("45658", dt.date(2025, 1, 1)),
        ("2958465", dt.date(9999, 12, 31)),
    ],
)
def test_excel_serial_numbers_follow_the_1900_date_system(serial, day):
    assert parse("date", serial) == (day, [])


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2026-13-01",
        "03/11/2026",  # day first or month first? never a guess
        "11/3/2026",
        "2026-06/01",  # separators that disagree
        "20260601",
        "yesterday",
        "0",
        "60",  # 1900-02-29: Excel's invented day
        "2958466",
        "-5",
        "2026年6月1",
        "2026-06-01T00:00:00+08:00",  # an offset makes midnight somewhere else
    ],
)
def test_anything_else_in_a_date_column_is_an_error_naming_the_forms(text):
    value, problems = parse("date", text)
    assert value is None
    assert problems == [
        f"{text} is not a date YYYY-MM-DD (also YYYY/M/D, YYYY.M.D, YYYY年M月D日, an Excel date)"
    ] or problems == [f"{text} has a time of day; the column takes a date YYYY-MM-DD"]


@pytest.mark.parametrize("text", ["2026-06-01 09:30", "46174.5", "2026-06-01T00:00:01"])
def test_a_time_of_day_in_a_date_column_is_an_error(text):
    assert parse("date", text) == (
        None,
        [f"{text} has a time of day; the column takes a date YYYY-MM-DD"],
    )


def test_an_empty_date_is_required_unless_optional():
    assert parse("date", " ") == (None, ["a value is required"])
    assert parse("date", "", required=False) == (None, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01 9:30", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01 09:30:15", dt.datetime(2026, 6, 1, 9, 30, 15)),
        ("2026-06-01T09:30:15", dt.datetime(2026, 6, 1, 9, 30, 15)),
        ("2026-06-01T09:30:15.25", dt.datetime(2026, 6, 1, 9, 30, 15, 250000)),
        ("2026-06-01 09:30:15.123456", dt.datetime(2026, 6, 1, 9, 30, 15, 123456)),
        ("2026/6/1 9:05", dt.datetime(2026, 6, 1, 9, 5)),
        ("2026年6月1日 9:30", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026年6月1日9:30", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01T01:30:00Z", dt.datetime(2026, 6, 1, 9, 30)),  # UTC → Shanghai
        ("2026-06-01T01:30:00z", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01T09:30:00+08:00", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01T09:30:00+0800", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01 09:30:00 +08:00", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-05-31T20:30:00-05:00", dt.datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01T10:30:00+09", dt.datetime(2026, 6, 1, 9, 30)),
        ("46174.395833333336", dt.datetime(2026, 6, 1, 9, 30)),  # a serial with a fraction
        ("46174.75", dt.datetime(2026, 6, 1, 18, 0)),
        ("２０２６－０６－０１　０９：３０", dt.datetime(2026, 6, 1, 9, 30)),
    ],
)
def test_a_datetime_in_the_company_time_zone(text, expected):
    value, problems = parse("datetime", text)
    assert problems == []
    assert value == expected.replace(tzinfo=SHANGHAI)
    assert value.utcoffset() == dt.timedelta(hours=8)  # shown in the company's zone


def test_a_datetime_follows_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    with timezone.override(berlin):
        value, problems = parse("datetime", "2026-06-01T09:30:00+08:00")
        assert (value, value.tzinfo, problems) == (
            dt.datetime(2026, 6, 1, 3, 30, tzinfo=berlin),
            berlin,
            [],
        )
        # 02:30 on the last Sunday of March does not exist there, 02:30 in October twice
        for text in ("2026-03-29 02:30", "2026-10-25 02:30"):
            assert parse("datetime", text) == (
                None,
                [f"{text} falls in a clock change; give an offset such as +08:00"],
            )
        assert parse("datetime", "2026-10-25 02:30+01:00")[0] == dt.datetime(
            2026, 10, 25, 2, 30, tzinfo=berlin, fold=1
        )


@pytest.mark.parametrize("text", ["2026-06-01", "2026年6月1日", "46174"])
def test_a_date_alone_in_a_datetime_column_is_ambiguous(text):
    assert parse("datetime", text) == (
        None,
        [f"{text} has no time of day; give a date and time YYYY-MM-DD HH:MM"],
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30 09:30",
        "2026-06-01 24:00",
        "2026-06-01 09:60",
        "2026-06-01 09:30:60",
        "2026-06-01 09:30:00.1234567",
        "2026-06-01 09:30+24:00",
        "2026-06-01 9",
        "09:30",
        "2026-06-01 09:30 CST",  # which CST?
        "6/1/2026 9:30",
        "now",
    ],
)
def test_anything_else_in_a_datetime_column_is_an_error(text):
    value, problems = parse("datetime", text)
    assert value is None
    assert problems == [
        f"{text} is not a date and time YYYY-MM-DD HH:MM[:SS] (also with T, fractions of a "
        "second, an offset Z or +08:00, an Excel date and time)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567"),
        ("¥1,234.50", "1234.50"),
        ("￥1,234.50", "1234.50"),
        ("¥ 1234", "1234"),
        ("RMB 1,234", "1234"),
        ("rmb1234", "1234"),
        ("1234元", "1234"),
        ("1,234.5 元", "1234.5"),
        ("¥100元", "100"),
        ("１，２３４．５０", "1234.50"),  # full-width digits and comma
        ("￥１２３４", "1234"),
        (".5", "0.5"),
        ("0", "0"),
        ("+12", "12"),
    ],
)
def test_amounts_as_offices_write_them(text, expected):
    assert parse("amount", text) == (Decimal(expected), [])


@pytest.mark.parametrize(
    "text",
    [
        "1,2345",  # 12,345 or 1.2345? never a guess
        "12,34",
        "1234,567",
        "0,123",
        "1,234,56",
        "1.234,56",
        ",123",
        "1e3",
        "1 234",
        "--5",
        "-¥-5",
        "abc",
        "NaN",
        "Infinity",
        "(100)",
        "$100",
        "100 美元",
    ],
)
def test_ambiguous_or_foreign_amounts_are_errors(text):
    value, problems = parse("amount", text)
    assert value is None
    assert problems == [f"{text} is not an amount (such as 1234.50, 1,234.50, ¥1,234.50 or 1234元)"]


def test_a_negative_amount_only_where_the_kind_allows_it():
    assert parse("amount", "-1,234.50") == (None, ["must not be negative"])
    assert parse("amount", "¥-5") == (None, ["must not be negative"])
    assert parse("amount", "-¥5", allow_negative=True) == (Decimal(-5), [])
    assert parse("amount", "-1,234.50元", allow_negative=True) == (Decimal("-1234.50"), [])


def test_an_amount_too_large_or_missing():
    assert parse("amount", "100,000,000,000,000") == (None, ["the number is too large"])
    assert parse("amount", "") == (None, ["a value is required"])
    assert parse("amount", "", required=False) == (None, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "2"),
        ("-3.5", "-3.5"),
        ("1,000.50", "1000.50"),
        ("１２３", "123"),
        ("1e3", "1E+3"),
        ("30.259", "30.259"),
    ],
)
def test_decimal_reads_full_width_and_grouped_numbers(text, expected):
    assert parse("decimal", text) == (Decimal(expected), [])


@pytest.mark.parametrize("text", ["1,2345", "1 000", "abc", "NaN", "-inf", "12元", "1,23.5"])
def test_decimal_refuses_what_it_would_have_to_guess(text):
    assert parse("decimal", text) == (None, [f"{text} is not a number"])


@pytest.mark.parametrize(
    "text", ["2026-06", "2026/6", "2026.06", "2026年6月", "2026 年 06 月", "2026-06-01", "46174"]
)
def test_a_month_in_every_form(text):
    assert parse("month", text) == (dt.date(2026, 6, 1), [])


@pytest.mark.parametrize("text", ["2026-13", "2026-06-15", "11/2026", "2026年13月", "June"])
def test_anything_else_is_no_month(text):
    assert parse("month", text) == (
        None,
        [f"{text} is not a month YYYY-MM (also YYYY/M, YYYY年M月)"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rep", "rep"),
        ("REP", "rep"),
        ("Sales rep", "rep"),
        ("销售", "rep"),
        ("主管", "supervisor"),
        ("经理", "manager"),
        ("销售协调", "coordinator"),
        ("管理员", "admin"),
        ("ａｄｍｉｎ", "admin"),
    ],
)
def test_a_choice_by_value_or_by_label_in_either_language(text, expected):
    assert parse("choice", text, choices=dict(Role.choices)) == (expected, [])


def test_a_choice_reads_labels_whatever_the_active_language():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert parse("choice", "大区", choices=dict(UnitKind.choices))[0] == "region"
            assert parse("choice", "Region", choices=dict(UnitKind.choices))[0] == "region"


def test_channels_and_outcomes_by_their_chinese_labels_and_extra_spellings():
    channels = dict(SalesChannel.choices)
    assert parse("choice", "沙龙", choices=channels)[0] == "salon"
    assert parse("choice", "会销", choices=channels, labels=CHANNEL_LABELS)[0] == "salon"
    assert parse("choice", "One-to-one visit", choices=channels)[0] == "visit"
    outcomes = dict(Interest.choices)
    assert parse("choice", "高", choices=outcomes)[0] == "high"
    assert parse("choice", "无意向", choices=outcomes)[0] == "none"
    assert parse("choice", "高意向", choices=outcomes, labels=OUTCOME_LABELS)[0] == "high"


def test_an_unknown_choice_lists_the_values():
    assert parse("choice", "boss", choices=dict(Role.choices)) == (
        "",
        ["unknown x boss; use one of rep, supervisor, manager, coordinator, admin"],
    )
    c = Cells({"kind": "squad"})
    assert c.choice("kind", dict(UnitKind.choices), what="unit kind") == ""
    assert c.errors == [
        ("kind", "unknown unit kind squad; use one of company, region, branch, team")
    ]
    assert parse("choice", "", choices=dict(Role.choices)) == ("", ["a value is required"])
    assert parse("choice", "", choices=dict(Role.choices), required=False) == ("", [])


def test_a_spelling_two_values_share_belongs_to_neither():
    choices = {"a": "Same", "b": "Same", "c": "Other"}
    assert parse("choice", "same", choices=choices)[0] == ""
    assert parse("choice", "b", choices=choices)[0] == "b"
    assert parse("choice", "other", choices=choices)[0] == "c"


def test_the_spelling_table_is_built_once_per_choices_and_language(monkeypatch):
    # given a table built once
    parse("choice", "销售", choices=dict(Role.choices))
    calls = []
    real = cells_module._labels_in
    monkeypatch.setattr(cells_module, "_labels_in", lambda *a: calls.append(a) or real(*a))
    # when many rows read the same choices (a fresh dict each time, as a kind passes them)
    for _row in range(1000):
        assert parse("choice", "销售", choices=dict(Role.choices))[0] == "rep"
    # then no label was translated again
    assert calls == []


@pytest.mark.parametrize(
    "text",
    [
        "A-1",
        "CRM-2026-000123",
        "3f0c6c2e-8a1b-4c1e-9d55-2b7d3c0e9f11",
        "拜访/001",
        "id with spaces",
        "x" * 64,
    ],
)
def test_an_external_id_is_any_printable_text_up_to_64_characters(text):
    assert parse("external_id", f"  {text} ") == (text, [])


def test_an_external_id_with_a_control_character_or_too_long_is_an_error():
    assert parse("external_id", "A\x07B")[1] == [
        "an id may hold printable characters only, not line breaks, tabs or other control "
        "characters"
    ]
    assert parse("external_id", "A\tB")[0] == "A\tB"
    assert parse("external_id", "x" * 65)[1] == ["longer than 64 characters"]
    assert parse("external_id", "")[1] == ["a value is required"]
