"""Run an import: read the file, check and apply every row, all or nothing."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.org.models import Person
from tiejun.org.selectors import is_admin, led_unit_ids

from .kinds import KINDS, Kind
from .kinds.cells import CREATED, UPDATED, Cells, Context, RowInvalid
from .readers import FILE, ReadError, RowError, check_header, extra_cells, read_table

__all__ = ["KINDS", "ImportResult", "RowError", "run_import"]

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """What ``tiejun import`` prints on success."""
        out: dict[str, Any] = {"kind": self.kind, "created": self.created, "updated": self.updated}
        if self.dry_run:
            out["dry_run"] = True
        return out


def run_import(
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> ImportResult:
    """Import ``data`` (CSV or XLSX) as ``kind``: every row or none.

    Each row is applied in its own savepoint, so every bad row is reported, not only the first;
    if any row is bad, or on a dry run, the whole transaction is rolled back and nothing is
    written. Problems come back as ``errors``; this function raises nothing a user can cause.
    """
    result = ImportResult(kind=kind, dry_run=dry_run)
    spec = KINDS.get(kind)
    if spec is None:
        result.errors.append(
            RowError(
                0,
                "kind",
                _("unknown import kind %(kind)s; use one of %(choices)s")
                % {"kind": kind, "choices": ", ".join(KINDS)},
            )
        )
        return result
    try:
        table = read_table(data, filename)
    except ReadError as exc:
        result.errors = exc.errors
        return result
    table.header = [spec.header_name(name) for name in table.header]
    result.errors = check_header(table, spec.columns)
    if result.errors:
        return result
    result.errors = extra_cells(table)
    context = Context(by=by, reason=reason.strip(), today=today, scope=_scope(by, today))
    try:
        _apply(spec, table.records(), context, result)
    except Exception as exc:  # a failure outside any row (the database went away, …)
        log.exception("import of %s failed", kind)
        result.errors.append(RowError(0, FILE, _("the import failed: %(why)s") % {"why": exc}))
    result.errors.sort(key=lambda e: e.row)
    if result.errors:
        result.created = result.updated = 0
    return result


def _scope(by: Person | None, today: dt.date | None) -> frozenset[int] | None:
    """What a file may touch: everything for admin and the CLI, else the subtree ``by`` leads."""
    if by is None or is_admin(by):
        return None
    return frozenset(led_unit_ids(by, today, coordinators=False))


def _apply(
    spec: Kind, records: list[tuple[int, dict[str, str]]], context: Context, result: ImportResult
) -> None:
    if spec.order is not None:
        records = spec.order(records)
    bad_rows = {e.row for e in result.errors}
    with transaction.atomic():
        if spec.prepare is not None:
            spec.prepare(records, context)
        for number, record in records:
            if number in bad_rows:
                continue
            try:
                with transaction.atomic():
                    outcome = spec.apply(Cells(record, context.scope), context)
            except RowInvalid as exc:
                result.errors += [RowError(number, col, problem) for col, problem in exc.errors]
            except TiejunError as exc:
                result.errors.append(RowError(number, spec.column_for(exc.field), str(exc)))
            except Exception as exc:
                log.exception("import of %s: row %d failed", spec.name, number)
                result.errors.append(
                    RowError(
                        number,
                        spec.default_column,
                        _("the row could not be saved: %(why)s") % {"why": exc},
                    )
                )
            else:
                result.created += outcome == CREATED
                result.updated += outcome == UPDATED
        if result.errors or result.dry_run:
            transaction.set_rollback(True)
