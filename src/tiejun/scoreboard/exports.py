"""The board as an XLSX workbook (the board page's export)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tiejun.sheetcells import xlsx_put

from .selectors import Board

PERCENT = "0.0%"
MONEY = "#,##0.00"
COUNT = "#,##0"
RATE = "#,##0.00"
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE3EA")


def _display_width(value: object) -> int:
    text = (
        value
        if isinstance(value, str)
        else f"{value:,}"
        if isinstance(value, int | Decimal)
        else str(value)
    )
    # CJK characters take two columns in a spreadsheet's default font.
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def board_xlsx(board: Board) -> bytes:
    """The board as a one-sheet workbook: title, the unit's figures, then one row per child."""
    m = board.metric
    number_format = MONEY if m.money else COUNT
    rate_format = RATE

    def amount(value: Decimal | None) -> Decimal | int | None:
        if value is None:
            return None
        quantized = m.quantize(value)
        return quantized if m.money else int(quantized)

    def rate(value: Decimal | None) -> Decimal | float | None:
        if value is None:
            return None
        return m.quantize(value) if m.money else round(float(value), 2)

    def ratio(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    workbook = Workbook()
    sheet = workbook.active
    # A sheet title may not hold \ * ? : / [ ] (openpyxl refuses it); a unit code might.
    sheet.title = re.sub(r"[\\*?:/\[\]]", "_", board.unit.code)[:31] or "board"
    widths: dict[int, int] = {}

    def put(row: int, col: int, value: object, fmt: str | None = None, bold: bool = False) -> None:
        cell = xlsx_put(sheet, row, col, value)
        if fmt and value is not None:
            cell.number_format = fmt
        if bold:
            cell.font = _BOLD
        if value is not None and row > 1:
            widths[col] = max(widths.get(col, 0), _display_width(value))

    title = _("%(unit)s — %(metric)s — %(month)s, as of %(as_of)s") % {
        "unit": f"{board.unit.name} ({board.unit.code})",
        "metric": str(m.label),
        "month": f"{board.month:%Y-%m}",
        "as_of": board.as_of.isoformat(),
    }
    # Every cell goes through xlsx_put: names are user text, and text is never a formula.
    xlsx_put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    xlsx_put(sheet, 2, 1, _("Month"))
    put(2, 2, f"{board.month:%Y-%m}")
    xlsx_put(sheet, 3, 1, _("As of"))
    put(3, 2, board.as_of.isoformat())
    xlsx_put(sheet, 4, 1, _("Metric"))
    put(4, 2, str(m.label))

    figures: list[tuple[str, object, str | None]] = [
        (_("Target"), amount(board.target), number_format),
        (_("Achieved"), amount(board.achieved), number_format),
        (_("Today"), amount(board.today), number_format),
        (_("Remaining"), amount(board.remaining), number_format),
        (_("Completion"), ratio(board.completion), PERCENT),
        (_("Time progress"), ratio(board.time_progress), PERCENT),
        (_("Required daily"), rate(board.required_daily), rate_format),
        (_("Allocation gap"), amount(board.allocation_gap), number_format),
        (_("Working days"), board.progress.total, COUNT),
        (_("Working days elapsed"), board.progress.elapsed, COUNT),
    ]
    row = 6
    for label, value, fmt in figures:
        put(row, 1, label, bold=True)
        put(row, 2, value, fmt)
        row += 1

    row += 1
    headers = [
        _("Rank"),
        _("Code"),
        _("Name"),
        _("Target"),
        _("Achieved"),
        _("Today"),
        _("Remaining"),
        _("Completion"),
        _("Required daily"),
    ]
    header_row = row
    for col, label in enumerate(headers, start=1):
        put(row, col, label, bold=True)
        sheet.cell(row=row, column=col).fill = _HEAD_FILL
        sheet.cell(row=row, column=col).alignment = Alignment(horizontal="center")
    formats = [
        COUNT,
        None,
        None,
        number_format,
        number_format,
        number_format,
        number_format,
        PERCENT,
        rate_format,
    ]
    for board_row in board.rows:
        row += 1
        values = [
            board_row.rank,
            board_row.code,
            board_row.name,
            amount(board_row.target),
            amount(board_row.achieved),
            amount(board_row.today),
            amount(board_row.remaining),
            ratio(board_row.completion),
            rate(board_row.required_daily),
        ]
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            put(row, col, value, fmt)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
