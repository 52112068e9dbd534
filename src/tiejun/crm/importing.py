"""What the set-based import kinds (deals, customers, visits) share: in their first phase the
people a file names with their memberships, customers by code, who may see which customer, and
the fast reading of the cells in their canonical form; in their second the rows written as
values (``Inserter``), with no model instance per row.

One query per table whatever the number of rows (in chunks of ``CHUNK`` keys, the most a
statement's parameters allow on every engine); no lock is taken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.access import ADMIN_ROLE
from tiejun.org.models import LEADER_ROLES, Membership, Person, Role, UnitClosure

if TYPE_CHECKING:
    from tiejun.imports.readers import Records

CHUNK = 10_000

T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# More keys than this go to the database as one parameter (a JSON array on SQLite, an array on
# PostgreSQL) instead of one parameter each (a query per ``CHUNK``): the per-parameter work of an
# ``__in`` lookup costs more than the query, and no temporary table (no write) is needed.
MANY_KEYS = 2_000


def rows_in(qs: QuerySet[Any], field_name: str, keys: Iterable[Any], *columns: str) -> list[Any]:
    """``qs.filter(<field>__in=keys).values_list(*columns)``: one query per ``CHUNK`` keys, or
    one past ``MANY_KEYS`` keys (``filter_in``). Unordered unless ``qs`` orders explicitly (a
    model's default ordering would only sort on the server)."""
    if not qs.query.order_by:
        qs = qs.order_by()
    out: list[Any] = []
    for part in filter_in(qs, field_name, keys):
        out += part.values_list(*columns)
    return out


def filter_in(qs: QuerySet[Any], field_name: str, keys: Iterable[Any]) -> list[QuerySet[Any]]:
    """``qs.filter(<field>__in=keys)`` as querysets: one per ``CHUNK`` keys, or past
    ``MANY_KEYS`` keys one, the keys in a single array parameter."""
    unique = {k for k in keys if k is not None}
    key_field = _key_field(qs.model, field_name) if len(unique) > MANY_KEYS else None
    if key_field is not None and connection.vendor in ("sqlite", "postgresql"):
        return [qs.filter(**{f"{field_name}__in": _keys_array(key_field, unique)})]
    return [qs.filter(**{f"{field_name}__in": batch}) for batch in chunks(sorted(unique))]


_KEY_TYPES = {"text": "text", "int": "bigint", "uuid": "uuid"}


def _key_field(model: type[models.Model], field_name: str) -> models.Field[Any, Any] | None:
    """The field a key set matches, when its keys can go in one array (text, integer or UUID
    columns of the model itself)."""
    if "__" in field_name:
        return None
    found = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    if not isinstance(found, models.Field):
        return None
    target = found.target_field if found.is_relation else found  # type: ignore[attr-defined]
    if isinstance(target, models.UUIDField | models.CharField | models.TextField):
        return target  # type: ignore[no-any-return]
    if isinstance(target, models.IntegerField | models.AutoField):
        return target  # type: ignore[no-any-return]
    return None


def _keys_array(key_field: models.Field[Any, Any], keys: set[Any]) -> RawSQL:
    """The keys as a subquery of one parameter: ``json_each`` of a JSON array on SQLite,
    ``unnest`` of a typed array on PostgreSQL."""
    values: list[Any]
    if isinstance(key_field, models.UUIDField):
        # As ``UUIDField.get_db_prep_value``: the value, or its hex where no UUID type exists.
        kind = "uuid"
        native = connection.features.has_native_uuid_field
        values = list(keys) if native else [k.hex for k in keys]
    else:
        kind = "text" if isinstance(key_field, models.CharField | models.TextField) else "int"
        values = list(keys)
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{_KEY_TYPES[kind]}[])", (values,))  # noqa: S611
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def temp_fill(table: str, ddl: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Create the temporary ``table`` (``ddl``: its columns) if the connection has none, empty
    it, and insert ``rows`` (analysed on PostgreSQL): how a set of values meets a table in one
    statement, inside the writing transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({ddl})")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a fixed name
        insert_rows(table, columns, rows)
        if connection.vendor == "postgresql":  # its size, for the plans that join it
            cursor.execute(f"ANALYZE {table}")


@dataclass
class Staff:
    """A person a file names, with every membership (valid from, valid to, unit, role)."""

    id: int
    employee_no: str
    name: str
    is_superuser: bool = False
    spans: list[tuple[dt.date, dt.date | None, int, str]] = field(default_factory=list)

    def membership_on(self, day: dt.date) -> tuple[int, str] | None:
        """(unit id, role) on ``day``, or None."""
        for start, end, unit_id, role in self.spans:
            if start <= day and (end is None or end >= day):
                return unit_id, role
        return None

    def unit_on(self, day: dt.date) -> int | None:
        found = self.membership_on(day)
        return found[0] if found is not None else None

    def unit_or_problem(
        self, day: dt.date, column: str, problems: list[tuple[str, str]]
    ) -> int | None:
        """The unit on ``day``; without one, the row's problem is noted against ``column``."""
        unit_id = self.unit_on(day)
        if unit_id is None:
            problems.append(
                (
                    column,
                    _("%(name)s did not belong to any unit on %(day)s")
                    % {"name": self.name, "day": day.isoformat()},
                )
            )
        return unit_id

    def current_unit(self) -> int | None:
        """The unit of the open membership, else of the latest (what ``OrgCells`` checks)."""
        open_spans = [s for s in self.spans if s[1] is None]
        spans = open_spans or sorted(self.spans, key=lambda s: s[0], reverse=True)
        return spans[0][2] if spans else None

    def in_scope(self, scope: frozenset[int] | None) -> bool:
        return scope is None or self.current_unit() in scope


def staff(
    *, employee_nos: Iterable[str] = (), ids: Iterable[int] = ()
) -> tuple[dict[str, Staff], dict[int, Staff]]:
    """The people of these employee numbers and ids: two queries (people, memberships)."""
    people: dict[int, Staff] = {}
    columns = ("id", "employee_no", "name", "is_superuser")
    for pk, number, name, superuser in [
        *rows_in(Person.objects.all(), "employee_no", employee_nos, *columns),
        *rows_in(Person.objects.all(), "id", ids, *columns),
    ]:
        people[pk] = Staff(pk, number, name, superuser)
    for person_id, start, end, unit_id, role in rows_in(
        Membership.objects.order_by("person_id", "valid_from", "id"),
        "person_id",
        people,
        "person_id",
        "valid_from",
        "valid_to",
        "unit_id",
        "role",
    ):
        people[person_id].spans.append((start, end, unit_id, role))
    return {p.employee_no: p for p in people.values()}, people


@dataclass
class Sight:
    """Who may see which customer on one day: the rule of ``customer_visible``, for many people
    and customers at once (``sight`` reads it)."""

    admins: set[int]
    led: dict[int, set[int]]  # person id → the units they lead (their subtree)
    owner_unit: dict[int, int | None]  # owner id → their unit on the day

    def visible(self, person_id: int | None, owner_id: int | None) -> bool:
        if person_id is None or owner_id is None or owner_id == person_id:
            return True
        if person_id in self.admins:
            return True
        unit = self.owner_unit.get(owner_id)
        return unit is not None and unit in self.led.get(person_id, set())


def sight(people: Iterable[Staff], owner_ids: Iterable[int], day: dt.date) -> Sight:
    """What ``people`` see of customers owned by ``owner_ids`` on ``day``: two queries (the
    owners' memberships on the day, the subtrees the people lead)."""
    roles = LEADER_ROLES | {Role.COORDINATOR}
    admins: set[int] = set()
    leads: dict[int, int] = {}
    for person in people:
        found = person.membership_on(day)
        if person.is_superuser or (found is not None and found[1] == ADMIN_ROLE):
            admins.add(person.id)
        elif found is not None and found[1] in roles:
            leads[person.id] = found[0]
    owner_unit: dict[int, int | None] = dict.fromkeys(owner_ids)
    for person_id, unit_id in rows_in(
        Membership.objects.on(day), "person_id", owner_unit, "person_id", "unit_id"
    ):
        owner_unit[person_id] = unit_id
    below: dict[int, set[int]] = defaultdict(set)
    for ancestor, descendant in rows_in(
        UnitClosure.objects.all(),
        "ancestor_id",
        set(leads.values()),
        "ancestor_id",
        "descendant_id",
    ):
        below[ancestor].add(descendant)
    led = {person_id: below[unit_id] for person_id, unit_id in leads.items()}
    return Sight(admins=admins, led=led, owner_unit=owner_unit)


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values as the database takes them) into ``table``: PostgreSQL by
    ``COPY``, SQLite by one prepared statement stepped per row; no ids come back."""
    if not rows:
        return
    q = connection.ops.quote_name
    names = ", ".join(q(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {q(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {q(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608


# --- the canonical form of a cell, read directly ------------------------------------------------
# Each answers the value only for the one plain spelling of a cell that the ``Cells`` parsers read
# the same way, and None for anything else: the caller then parses the row with ``Cells``, so every
# other accepted spelling and every message stay the parsers' own.


def cell_rows(records: Records, columns: tuple[str, ...]) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each row's number and its cells of ``columns``, in that order; the rows are let go of
    as they are read (``Records.drain``)."""
    cells_of = itemgetter(*(records.positions[c] for c in columns))
    for number, cells in records.drain():
        yield number, cells_of(cells)


