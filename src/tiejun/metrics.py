"""The metrics targets are set on and facts are credited to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiejun.errors import TiejunError


@dataclass(frozen=True)
class Metric:
    code: str
    label: str | Promise
    money: bool

    def quantize(self, value: Decimal | int | None) -> Decimal:
        step = Decimal("0.01") if self.money else Decimal(1)
        return Decimal(value or 0).quantize(step, rounding=ROUND_HALF_UP)

    def to_json(self, value: Decimal | int | None) -> str | int | None:
        """Money as a string with two decimals, counts as integers, undefined as null."""
        if value is None:
            return None
        quantized = self.quantize(value)
        return f"{quantized:.2f}" if self.money else int(quantized)


REVENUE = Metric("revenue", _("Revenue"), money=True)
NEW_CUSTOMERS = Metric("new_customers", _("New customers"), money=False)
VISITS = Metric("visits", _("Visits"), money=False)

METRICS: dict[str, Metric] = {m.code: m for m in (REVENUE, NEW_CUSTOMERS, VISITS)}
METRIC_CHOICES = [(m.code, m.label) for m in METRICS.values()]


def metric(code: str) -> Metric:
    try:
        return METRICS[code]
    except KeyError:
        raise TiejunError(
            _("unknown metric %(metric)s; use one of %(choices)s")
            % {"metric": code, "choices": ", ".join(METRICS)},
            field="metric",
        ) from None
