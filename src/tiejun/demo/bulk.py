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


def insert_rows(objs: Sequence[Model], *, batch_size: int = BATCH) -> int:
    """Insert unsaved ``objs`` (all of one model); returns how many."""
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

    def rows() -> Iterator[list[Any]]:
        for obj in objs:
            # As bulk_create: a relation assigned before its row was written takes its id now
            # (Django's own step, which the stubs do not declare).
            prepare = obj._prepare_related_fields_for_save  # type: ignore[attr-defined]
            prepare(operation_name="insert_rows")
            yield [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]

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
