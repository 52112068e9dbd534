"""The route sheet as a PDF (ReportLab), Chinese text in the built-in CID font STSong-Light."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def route_sheet_pdf(context: dict[str, Any], *, compress: bool = True) -> bytes:
    """The PDF bytes of the route sheet built by ``views_plans._sheet_context``."""
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey)
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=20, spaceAfter=4)
    head = ParagraphStyle("head", parent=base, fontSize=11, leading=15, spaceBefore=6)
    person, day, plan = context["person"], context["day"], context["plan"]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Route sheet %(no)s %(date)s") % {"no": person.employee_no, "date": day},
        author=person.name,
        pageCompression=1 if compress else 0,
    )
    story: list[Any] = [
        _p(
            _("Route sheet") + f" · {person.name} ({person.employee_no}) · {day.isoformat()}", title
        ),
        _p(
            _("Leave %(start)s from %(from)s · back %(back)s · %(km)s km · %(min)s min driving")
            % {
                "start": context["start_at"],
                "from": plan.start_label or _("start"),
                "back": context["return_at"],
                "km": context["total_km"],
                "min": context["total_min"],
            }
            + (f" · {_('lunch')} {context['lunch_at']}" if context["lunch_at"] else ""),
            base,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [_("#"), _("Arrival"), _("Customer"), _("Address"), _("Phone"), _("Leg")]
    rows = [[_p(h, base) for h in header]]
    for n, row in enumerate(context["rows"], start=1):
        customer = row["customer"]
        leg = f"{row['leg_km']} km / {row['leg_min']} min" if row["leg_km"] else ""
        arrival = row["arrival"] or _("does not fit")
        rows.append(
            [
                _p(n, base),
                _p(arrival, base),
                _p(f"{customer.name}\n{customer.code} · {customer.priority}", base),
                _p(customer.address, base),
                _p(customer.phone, base),
                _p(leg, base),
            ]
        )
    table = Table(
        rows, colWidths=[8 * mm, 16 * mm, 48 * mm, 58 * mm, 28 * mm, 24 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)

    for n, row in enumerate(context["rows"], start=1):
        customer, brief = row["customer"], row.get("brief")
        block: list[Any] = [
            _p(f"{n}. {customer.name} ({customer.code}) {row['arrival']}", head),
            _p(customer.address, small),
        ]
        if brief is not None:
            contacts = "; ".join(
                " ".join(x for x in (c.name, c.title, c.phone) if x) for c in brief.contacts
            )
            block.append(_p(_("Contacts") + ": " + (contacts or "—"), base))
            visits = "; ".join(
                f"{timezone.localtime(v.checkin_at):%Y-%m-%d} {v.person.name}"
                + (f" {v.get_interest_display()}" if v.interest else "")
                + (f" {v.next_step}" if v.next_step else "")
                for v in brief.visits
            )
            block.append(_p(_("Last visits") + ": " + (visits or "—"), base))
            opportunities = "; ".join(
                f"{o.title} · {o.get_stage_display()} · {o.amount}"
                + (f" · {o.expected_close}" if o.expected_close else "")
                for o in brief.opportunities
            )
            block.append(_p(_("Open opportunities") + ": " + (opportunities or "—"), base))
        if customer.notes:
            block.append(_p(_("Notes") + ": " + customer.notes, base))
        story.append(KeepTogether(block))
    doc.build(story)
    return buffer.getvalue()
