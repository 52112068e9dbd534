import datetime as dt
import io
import secrets
import tracemalloc
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from tiejun.imports import readers
from tiejun.imports.readers import ReadError, RowError, check_header, extra_cells, read_table

from .conftest import PEOPLE, csv_bytes, xlsx_bytes

COLUMNS = tuple(PEOPLE[0])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_reads_the_same(encoding):
    table = read_table(csv_bytes(PEOPLE, encoding), "people.csv")
    assert table.header == list(COLUMNS)
    assert table.rows[0] == (
        2,
        ["E1", "张三", "T1", "rep", "2026-01-05", "e1@example.com", "13800000001"],
    )
    assert [n for n, _ in table.rows] == [2, 3, 4, 5]
    assert check_header(table, COLUMNS) == []


def test_gb18030_is_what_chinese_excel_writes():
    data = "employee_no,name\r\nE1,欧阳锋\r\nE2,𠮷野家\r\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(data)
    assert [cells[1] for _, cells in table.rows] == ["欧阳锋", "𠮷野家"]


def test_bom_is_not_part_of_the_first_column():
    table = read_table(b"\xef\xbb\xbfcode,name\r\nX,Y\r\n")
    assert table.header == ["code", "name"]


def test_undecodable_bytes_are_a_clear_error_with_the_row():
    data = b"code,name\nA,ok\nB,\xff\xfe bad\n"
    with pytest.raises(ReadError) as caught:
        read_table(data)
    assert [str(e) for e in caught.value.errors] == [
        "row 3: file: the file is not text in UTF-8 or GB18030 (save it as CSV UTF-8 or as XLSX)"
    ]


def test_empty_file_is_an_error():
    with pytest.raises(ReadError) as caught:
        read_table(b"\n\n")
    assert "empty" in str(caught.value)


def test_blank_rows_are_skipped_but_counted_and_header_is_case_insensitive():
    table = read_table(b" Code , NAME \r\nA,1\r\n,\r\nB,2\r\n\r\n,,\r\n")
    assert table.header == ["code", "name"]
    assert table.rows == [(2, ["A", "1"]), (4, ["B", "2"])]


def test_xlsx_is_recognised_by_content_and_cells_become_text():
    data = xlsx_bytes(
        [
            ["deal_no", "amount", "won_date", "qty", "price", "note"],
            ["D1", 3.0, dt.datetime(2026, 6, 3), 7, Decimal("12.35"), "  客户  "],
            ["D2", 1234.5, dt.date(2026, 6, 4), None, 0.1, None],
            [None, None, None, None, None, None],
        ]
    )
    table = read_table(data, "upload.csv")  # a misleading name does not matter
    assert table.header == ["deal_no", "amount", "won_date", "qty", "price", "note"]
    assert table.rows == [
        (2, ["D1", "3", "2026-06-03", "7", "12.35", "客户"]),
        (3, ["D2", "1234.5", "2026-06-04", "", "0.1", ""]),
    ]


def test_broken_xlsx_is_a_clear_error():
    with pytest.raises(ReadError) as caught:
        read_table(b"PK\x03\x04 not really a zip", "x.xlsx")
    assert str(caught.value.errors[0]) == "file: the file is not a readable XLSX workbook"


def test_header_problems_are_row_1_errors():
    table = read_table(b"employee_no,name,name,colour,unit_code,role,start_date,email\r\n")
    assert check_header(table, COLUMNS) == [
        RowError(1, "name", "duplicate column"),
        RowError(1, "colour", "unknown column"),
        RowError(1, "phone", "missing column"),
    ]
    assert next(str(e) for e in check_header(table, COLUMNS)) == "row 1: name: duplicate column"


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def crafted_xlsx(rows: dict[int, dict[str, str]], dimension: str) -> bytes:
    """A minimal workbook written by hand, so that its ``<dimension>`` can lie."""
    sheet_data = "".join(
        f'<row r="{number}">'
        + "".join(
            f'<c r="{column}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
            for column, text in cells.items()
        )
        + "</row>"
        for number, cells in rows.items()
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_XLSX}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_XLSX}.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_MAIN}"><dimension ref="{dimension}"/>'
            f"<sheetData>{sheet_data}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


SMALL_SHEET = {
    1: {"A": "code", "B": "name"},
    2: {"A": "C1", "B": "客户一"},
    3: {"A": "C2", "B": "客户二"},
}


