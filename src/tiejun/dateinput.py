"""Dates and months a person or a script sends: one parser for every page, API route and command.

Anything outside 1900-01-01 … 2999-12-31 is refused with the project's user error (a 400 with the
parameter's name), so no page or route does date arithmetic on year 1 or year 9999 and overflows
into a 500. API schemas use ``Day`` and ``Moment``; pages and query strings call ``parse_day`` /
``parse_month``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import AfterValidator, ValidationInfo

from tiejun.errors import TiejunError

MIN_DAY = dt.date(1900, 1, 1)
MAX_DAY = dt.date(2999, 12, 31)
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def _out_of_range(name: str) -> TiejunError:
    return TiejunError(
        _("%(name)s must be between %(first)s and %(last)s")
        % {"name": name, "first": MIN_DAY.isoformat(), "last": MAX_DAY.isoformat()},
        field=name,
    )


def check_day(day: dt.date, *, field: str) -> dt.date:
    """``day`` if it lies in 1900–2999; the user error naming ``field`` otherwise."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if not MIN_DAY <= day <= MAX_DAY:
        raise _out_of_range(field)
    return day


def check_moment(moment: dt.datetime, *, field: str) -> dt.datetime:
    """A point in time whose day (in UTC and in any time zone) lies in 1900–2999."""
    check_day(moment.date(), field=field)
    if moment.utcoffset() is not None:
        # 9999-12-31T23:00-02:00 is year 10000 in UTC; the range keeps a day's margin anyway.
        check_day((moment.replace(tzinfo=None) - moment.utcoffset()).date(), field=field)  # type: ignore[operator]
    return moment


def check_year(year: int, *, field: str = "year") -> int:
    if not MIN_DAY.year <= year <= MAX_DAY.year:
        raise _out_of_range(field)
    return year


def parse_day(text: str | None, *, field: str) -> dt.date | None:
    """``YYYY-MM-DD`` to a date; empty to ``None``; anything else, or a day outside 1900–2999,
    to the user error naming ``field``."""
    if text is None or not str(text).strip():
        return None
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise TiejunError(
            _("%(name)s must be a date YYYY-MM-DD") % {"name": field}, field=field
        ) from None
    return check_day(day, field=field)


def parse_month(text: str | None, *, field: str = "month") -> dt.date | None:
    """``YYYY-MM`` to the first day of that month; empty to ``None``; anything else, or a month
    outside 1900–2999, to the user error naming ``field``."""
    if text is None or not str(text).strip():
        return None
    match = _MONTH.match(str(text))
    if match is None or not 1 <= int(match.group(2)) <= 12:
        message = (
            _("month must be YYYY-MM")
            if field == "month"
            else _("%(name)s must be YYYY-MM") % {"name": field}
        )
        raise TiejunError(message, field=field)
    year = int(match.group(1))
    if not MIN_DAY.year <= year <= MAX_DAY.year:
        raise TiejunError(
            _("%(name)s must be between %(first)s and %(last)s")
            % {"name": field, "first": f"{MIN_DAY:%Y-%m}", "last": f"{MAX_DAY:%Y-%m}"},
            field=field,
        )
    return dt.date(year, int(match.group(2)), 1)


def _day_field(value: dt.date, info: ValidationInfo) -> dt.date:
    # A TiejunError (not a ValueError) leaves pydantic as it is: the API answers 400 with it.
    return check_day(value, field=info.field_name or "date")


def _moment_field(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    return check_moment(value, field=info.field_name or "time")


Day = Annotated[dt.date, AfterValidator(_day_field)]
"""A date field of an API schema or query: 1900–2999, else a 400 naming the field."""

Moment = Annotated[dt.datetime, AfterValidator(_moment_field)]
"""A date-time field of an API schema: its day in 1900–2999, else a 400 naming the field."""
