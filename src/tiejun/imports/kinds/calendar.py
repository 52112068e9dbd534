"""The import kind ``calendar``: a year's official holidays and make-up working days."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.org.holidays import (
    MAX_YEAR,
    MIN_YEAR,
    check_statutory_day,
    parse_kind,
    statutory_day_set,
    statutory_year_clear,
)
from tiejun.org.models import StatutoryDay

from .cells import CREATED, DATE, Cells, Context, Outcome


def _calendar_years(records: list[tuple[int, dict[str, str]]]) -> set[int]:
    years = set()
    for _number, record in records:
        match = DATE.match(record.get("date", "").strip())
        if match is not None:
            years.add(int(match[1]))
    return years


def prepare_calendar(records: list[tuple[int, dict[str, str]]], ctx: Context) -> None:
    """A file replaces the statutory days of every year it covers (exceptions stay)."""

    if ctx.scope is not None:  # only an administrator loads the calendar; every row says so
        return
    for year in sorted(_calendar_years(records)):
        if MIN_YEAR <= year <= MAX_YEAR:
            statutory_year_clear(year=year, by=ctx.by)


def apply_calendar(c: Cells, ctx: Context) -> Outcome:

    if c.scope is not None:
        c.fail("date", _("only an administrator may load the calendar"))
        c.check()
    day = c.date("date")
    kind = c.text("kind")
    name = c.text("name", required=False, max_length=100)
    is_workday = parse_kind(kind) if kind else None
    if kind and is_workday is None:
        c.fail("kind", _("kind is off or work (放假 or 上班), not %(kind)s") % {"kind": kind})
    c.check()
    assert day is not None and is_workday is not None
    check_statutory_day(day=day, is_workday=is_workday, name=name)
    if StatutoryDay.objects.filter(date=day).exists():  # the year was cleared: listed twice
        raise TiejunError(_("%(day)s is listed twice") % {"day": day.isoformat()}, field="date")
    statutory_day_set(day=day, is_workday=is_workday, name=name, by=ctx.by)
    return CREATED