def test_xlsx_that_claims_a_huge_sheet_is_read_in_bounded_memory():
    # given: three real rows and one far cell, in a sheet that declares A1:XFD20000
    # (327 million cells if the declaration were believed)
    data = crafted_xlsx({**SMALL_SHEET, 20000: {"XFD": "far"}}, "A1:XFD20000")
    read_table(crafted_xlsx(SMALL_SHEET, "A1:B3"))  # openpyxl's reader modules, imported once

    # when
    tracemalloc.start()
    try:
        table = read_table(data, "customers.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then: the real rows, no wider than the header, and the far cell reported, not padded to
    assert table.header == ["code", "name"]
    assert table.rows == [(2, ["C1", "客户一"]), (3, ["C2", "客户二"])]
    assert extra_cells(table) == [
        RowError(20000, "column 16384", "a value in a column without a header")
    ]
    assert peak < 16 * 1024 * 1024


def test_xlsx_rows_are_padded_to_the_header_whatever_the_dimension_says():
    data = crafted_xlsx({1: {"A": "code", "B": "name", "C": "note"}, 2: {"A": "C1"}}, "A1:A1")
    assert read_table(data).rows == [(2, ["C1", "", ""])]


@pytest.mark.parametrize("where", ["opening", "reading"])
def test_running_out_of_memory_is_not_called_a_bad_file(monkeypatch, where):
    def exhausted(*args, **kwargs):
        raise MemoryError

    if where == "opening":
        monkeypatch.setattr(openpyxl, "load_workbook", exhausted)
    else:
        monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", exhausted)
    with pytest.raises(MemoryError):
        read_table(crafted_xlsx(SMALL_SHEET, "A1:B3"))


def test_rows_past_the_limit_are_an_error_but_blank_ones_are_formatting(monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    blank_tail = crafted_xlsx({**SMALL_SHEET, 9: {"A": " "}}, "A1:B9")
    assert [n for n, _ in read_table(blank_tail).rows] == [2, 3]

    for data in (
        crafted_xlsx({**SMALL_SHEET, 4: {"A": "C3"}}, "A1:B3"),
        b"code,name\r\nC1,a\r\nC2,b\r\nC3,c\r\n",
    ):
        with pytest.raises(ReadError) as caught:
            read_table(data)
        assert [str(e) for e in caught.value.errors] == [
            "row 4: file: the file has more than 2 rows below the header; split it"
        ]


def test_a_row_past_the_last_row_of_any_spreadsheet_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    monkeypatch.setattr(readers, "XLSX_LAST_ROW", 50)
    with pytest.raises(ReadError) as caught:
        read_table(crafted_xlsx({**SMALL_SHEET, 10**12: {"A": " "}}, "A1:B3"))
    assert caught.value.errors[0].row == 51


def test_a_header_wider_than_any_kind_is_an_error():
    data = crafted_xlsx({1: {"A": "code", "XFD": "name"}}, "A1:XFD1")
    with pytest.raises(ReadError) as caught:
        read_table(data)
    assert str(caught.value) == "row 1: file: the header has more than 100 columns"
    with pytest.raises(ReadError):
        read_table(("," * 150 + "code\r\n").encode())


def test_csv_cells_and_lines_are_capped():
    huge_cell = b"code,name\r\nC1," + b"x" * (readers.MAX_CELL + 1) + b"\r\n"
    with pytest.raises(ReadError) as caught:
        read_table(huge_cell)
    assert str(caught.value) == "row 2: file: a cell holds more than 32767 characters"

    long_line = b"code,name\r\nC1,a" + b"," * 100_000 + b"stray\r\n"
    table = read_table(long_line)
    assert table.rows == [(2, ["C1", "a"])]
    assert extra_cells(table) == [
        RowError(2, "column 100002", "a value in a column without a header")
    ]


def test_a_workbook_that_unpacks_past_the_ceiling_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNPACKED", 1024 * 1024)
    data = crafted_xlsx({1: {"A": "code"}, 2: {"A": "x" * 2 * 1024 * 1024}}, "A1:A2")
    with pytest.raises(ReadError) as caught:
        read_table(data)
    assert "unpacks to more than 1 MB" in str(caught.value)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_past_the_size_limit_is_refused_at_once_with_the_limit(monkeypatch, kind):
    # given a limit of 1 MB and a file just past it, CSV or XLSX alike
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1024 * 1024)
    rows = [["code", "name"], *([f"C{i:06d}", secrets.token_hex(32)] for i in range(40_000))]
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    assert len(data) > 1024 * 1024
    parsed = []
    monkeypatch.setattr(readers, "_collect", lambda *a: parsed.append(a))
    # when / then: refused before a single row is read
    with pytest.raises(ReadError) as caught:
        read_table(data, f"big.{kind}")
    assert [str(e) for e in caught.value.errors] == [
        "file: the file is larger than 1 MB; split it into smaller files"
    ]
    assert parsed == []


def test_the_limits_are_stated():
    assert readers.MAX_FILE_BYTES == 200 * 1024 * 1024
    assert readers.MAX_ROWS == 1_000_000


def test_a_row_error_prints_the_english_contract_whatever_the_label():
    error = RowError(7, "amount", "must not be negative", "金额")
    assert str(error) == "row 7: amount: must not be negative"
    assert error.shown_column == "amount"
    assert str(RowError(0, "file", "the file is empty")) == "file: the file is empty"
    assert str(ReadError([error, RowError(0, "file", "x")])) == (
        "row 7: amount: must not be negative; file: x"
    )


def test_check_header_labels_unknown_duplicate_and_missing_columns():
    table = readers.Table(header=["code", "code", "颜色"])
    errors = check_header(
        table, ("code", "name"), spelled=["编码", "code", "颜色"], labels={"name": "名称"}
    )
    assert [(e.row, e.column, e.problem, e.label) for e in errors] == [
        (1, "code", "duplicate column", "code"),
        (1, "颜色", "unknown column", "颜色"),
        (1, "name", "missing column", "名称"),
    ]
