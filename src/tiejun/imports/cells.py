"""What every import kind shares: one row's cells and their parsers, the context of the run,
and what applying a row answers.

The parsers read the files offices really have: dates as ``YYYY-MM-DD``, ``YYYY/M/D``,
``YYYY.M.D``, ``YYYY年M月D日``, Excel date cells and Excel serial numbers; date-times in ISO 8601
(``T`` or a space, seconds, fractions, ``Z``/``+08:00``/``+0800``) in the company's time zone;
amounts with thousands separators, ``¥``/``RMB`` and ``元``; full-width digits; choices by value
or by their English or Chinese label. Anything that could be read two ways is an error, never a
guess.

Domain-free: the cells that name a unit or a person are read by ``tiejun.org.imports.OrgCells``;
a kind names the cells class its rows need (``Kind.cells``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tiejun.text import name_problem

if TYPE_CHECKING:
    from tiejun.org.models import Person

CREATED = "created"


UPDATED = "updated"


Outcome = str | None  # CREATED, UPDATED, or None when the row changed nothing


# The date forms; the separators of one date agree (2026-06/01 is no date).
DATE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_DATE = (
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|\s*年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*日)"
)
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
_OFFSET = r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)"
_MOMENT = re.compile(
    rf"^{_DATE}(?:(?:\s*T\s*|\s+|(?<=日)){_TIME}(?:\s*{_OFFSET})?)?$", re.IGNORECASE
)
_MONTH = re.compile(r"^(\d{4})(?:([-/.])(\d{1,2})|\s*年\s*(\d{1,2})\s*月)$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")

# Excel's serial numbers (1900 date system): 1 is 1900-01-01 and 60 the 1900-02-29 that Lotus
# 1-2-3 invented and Excel kept; 2958465 is 9999-12-31.
_SERIAL_MAX = 2_958_465
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MS_PER_DAY = 86_400_000

# An amount: one sign, ¥/￥/RMB before, 元 after, thousands in groups of three or none at all.
_AMOUNT = re.compile(
    r"^(?P<s1>[-+])?\s*(?:¥|RMB)?\s*(?P<s2>[-+])?\s*"
    r"(?P<n>[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?:元)?$",
    re.IGNORECASE,
)
_GROUPED = re.compile(r"^[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?(?:e[-+]?\d+)?$", re.IGNORECASE)

MAX_VALUE = Decimal("1e14")

MAX_ID = 64  # characters of an id from another system (activity_id, event_id, visit_id)


class RowInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors  # (column, problem)


@dataclass(frozen=True)
class Context:
    by: Person | None
    reason: str
    today: dt.date | None
    # The units a manager's file may touch (the subtree they lead); None: all (admin, the CLI).
    scope: frozenset[int] | None = None
    dry_run: bool = False
    # The run's options (``{"invite": "email"}``), which the kind's extensions read.
    options: Mapping[str, str] = field(default_factory=dict)


def normalise(value: str) -> str:
    """Full-width digits, letters and signs to their plain forms (NFKC), spaces stripped."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.strip()


class _Unreadable(ValueError):
    """A cell that is no date (or time) at all; a subclass says more."""


class _TimeInDate(_Unreadable):
    pass


class _NoTime(_Unreadable):
    pass


class _ClockChange(_Unreadable):
    pass


@dataclass(frozen=True)
class _Moment:
    day: dt.date
    time: dt.time | None = None
    offset: dt.timezone | None = None


def _serial(text: str) -> _Moment:
    number = Decimal(text)
    whole = int(number)
    if not 1 <= whole <= _SERIAL_MAX or whole == 60:
        raise _Unreadable(text)
    day = _EXCEL_EPOCH + dt.timedelta(days=whole + (1 if whole < 60 else 0))
    ms = int(((number - whole) * _MS_PER_DAY).to_integral_value())
    if number == whole:
        return _Moment(day)
    if ms >= _MS_PER_DAY:  # rounded up to the next midnight
        return _Moment(day + dt.timedelta(days=1), dt.time())
    seconds, ms = divmod(ms, 1000)
    return _Moment(day, dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, ms * 1000))


def _offset(text: str) -> dt.timezone:
    if text.upper() == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _Unreadable(text)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if text[0] == "-" else delta)


def parse_moment(text: str) -> _Moment:
    """A date, with a time of day and an offset if the text gives them; ``ValueError`` if the
    text is none of the accepted forms or no real day (2026-02-30)."""
    text = normalise(text)
    if _SERIAL.match(text):
        return _serial(text)
    match = _MOMENT.match(text)
    if match is None:
        raise _Unreadable(text)
    g = match.groupdict()
    day = dt.date(int(g["y"]), int(g["m"] or g["cm"]), int(g["d"] or g["cd"]))
    if g["H"] is None:
        return _Moment(day)
    fraction = int((g["f"] or "0").ljust(6, "0"))
    time = dt.time(int(g["H"]), int(g["M"]), int(g["S"] or 0), fraction)
    return _Moment(day, time, _offset(g["z"]) if g["z"] else None)


