"""A statement as XLSX (openpyxl) and as PDF (ReportLab, the route sheet's CJK font)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from tiejun.field.views.plans import _font, _p
from tiejun.money import money
from tiejun.sheetcells import xlsx_put

from .selectors import Line, StatementView

MONEY = "#,##0.00"
RATE = "0.00%"


def bounds_text(line: Line) -> str:
    if line.lower is None:
        return line.note
    upper = "∞" if line.upper is None else f"{line.upper * 100:.0f}%"
    return f"{line.lower * 100:.0f}%–{upper}"


def _status(view: StatementView) -> str:
    if view.frozen is None:
        return _("computed, not approved")
    approver = view.frozen.approved_by.name if view.frozen.approved_by else ""
    return _("approved by %(name)s on %(day)s") % {
        "name": approver,
        "day": view.frozen.approved_at.date().isoformat(),
    }


def statement_xlsx(view: StatementView) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{view.month:%Y-%m}"
    person = view.person
    xlsx_put(sheet, 1, 1, _("Incentive statement")).font = Font(bold=True, size=14)
    head: list[tuple[str, Any, str | None]] = [
        (_("Person"), f"{person.name} ({person.employee_no})", None),
        (_("Month"), f"{view.month:%Y-%m}", None),
        (_("Plan"), view.plan.code if view.plan else "", None),
        (_("Status"), _status(view), None),
        (_("Target"), view.figures.target, MONEY),
        (_("Achieved"), view.figures.achieved, MONEY),
    ]
    row = 2
    for label, value, fmt in head:
        xlsx_put(sheet, row, 1, label).font = Font(bold=True)
        cell = xlsx_put(sheet, row, 2, value)
        if fmt:
            cell.number_format = fmt
        row += 1
    row += 1
    for col, label in enumerate([_("Line"), _("Band"), _("Base"), _("Rate"), _("Amount")], 1):
        xlsx_put(sheet, row, col, label).font = Font(bold=True)
    for line in view.lines:
        row += 1
        xlsx_put(sheet, row, 1, line.label())
        xlsx_put(sheet, row, 2, bounds_text(line))
        xlsx_put(sheet, row, 3, line.base).number_format = MONEY
        xlsx_put(sheet, row, 4, line.rate if line.rate else None).number_format = RATE
        xlsx_put(sheet, row, 5, line.amount).number_format = MONEY
    row += 1
    xlsx_put(sheet, row, 1, _("Total")).font = Font(bold=True)
    total = xlsx_put(sheet, row, 5, view.figures.total)
    total.number_format, total.font = MONEY, Font(bold=True)
    for letter, width in zip("ABCDE", (18, 26, 16, 10, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rate(value: Decimal) -> str:
    return f"{value * 100:.2f}%" if value else ""


def statement_pdf(view: StatementView, *, compress: bool = True) -> bytes:
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=20, spaceAfter=4)
    person = view.person
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=_("Incentive statement %(no)s %(month)s")
        % {"no": person.employee_no, "month": f"{view.month:%Y-%m}"},
        author=person.name,
        pageCompression=1 if compress else 0,
    )
    story: list[Any] = [
        _p(
            _("Incentive statement")
            + f" · {person.name} ({person.employee_no}) · {view.month:%Y-%m}",
            title,
        ),
        _p(
            _("Plan %(plan)s · target %(target)s · achieved %(achieved)s · %(status)s")
            % {
                "plan": view.plan.code if view.plan else "—",
                "target": money(view.figures.target),
                "achieved": money(view.figures.achieved),
                "status": _status(view),
            },
            base,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[_p(h, base) for h in (_("Line"), _("Band"), _("Base"), _("Rate"), _("Amount"))]]
    for line in view.lines:
        rows.append(
            [
                _p(line.label(), base),
                _p(bounds_text(line), base),
                _p(money(line.base), base),
                _p(_rate(line.rate), base),
                _p(money(line.amount), base),
            ]
        )
    rows.append([_p(_("Total"), base), "", "", "", _p(money(view.figures.total), base)])
    table = Table(rows, colWidths=[34 * mm, 36 * mm, 36 * mm, 20 * mm, 36 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
