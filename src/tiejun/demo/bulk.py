"""Write the demo's big tables fast: the rows ``bulk_create`` would write, streamed.

``bulk_create`` assembles a fresh multi-row statement for every batch, placeholder by
placeholder (on SQLite a batch holds at most 999 values): for the demo's tens of thousands of
rows that assembly, not the database, was most of the build. Here each value still goes through
its field's ``pre_save`` and ``get_db_prep_save``, exactly as ``bulk_create`` sends it; SQLite
steps one prepared statement per row, PostgreSQL takes the rows by ``COPY`` (three times faster
than ``executemany`` there, five than ``bulk_create``). No ids come back: a caller that needs
them reads them by a natural key (``ids_by``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

BATCH = 5000  # rows prepared at a time


def insert_rows(objs: Sequence[Model], *, batch_size: int = BATCH, dated: bool = False) -> int:
    """Insert unsaved ``objs`` (all of one model); returns how many. With ``dated`` a
    creation stamp (``auto_now_add``) the caller set is kept: a history written after the fact."""
    if not objs:
        return 0
    opts = objs[0]._meta
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: a million values each ask it for ops
    with_pk = objs[0].pk is not None  # a UUID key set by the caller; else the database numbers
    fields = [
        f for f in opts.local_concrete_fields if not f.generated and (with_pk or not f.primary_key)
    ]
    quote = db.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)  # concrete: it has one

    kept = {
        f.attname for f in fields if dated and getattr(f, "auto_now_add", False)
    }  # set by the caller: pre_save would stamp them with now

    def value(f: Any, obj: Model) -> Any:
        if f.attname in kept and getattr(obj, f.attname) is not None:
            return getattr(obj, f.attname)
        return f.pre_save(obj, True)

    def rows() -> Iterator[list[Any]]:
        for obj in objs:
            # As bulk_create: a relation assigned before its row was written takes its id now
            # (Django's own step, which the stubs do not declare).
            prepare = obj._prepare_related_fields_for_save  # type: ignore[attr-defined]
            prepare(operation_name="insert_rows")
            yield [f.get_db_prep_save(value(f, obj), db) for f in fields]

    # Names from the model's own metadata, quoted; the values go as parameters.
    with db.cursor() as cursor:
        if db.vendor == "postgresql":  # COPY: a server takes a stream of rows fastest
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:  # SQLite, in process: one statement stepped once per row
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            batch = rows()
            while chunk := list(islice(batch, batch_size)):
                cursor.executemany(sql, chunk)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias
    return len(objs)


def ids_by(objs: Sequence[Model], key: str) -> dict[Any, int]:
    """Give ``objs`` (just inserted by ``insert_rows`` into a table that held no other rows)
    their ids, read back by the unique ``key``; returns key → id."""
    if not objs:
        return {}
    model = type(objs[0])
    ids: dict[Any, int] = dict(model._default_manager.values_list(key, "pk").iterator())
    for obj in objs:
        obj.pk = ids[getattr(obj, key)]
    return ids


def insert_values(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` of plain values for the fields ``names`` (attribute names, ``*_id`` for
    a relation) of ``model``, no model instance built: for the tallest tables, where building
    instances was most of the cost. Each value still goes through its field's
    ``get_db_prep_save``; ``pre_save`` does not run, so give every stamp yourself."""
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]
    by_attname = {f.attname: f for f in model._meta.local_concrete_fields}
    fields = [by_attname[name] for name in names]
    preps = [f.get_db_prep_save for f in fields]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)

    def prepared() -> Iterator[list[Any]]:
        for row in rows:
            yield [prep(v, db) for prep, v in zip(preps, row, strict=True)]

    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in prepared():
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            batch = prepared()
            while chunk := list(islice(batch, BATCH)):
                cursor.executemany(sql, chunk)
    return len(rows)
