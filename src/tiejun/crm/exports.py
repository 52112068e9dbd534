"""Bulk export of customers (CSV or XLSX): the customers the list page shows, with its filters.

Only managers and admin may export, and every export is written to the audit trail: a customer
list is the company's most portable asset. Anyone else is told the export does not exist.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tiejun.audit.services import audit_record
from tiejun.errors import NotFound, TiejunError
from tiejun.org.models import Person, Role
from tiejun.org.selectors import membership_on
from tiejun.sheetcells import csv_row, xlsx_append

from .models import Customer
from .selectors.customers import CustomerFilters, customer_list

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The export is one file, built in memory: past this a manager narrows the filters.
MAX_ROWS = 50_000


@dataclass(frozen=True)
class CustomerExport:
    content: bytes
    content_type: str
    filename: str
    count: int


def may_export_customers(person: Person) -> bool:
    """Managers (for the customers they see) and admin."""
    if not person.is_authenticated:
        return False
    if person.is_superuser:
        return True
    membership = membership_on(person, timezone.localdate())
    return membership is not None and membership.role in (Role.MANAGER, Role.ADMIN)


def _columns() -> list[tuple[str, str]]:
    return [
        ("code", _("Customer code")),
        ("name", _("Customer name")),
        ("industry", _("Industry")),
        ("size", _("Size")),
        ("address", _("Address")),
        ("phone", _("Phone")),
        ("owner", _("Owner")),
        ("owner_name", _("Owner name")),
        ("status", _("Status")),
        ("priority", _("Visit priority")),
        ("last_activity_on", _("Last visit or follow-up")),
    ]


def _values(customer: Customer) -> dict[str, object]:
    return {
        "code": customer.code,
        "name": customer.name,
        "industry": customer.industry,
        "size": customer.size,
        "address": customer.address,
        "phone": customer.phone,
        "owner": customer.owner.employee_no if customer.owner else "",
        "owner_name": customer.owner.name if customer.owner else "",
        "status": customer.status,
        "priority": customer.priority,
        "last_activity_on": customer.last_activity_on.isoformat()
        if customer.last_activity_on
        else "",
    }


def _csv(rows: list[dict[str, object]], columns: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_row(label for _key, label in columns))
    for row in rows:
        writer.writerow(csv_row(row[key] for key, _label in columns))
    # A byte-order mark so that Excel opens the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows: list[dict[str, object]], columns: list[tuple[str, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "customers"
    xlsx_append(sheet, [label for _key, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, [row[key] for key, _label in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def customer_export(
    *, person: Person, filters: CustomerFilters, format: str = "csv", source: str | None = None
) -> CustomerExport:
    """The visible customers matching ``filters`` as a file, recorded in the audit trail.

    ``NotFound`` for anyone who may not export (as for a page that does not exist).
    """
    if not may_export_customers(person):
        raise NotFound(_("No such page."))
    format = (format or "csv").lower()
    if format not in FORMATS:
        raise TiejunError(
            _("unknown format %(value)s; use one of %(choices)s")
            % {"value": format, "choices": ", ".join(FORMATS)},
            field="format",
        )
    customers = list(customer_list(person, filters)[: MAX_ROWS + 1])
    if len(customers) > MAX_ROWS:
        raise TiejunError(
            _("more than %(n)d customers match; narrow the filters") % {"n": MAX_ROWS},
            field="format",
        )
    columns = _columns()
    rows = [_values(c) for c in customers]
    content = _csv(rows, columns) if format == "csv" else _xlsx(rows, columns)
    audit_record(
        action="export",
        object_type="customer",
        object_id="bulk",
        object_repr=_("%(n)d customers") % {"n": len(rows)},
        after={
            "count": len(rows),
            "format": format,
            "filters": {k: v for k, v in asdict(filters).items() if v},
        },
        actor=person,
        source=source,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return CustomerExport(
        content=content,
        content_type=FORMATS[format],
        filename=f"customers-{stamp}.{format}",
        count=len(rows),
    )