def plain_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` as a date; None for any other text."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.isascii():
        return None
    if not (text[:4].isdigit() and text[5:7].isdigit() and text[8:].isdigit()):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def plain_moment(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM[:SS]`` (or with ``T``) as an aware date-time in ``tz``, on a day
    without a clock change; None for any other text."""
    size = len(text)
    if (size != 16 and size != 19) or not text.isascii():
        return None
    if text[4] != "-" or text[7] != "-" or text[10] not in " T" or text[13] != ":":
        return None
    if size == 19 and text[16] != ":":
        return None
    try:  # every other character must be a digit: ISO's own reading checks it
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if not _steady(tz, naive.date()):
        return None
    return naive.replace(tzinfo=tz)


@functools.lru_cache(maxsize=4096)
def _steady(tz: dt.tzinfo, day: dt.date) -> bool:
    """Whether ``tz`` keeps one offset all through ``day`` (no local time skipped or repeated)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    return start.utcoffset() == end.utcoffset() == start.replace(fold=1).utcoffset()


def plain_decimal(text: str, *, signed: bool = False) -> Decimal | None:
    """Digits with at most one decimal point inside them (``-`` first when ``signed``) as a
    decimal; None for any other text (thousands separators, exponents, currency signs …)."""
    digits = text[1:] if signed and text[:1] == "-" else text
    if not digits or not digits.isascii():
        return None
    whole, _point, fraction = digits.partition(".")
    if not whole.isdigit() or (_point and not fraction.isdigit()):
        return None
    return Decimal(text)


# --- rows written as values ---------------------------------------------------------------------


def db_moment(value: dt.datetime) -> Any:
    """An aware date-time as the database takes it (``ops.adapt_datetimefield_value``): SQLite
    stores text in UTC, PostgreSQL takes the value."""
    return moment_adapter()(value)


def moment_adapter() -> Callable[[dt.datetime], Any]:
    """``db_moment`` for the connection's engine, looked up once for many values."""
    if connection.vendor != "sqlite":
        return lambda value: value
    utc = dt.UTC
    return lambda value: str(value.astimezone(utc).replace(tzinfo=None))


# SQLite's page cache while an import writes (KiB): the tables and their indexes a large file
# touches fit in it, so an insert does not read back pages the cache dropped (the default is 2 MB).
SQLITE_CACHE_KIB = 128 * 1024


@contextlib.contextmanager
def bulk_writing() -> Iterator[None]:
    """Around the writes of a large import: on SQLite a page cache the size of what it touches
    (``SQLITE_CACHE_KIB``), back to the connection's own afterwards; nothing elsewhere."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


class Inserter:
    """Insert rows of values into ``model``'s table: the caller gives ``columns`` (attnames, values
    as ``insert_rows`` takes them), every other column gets its field's default as a model
    instance would (``auto_now``/``auto_now_add``: now), read once; the auto id is the database's.
    """

    def __init__(self, model: type[models.Model], columns: tuple[str, ...]) -> None:
        now = timezone.now()
        names = {f.attname: str(f.column) for f in model._meta.concrete_fields}
        rest: list[str] = []
        values: list[Any] = []
        for f in model._meta.concrete_fields:
            if f.attname in columns or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:  # a programming error: a column without a default left out
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
            rest.append(names[f.attname])
            values.append(f.get_db_prep_save(value, connection))
        self.table = model._meta.db_table
        self.columns = tuple(names[c] for c in columns) + tuple(rest)
        self.tail = tuple(values)

    def insert(self, rows: Iterable[tuple[Any, ...]]) -> None:
        tail = self.tail
        insert_rows(self.table, self.columns, [(*row, *tail) for row in rows])
