import datetime as dt
from decimal import Decimal

import pytest

from tiejun.imports.readers import ReadError, RowError, check_header, read_table

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