def parse_date(text: str) -> dt.date:
    """A date in any accepted form; a date-time only at midnight and without an offset."""
    moment = parse_moment(text)
    if moment.offset is not None or (moment.time is not None and moment.time != dt.time()):
        raise _TimeInDate(text)
    return moment.day


def parse_datetime(text: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """An aware date-time in ``tz`` (the company's time zone); a date alone is refused (which
    time of that day?), and so is a local time that a clock change makes ambiguous or skips."""
    moment = parse_moment(text)
    if moment.time is None:
        raise _NoTime(text)
    tz = tz or timezone.get_current_timezone()
    naive = dt.datetime.combine(moment.day, moment.time)
    if moment.offset is not None:
        return naive.replace(tzinfo=moment.offset).astimezone(tz)
    early = naive.replace(tzinfo=tz)
    if not _steady(tz, moment.day) and early.utcoffset() != early.replace(fold=1).utcoffset():
        raise _ClockChange(text)
    return early


@functools.lru_cache(maxsize=4096)
def _steady(tz: dt.tzinfo, day: dt.date) -> bool:
    """Whether ``tz`` keeps one offset all through ``day`` (no local time is skipped or repeated);
    a file of a year asks once a day, not once a row."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    return start.utcoffset() == end.utcoffset() == start.replace(fold=1).utcoffset()


def parse_month(text: str) -> dt.date:
    """The first day of a month: ``YYYY-MM``, ``YYYY/M``, ``YYYY年M月``, or a date on the 1st
    (what a spreadsheet makes of 2026-06)."""
    value = normalise(text)
    match = _MONTH.match(value)
    if match is not None:
        return dt.date(int(match[1]), int(match[3] or match[4]), 1)
    day = parse_date(value)
    if day.day != 1:
        raise _Unreadable(text)
    return day


def parse_number(text: str) -> Decimal:
    """A decimal number; thousands separators only in groups of three (``1,2345`` is refused)."""
    value = normalise(text)
    if "," in value:
        if not _GROUPED.match(value):
            raise _Unreadable(text)
        value = value.replace(",", "")
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError):
        raise _Unreadable(text) from None


def parse_amount(text: str) -> Decimal:
    """An amount of money: a number with ``¥``/``￥``/``RMB`` before, ``元`` after, thousands
    separators in groups of three; no exponent, no second sign."""
    match = _AMOUNT.match(normalise(text))
    if match is None or (match["s1"] and match["s2"]):
        raise _Unreadable(text)
    number = Decimal(match["n"].replace(",", ""))
    return -number if "-" in (match["s1"], match["s2"]) else number


def _spelling(value: object) -> str:
    return normalise(str(value)).casefold()


# (the values, the extra spellings, the language) → {spelling: value}; see Cells.choice.
_CHOICE_TABLES: dict[tuple[Any, ...], dict[str, str]] = {}
_CHOICE_LANGUAGES = ("en", "zh-hans")


def _labels_in(language: str, label: object) -> str:
    with translation.override(language):
        return str(label) if isinstance(label, Promise) else _(str(label))


def choice_table(
    choices: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every spelling of every choice → its value: the value, its label in English, in Chinese
    and in the active language, and ``labels``' extra spellings. Built once per set of choices
    and language; a spelling two values share belongs to neither (it would be a guess)."""
    language = translation.get_language() or ""
    key = (tuple(choices), tuple((labels or {}).items()), language)
    table = _CHOICE_TABLES.get(key)
    if table is not None:
        return table
    table = {_spelling(value): str(value) for value in choices}
    spelt: dict[str, set[str]] = {}
    for value, label in choices.items():
        for lang in (*_CHOICE_LANGUAGES, language):
            if lang:
                spelt.setdefault(_spelling(_labels_in(lang, label)), set()).add(str(value))
    for spelling, value in (labels or {}).items():
        spelt.setdefault(_spelling(spelling), set()).add(str(value))
    for spelling, values in spelt.items():
        if spelling and spelling not in table and len(values) == 1:
            table[spelling] = next(iter(values))
    _CHOICE_TABLES[key] = table
    return table


def choose(
    text: str, choices: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> str | None:
    """The value of ``choices`` that ``text`` spells (see :func:`choice_table`), else None."""
    return choice_table(choices, labels).get(_spelling(text))


class Cells:
    """One row's cells with parsers that note every bad cell instead of stopping at the first.

    With a ``scope``, units and people outside it read as unknown, as on the pages
    (``OrgCells`` reads them).
    """

    def __init__(self, record: dict[str, str], scope: frozenset[int] | None = None) -> None:
        self.record = record
        self.scope = scope
        self.errors: list[tuple[str, str]] = []

    def unit_in_scope(self, unit_id: int | None) -> bool:
        return self.scope is None or unit_id in self.scope

    def fail(self, column: str, problem: str) -> None:
        self.errors.append((column, problem))

    def check(self) -> None:
        if self.errors:
            raise RowInvalid(self.errors)

    def text(self, column: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = self.record.get(column, "").strip()
        if required and not value:
            self.fail(column, _("a value is required"))
        elif max_length is not None and len(value) > max_length:
            self.fail(column, _("longer than %(n)d characters") % {"n": max_length})
        return value

    def external_id(self, column: str, *, required: bool = True, max_length: int = MAX_ID) -> str:
        """An id from another system: up to ``max_length`` printable characters, surrounding
        spaces stripped (a UUID, ``CRM-2026-000123``, ``拜访/001`` …)."""
        value = self.text(column, required=required, max_length=max_length)
        if value and not value.isprintable():
            self.fail(
                column,
                _(
                    "an id may hold printable characters only, not line breaks, tabs or other "
                    "control characters"
                ),
            )
        return value

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return parse_date(value)
        except _TimeInDate:
            self.fail(
                column,
                _("%(value)s has a time of day; the column takes a date YYYY-MM-DD")
                % {"value": value},
            )
        except ValueError:
            self.fail(
                column,
                _(
                    "%(value)s is not a date YYYY-MM-DD (also YYYY/M/D, YYYY.M.D, YYYY年M月D日, "
                    "an Excel date)"
                )
                % {"value": value},
            )
        return None

    def datetime(self, column: str, *, required: bool = True) -> dt.datetime | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return parse_datetime(value)
        except _NoTime:
            self.fail(
                column,
                _("%(value)s has no time of day; give a date and time YYYY-MM-DD HH:MM")
                % {"value": value},
            )
        except _ClockChange:
            self.fail(
                column,
                _("%(value)s falls in a clock change; give an offset such as +08:00")
                % {"value": value},
            )
        except ValueError:
            self.fail(
                column,
                _(
                    "%(value)s is not a date and time YYYY-MM-DD HH:MM[:SS] (also with T, "
                    "fractions of a second, an offset Z or +08:00, an Excel date and time)"
                )
                % {"value": value},
            )
        return None

    def month(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError:
            self.fail(
                column,
                _("%(value)s is not a month YYYY-MM (also YYYY/M, YYYY年M月)") % {"value": value},
            )
            return None

    def _bounded(self, column: str, number: Decimal) -> Decimal | None:
        if abs(number) >= MAX_VALUE:
            self.fail(column, _("the number is too large"))
            return None
        return number

    def decimal(self, column: str, *, required: bool = True) -> Decimal | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            number = parse_number(value)
        except ValueError:
            number = None
        if number is None or not number.is_finite():
            self.fail(column, _("%(value)s is not a number") % {"value": value})
            return None
        return self._bounded(column, number)

    def amount(
        self, column: str, *, required: bool = True, allow_negative: bool = False
    ) -> Decimal | None:
        """A sum of money as offices write it: ``1,234.50``, ``¥1,234.5``, ``1234元``."""
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            number = parse_amount(value)
        except ValueError:
            self.fail(
                column,
                _("%(value)s is not an amount (such as 1234.50, 1,234.50, ¥1,234.50 or 1234元)")
                % {"value": value},
            )
            return None
        if number < 0 and not allow_negative:
            self.fail(column, _("must not be negative"))
            return None
        return self._bounded(column, number)

    def choice(
        self,
        column: str,
        choices: Mapping[str, Any],
        *,
        required: bool = True,
        labels: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> str:
        """One of ``choices`` (value → label): by its value or its label in English or Chinese
        (case and width ignored), or by one of ``labels``' extra spellings (spelling → value).
        Returns the value; "" when the cell is empty or unknown (noted). ``what`` names the
        thing in the message ("unknown unit kind …"); the column by default."""
        value = self.text(column, required=required)
        if not value:
            return ""
        found = choose(value, choices, labels)
        if found is None:
            self.fail(
                column,
                _("unknown %(what)s %(value)s; use one of %(choices)s")
                % {
                    # the column's word in the active language where the catalogue has it
                    "what": what or _(column.replace("_", " ")),
                    "value": value,
                    "choices": ", ".join(str(v) for v in choices),
                },
            )
            return ""
        return found


def check_name(c: Cells, column: str, value: str) -> None:
    """Note a problem with ``value`` in ``column`` as the name of a person or customer."""
    problem = name_problem(value)
    if problem is not None:
        c.fail(column, problem)
