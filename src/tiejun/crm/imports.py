"""The crm's import kinds: ``deals`` (won deals, recorded or corrected through the deal
services) and ``customers`` (details through ``customer_create``/``customer_update``, the owner
through ``customer_assign``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.errors import TiejunError
from tiejun.imports.cells import CREATED, UPDATED, Context, Outcome, check_name
from tiejun.imports.engine import Kind
from tiejun.imports.registry import register
from tiejun.org.imports import OrgCells as Cells
from tiejun.org.imports import admin_or_manager

from .models import Customer, Deal, OwnershipChange, Priority
from .services.customers import (
    code_unusable,
    customer_create,
    customer_update,
    validate_customer_code,
)
from .services.deals import DealInput, deal_number_unusable, deal_record
from .services.ownership import customer_assign


def _deal_state(deal_no: str) -> tuple | None:
    return (
        Deal.objects.filter(deal_no=deal_no)
        .values_list("person_id", "customer__code", "amount", "won_date", "channel")
        .first()
    )


def apply_deal(c: Cells, ctx: Context) -> Outcome:

    deal_no = c.text("deal_no", max_length=40)
    person = c.person("employee_no")
    customer_code = c.text("customer_code", max_length=32)
    customer_name = c.text("customer_name", required=False, max_length=200)
    amount = c.decimal("amount")
    won_date = c.date("won_date")
    channel = c.text("channel", required=False).lower()
    if customer_code and not any(col == "customer_code" for col, _msg in c.errors):
        try:
            validate_customer_code(customer_code, field="customer_code")
        except TiejunError as exc:
            c.fail("customer_code", str(exc))
    check_name(c, "customer_name", customer_name)
    if c.scope is not None and deal_no:
        taken = Deal.objects.filter(deal_no=deal_no).values_list("unit_id", flat=True).first()
        if taken is not None and not c.unit_in_scope(taken):
            # Another branch's deal: the answer of a foreign id, nothing about the deal.
            c.fail("deal_no", str(deal_number_unusable(deal_no)))
    c.check()
    assert person is not None and amount is not None and won_date is not None
    before = _deal_state(deal_no)
    item = DealInput(
        deal_no=deal_no,
        person=person,
        customer_code=customer_code,
        customer_name=customer_name,
        amount=amount,
        won_date=won_date,
        channel=channel,
    )
    deal_record(item=item, by=ctx.by, reason=ctx.reason, today=ctx.today)
    if before is None:
        return CREATED
    return UPDATED if _deal_state(deal_no) != before else None


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


def register_kinds() -> None:
    register(
        Kind(
            "deals",
            (
                "deal_no",
                "employee_no",
                "customer_code",
                "customer_name",
                "amount",
                "won_date",
                "channel",
            ),
            "deal_no",
            label=gettext_lazy("Deals"),
            position=50,
            may_import=admin_or_manager,
            cells=Cells,
            apply=apply_deal,
        ),
        Kind(
            "customers",
            (
                "customer_code",
                "name",
                "industry",
                "address",
                "lat",
                "lon",
                "owner_employee_no",
                "phone",
                "priority",
            ),
            "customer_code",
            label=gettext_lazy("Customers"),
            position=52,
            aliases={"code": "customer_code", "owner": "owner_employee_no"},
            may_import=admin_or_manager,
            cells=Cells,
            apply=apply_customer,
        ),
    )
