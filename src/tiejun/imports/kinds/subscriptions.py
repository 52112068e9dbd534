"""The import kind ``subscriptions``: who receives which broadcast report, and where."""

from __future__ import annotations

from tiejun.broadcast.services import check_address, check_report, subscription_create
from tiejun.errors import TiejunError

from .cells import CREATED, Cells, Context, Outcome


def apply_subscription(c: Cells, ctx: Context) -> Outcome:

    unit = c.unit("unit_code")
    report = c.text("report").lower()
    channel = c.text("channel").lower()
    address = c.text("address", max_length=1000)
    if report:
        try:
            check_report(report)
        except TiejunError as exc:
            c.fail("report", str(exc))
    if channel:
        try:
            address = check_address(channel, address) if address else address
        except TiejunError as exc:
            c.fail("channel" if exc.field == "channel" else "address", str(exc))
    c.check()
    assert unit is not None
    _row, created = subscription_create(
        unit=unit, report=report, channel=channel, address=address, by=ctx.by
    )
    return CREATED if created else None
