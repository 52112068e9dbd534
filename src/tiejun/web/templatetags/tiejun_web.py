"""Filters for showing board figures: money with a currency sign and thousands separators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from tiejun.metrics import Metric
from tiejun.money import DASH, grouped, money
from tiejun.org.selectors import calendar_warning as warning_for

register = template.Library()

money = register.filter("money", money)


@register.filter
def figure(value: Any, metric: Metric | None) -> str:
    """A figure of ``metric``: money with two places, a count as a whole number."""
    if value is None or value == "":
        return DASH
    if metric is None or metric.money:
        return money(value)
    return grouped(Decimal(value), 0)


@register.filter
def big_figure(value: Any, metric: Metric | None) -> str:
    """The same without the cents, for large type (TV mode, headline numbers)."""
    if value is None or value == "":
        return DASH
    if metric is None or metric.money:
        return money(value, 0)
    return grouped(Decimal(value), 0)


@register.filter
def rate(value: Any, metric: Metric | None) -> str:
    """A daily pace: money with two places; a count per day with one."""
    if value is None or value == "":
        return DASH
    if metric is None or metric.money:
        return money(value)
    return grouped(Decimal(value), 1)


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """``0.6543`` → ``65.4%``; undefined → a dash."""
    if value is None or value == "":
        return DASH
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def bar_width(value: Any) -> str:
    """A ratio as a CSS width between 0% and 100%."""
    if value is None or value == "":
        return "0%"
    return f"{max(0.0, min(1.0, float(value))) * 100:.1f}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template; missing → empty."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return ""


@register.inclusion_tag("web/_calendar_warning.html")
def calendar_warning(day: Any) -> dict[str, Any]:
    """The warning every page of a month shows while its year's statutory holidays are not
    loaded (Monday to Friday are counted), with a link to the year's calendar page. No query
    for a year the statutory package covers."""
    warning = warning_for(day.year) if day else None
    return {"warning": warning}
