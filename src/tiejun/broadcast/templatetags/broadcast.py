"""Filters for the report templates (admins use them in their own versions too)."""

from __future__ import annotations

from typing import Any

from django import template

from tiejun.crm.models import SalesChannel

register = template.Library()


@register.filter
def deal_channel(code: Any) -> str:
    """A deal's sales channel code as its label ("visit" → "One-to-one visit")."""
    try:
        return str(SalesChannel(code).label)
    except ValueError:
        return str(code or "")


@register.filter
def bar_pct(value: Any) -> int:
    """A ratio as a whole percentage between 0 and 100, for a bar's width in an e-mail."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def bar_rest(value: Any) -> int:
    """What is left of the bar: 100 minus ``bar_pct``."""
    return 100 - bar_pct(value)
