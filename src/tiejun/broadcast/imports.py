"""The import kind ``subscriptions``: who receives which broadcast report, and where."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from tiejun.errors import TiejunError
from tiejun.imports.cells import CREATED, Context, Outcome
from tiejun.imports.engine import Kind
from tiejun.imports.registry import register
from tiejun.imports.spellings import SUBSCRIPTIONS_HEADERS
from tiejun.notify.models import DeliveryChannel
from tiejun.org.imports import OrgCells, admin_or_manager

from .models import Report
from .services import check_address, subscription_create


def apply_subscription(c: OrgCells, ctx: Context) -> Outcome:

    unit = c.unit("unit_code")
    report = c.choice("report", dict(Report.choices))
    channel = c.choice("channel", dict(DeliveryChannel.choices))
    address = c.text("address", max_length=1000)
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


def register_kinds() -> None:
    register(
        Kind(
            "subscriptions",
            ("unit_code", "report", "channel", "address"),
            "address",
            label=gettext_lazy("Report subscriptions"),
            position=90,
            headers=SUBSCRIPTIONS_HEADERS,
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_subscription,
        )
    )
