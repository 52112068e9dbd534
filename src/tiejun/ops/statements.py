"""SQL written once, run without the ORM: prepared statements for the hottest (the API token,
the check-in), and the values the ORM's converters would give for what such SQL reads.

Django sends every statement with its values written in (client-side binding), so PostgreSQL
parses and plans each one anew: for the check-in's look-ups the plan costs more than running it.
``prepared_cursor`` gives a cursor that sends the values apart (server-side binding); a statement
used ``TIEJUN_DATABASE_PREPARE_THRESHOLD`` times on a connection (psycopg's ``prepare_threshold``)
is then prepared there and only executed afterwards. Only SQL written once per process should go through it (each distinct text
is one prepared statement, at most 100 per connection). Elsewhere (SQLite, or the threshold set
to 0 for a pooler that cannot keep prepared statements) it is the ordinary cursor.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)


def prepared_cursor() -> CursorWrapper:
    """A cursor of the default connection whose statements PostgreSQL may keep prepared.

    It goes through Django's wrapper (errors become Django's, the query log and the execute
    wrappers see it) like ``connection.cursor()``."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or not db.settings_dict["OPTIONS"].get("prepare_threshold"):
        return db.cursor()
    # What connection.cursor() does, with a server-side-binding cursor on the same connection.
    from django.db.backends.postgresql.base import ServerBindingCursor  # only with psycopg 3

    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor: Any = ServerBindingCursor(db.connection)  # type: ignore[call-arg]
        return db._prepare_cursor(cursor)  # type: ignore[attr-defined,no-any-return]


def fetch_instance(
    model: type[M], cursor: CursorWrapper, fields: Sequence[str]
) -> tuple[M, tuple[Any, ...]] | None:
    """The next row of ``cursor`` as an instance of ``model`` loaded with ``fields`` (its first
    columns, in that order, as the database returns them), and the row's remaining columns; None
    when there is no row. The cheap part of ``Model.objects.raw`` for SQL whose columns are known."""
    row = cursor.fetchone()
    if row is None:
        return None
    db = cursor.db
    n = len(fields)
    values = list(row[:n])
    # What the ORM's compiler applies to a column read (SQLite: decimals, UUIDs, times).
    for i, col, convert in _converters(db, model, tuple(fields)):
        values[i] = convert(values[i], col, db)
    return model.from_db(db.alias, list(fields), values), tuple(row[n:])


# Per connection (a thread's own), per (model, fields): the columns that need converting.
_CONVERTERS: WeakKeyDictionary[BaseDatabaseWrapper, dict[Any, list[tuple[int, Col, Any]]]] = (
    WeakKeyDictionary()
)


def _converters(
    db: BaseDatabaseWrapper, model: type[Model], fields: tuple[str, ...]
) -> list[tuple[int, Col, Any]]:
    known = _CONVERTERS.setdefault(db, {})
    found = known.get((model, fields))
    if found is None:
        table = model._meta.db_table
        found = []
        for i, name in enumerate(fields):
            col = model._meta.get_field(name).get_col(table)  # type: ignore[union-attr]
            for convert in (*db.ops.get_db_converters(col), *col.get_db_converters(db)):
                found.append((i, col, convert))
        known[(model, fields)] = found
    return found


# For SQL whose columns are read without the ORM: the values the ORM's converters would give.
# SQLite keeps 15 significant digits of a decimal and returns a float (or an int); PostgreSQL a
# Decimal. A date comes back as text from SQLite.
_FROM_FLOAT = decimal.Context(prec=15).create_decimal_from_float


def decimal_from_db(value: Any, *, places: int | None = None, digits: int = 16) -> Decimal | None:
    """A decimal read from the database: a column of ``places`` decimals (``digits`` in all) is
    quantized to them as the ORM does; a sum (``places`` None) is kept as it is."""
    if value is None or isinstance(value, Decimal):
        return value
    number = _FROM_FLOAT(value)
    if places is None:
        return number
    return number.quantize(Decimal(1).scaleb(-places), context=decimal.Context(prec=digits))


def date_from_db(value: Any) -> dt.date:
    """A date read from the database (SQLite: ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
