import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import deal
from tiejun.errors import TiejunError
from tiejun.imports.exports import board_xlsx, template_csv
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.services import target_set

JUNE = dt.date(2026, 6, 1)


def test_board_xlsx_holds_the_board_figures(org):
    # given
    target_set(
        month=JUNE,
        metric="revenue",
        unit=org.branch,
        value=Decimal(40000),
        today=dt.date(2026, 5, 1),
    )
    target_set(
        month=JUNE,
        metric="revenue",
        unit=org.team_a,
        value=Decimal(30000),
        today=dt.date(2026, 5, 1),
    )
    deal(org.reps["R1"], "6000.50", dt.date(2026, 6, 3))
    deal(org.reps["R3"], 1000, dt.date(2026, 6, 10))
    board = board_for_unit(org.branch, month=JUNE, as_of=dt.date(2026, 6, 10))
    # when
    with translation.override("en"):
        data = board_xlsx(board)
    # then
    sheet = load_workbook(io.BytesIO(data)).active
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2, max_col=2) if row[0].value}
    assert "杭州分公司 (HZ)" in sheet["A1"].value and "2026-06" in sheet["A1"].value
    assert cells["Target"].value == 40000 and cells["Target"].number_format == "#,##0.00"
    assert cells["Achieved"].value == pytest.approx(7000.5)
    assert cells["Today"].value == 1000
    assert cells["Completion"].value == pytest.approx(round(7000.5 / 40000, 4))
    assert cells["Completion"].number_format == "0.0%"
    assert cells["Allocation gap"].value == 10000
    header = next(r for r in sheet.iter_rows() if r[0].value == "Rank")
    assert [c.value for c in header] == [
        "Rank", "Code", "Name", "Target", "Achieved", "Today", "Remaining", "Completion",
        "Required daily",
    ]  # fmt: skip
    body = [[c.value for c in r] for r in sheet.iter_rows(min_row=header[0].row + 1)]
    assert [(r[0], r[1], r[2], r[3]) for r in body] == [
        (1, "HZ1", "杭州一组", 30000),
        (2, "HZ2", "杭州二组", None),
    ]
    assert body[0][4] == pytest.approx(6000.5)
    assert sheet.column_dimensions["C"].width >= 10  # two columns per Chinese character


def test_board_xlsx_of_a_count_metric_uses_whole_numbers(org):
    deal(org.reps["R1"], 100, dt.date(2026, 6, 3))
    board = board_for_unit(
        org.team_a, month=JUNE, as_of=dt.date(2026, 6, 10), metric="new_customers"
    )
    sheet = load_workbook(io.BytesIO(board_xlsx(board))).active
    values = [c.value for r in sheet.iter_rows() for c in r]
    assert "R1" in values
    row = next(r for r in sheet.iter_rows() if r[1].value == "R1")
    assert row[4].value == 1 and row[4].number_format == "#,##0"


def test_template_csv_is_the_header_row():
    assert template_csv("deals") == (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
    )
    assert template_csv("units") == "code,name,kind,parent_code\n"
    with pytest.raises(TiejunError):
        template_csv("widgets")
