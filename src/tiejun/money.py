"""Money as people read it: ``12345.5`` → ``¥12,345.50``. One formatter for templates, battle
reports, messages, PDFs and exports; the currency comes from ``TIEJUN_CURRENCY``.

Pure apart from reading the one setting, so every layer may import it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

CURRENCY_SIGNS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
DASH = "—"


def grouped(value: Any, places: int) -> str:
    """``value`` rounded half up to ``places`` with thousands separators, no sign of currency."""
    step = Decimal(1).scaleb(-places)
    quantized = Decimal(value).quantize(step, rounding=ROUND_HALF_UP)
    return f"{quantized:,.{places}f}"


def currency_sign() -> str:
    code = settings.CURRENCY
    return CURRENCY_SIGNS.get(code, code + " ")


def money(value: Any, places: int = 2) -> str:
    """``12345.5`` → ``¥12,345.50``; ``-3`` → ``-¥3.00``; None or ``""`` → a dash."""
    if value is None or value == "":
        return DASH
    value = Decimal(value)
    sign = "-" if value < 0 else ""
    return f"{sign}{currency_sign()}{grouped(abs(value), int(places))}"
