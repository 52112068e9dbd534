"""What every import kind shares: one row's cells and their parsers, the context of the run,
and what applying a row answers.

Domain-free: the cells that name a unit or a person are read by ``tiejun.org.imports.OrgCells``;
a kind names the cells class its rows need (``Kind.cells``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tiejun.text import name_problem

if TYPE_CHECKING:
    from tiejun.org.models import Person

CREATED = "created"


UPDATED = "updated"


Outcome = str | None  # CREATED, UPDATED, or None when the row changed nothing


DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")


MAX_VALUE = Decimal("1e14")


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

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        match = DATE.match(value)
        try:
            if match is None:
                raise ValueError(value)
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            self.fail(column, _("%(value)s is not a date YYYY-MM-DD") % {"value": value})
            return None

    def month(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            match = _MONTH.match(value)
            if match is not None:
                return dt.date(int(match[1]), int(match[2]), 1)
            match = DATE.match(value)  # a spreadsheet turns 2026-06 into 2026-06-01
            if match is not None and int(match[3]) == 1:
                return dt.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
        self.fail(column, _("%(value)s is not a month YYYY-MM") % {"value": value})
        return None

    def decimal(self, column: str) -> Decimal | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = Decimal(value.replace(",", "").replace(" ", ""))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            self.fail(column, _("%(value)s is not a number") % {"value": value})
            return None
        if abs(number) >= MAX_VALUE:
            self.fail(column, _("the number is too large"))
            return None
        return number


def check_name(c: Cells, column: str, value: str) -> None:
    """Note a problem with ``value`` in ``column`` as the name of a person or customer."""
    problem = name_problem(value)
    if problem is not None:
        c.fail(column, problem)
