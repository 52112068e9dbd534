"""The import kind ``customers``: one row checked and applied through the customer services
(details through ``customer_create``/``customer_update``, the owner through ``customer_assign``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tiejun.crm.models import Customer, OwnershipChange, Priority
from tiejun.crm.services.customers import (
    code_unusable,
    customer_create,
    customer_update,
    validate_customer_code,
)
from tiejun.crm.services.ownership import customer_assign
from tiejun.errors import TiejunError

from .cells import CREATED, UPDATED, Cells, Context, Outcome, check_name


def _coordinate(c: Cells, column: str, limit: int) -> Decimal | None:
    if not c.record.get(column, "").strip():
        return None
    value = c.decimal(column)
    if value is not None and not -limit <= value <= limit:
        c.fail(column, _("must lie between -%(limit)d and %(limit)d") % {"limit": limit})
        return None
    return value.quantize(Decimal("0.000001")) if value is not None else None


def apply_customer(c: Cells, ctx: Context) -> Outcome:
    code = c.text("customer_code", max_length=32)
    name = c.text("name", max_length=200)
    if code and not any(col == "customer_code" for col, _msg in c.errors):
        try:
            validate_customer_code(code, field="customer_code")
        except TiejunError as exc:
            c.fail("customer_code", str(exc))
    check_name(c, "name", name)
    industry = c.text("industry", required=False, max_length=100)
    address = c.text("address", required=False, max_length=300)
    lat = _coordinate(c, "lat", 90)
    lon = _coordinate(c, "lon", 180)
    if (lat is None) != (lon is None) and not c.errors:
        c.fail("lon" if lon is None else "lat", _("give both lat and lon, or neither"))
    owner = c.person("owner_employee_no") if c.record.get("owner_employee_no", "").strip() else None
    phone = c.text("phone", required=False, max_length=32)
    priority = c.text("priority", required=False).upper()
    if priority and priority not in Priority.values:
        c.fail(
            "priority",
            _("unknown priority %(value)s; use one of %(choices)s")
            % {"value": priority, "choices": ", ".join(Priority.values)},
        )
    c.check()
    fields: dict[str, Any] = {"name": name, "industry": industry, "address": address}
    fields.update(lat=lat, lon=lon, phone=phone)
    if priority:
        fields["priority"] = priority
    existing = Customer.objects.filter(code=code).select_related("owner").first()
    if (
        existing is not None
        and existing.owner is not None
        and not c.person_in_scope(existing.owner)
    ):
        # Another branch's customer: a manager's file may not rewrite or take it, and is told
        # nothing about it (the answer of a foreign id).
        raise code_unusable(code, field="customer_code")
    if (
        existing is not None
        and existing.owner is None
        and c.scope is not None
        and existing.unit_id not in c.scope
    ):
        # Another team's open pool: the file sees the customer but does not look after it.
        raise TiejunError(
            _(
                "customer %(code)s is in the open pool of a team outside yours; this file may not change it"
            )
            % {"code": code},
            field="customer_code",
        )
    if existing is None:
        customer_create(
            code=code, by=ctx.by, owner=owner, reason=OwnershipChange.Reason.IMPORT, **fields
        )
        return CREATED
    before = [getattr(existing, k) for k in fields], existing.owner_id
    customer_update(customer=existing, by=ctx.by, **fields)
    customer = customer_assign(
        customer=existing, to=owner, by=ctx.by, note=ctx.reason or _("import")
    )
    after = [getattr(customer, k) for k in fields], customer.owner_id
    return UPDATED if after != before else None
