"""The import kind ``deals``: won deals, recorded or corrected through the deal services."""

from __future__ import annotations

from tiejun.crm.models import Deal
from tiejun.crm.services.customers import validate_customer_code
from tiejun.crm.services.deals import DealInput, deal_number_unusable, deal_record
from tiejun.errors import TiejunError

from .cells import CREATED, UPDATED, Cells, Context, Outcome, check_name


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
