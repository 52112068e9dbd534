"""The import engine: read a file, check every row, then write them all in one transaction.

Two ways for a kind to work (:class:`Kind`):

- **set-based** (``check`` and ``write``): phase one checks the whole file without holding a
  write lock — reading what the rows refer to with one query per table — and returns a plan;
  phase two writes the plan in one short transaction with bulk statements. For the large kinds.
- **row by row** (``apply``): each row goes through the same service a page would call, in its
  own savepoint inside one transaction, so every bad row is reported. For the small kinds,
  whose rules are the services' own.

Either way, nothing is written when any row is bad, on a dry run, or when the run is cancelled
before it writes; problems come back as ``RowError``s, never as exceptions a user can cause.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.errors import TiejunError

from .cells import CREATED, UPDATED, Cells, Context, Outcome, RowInvalid
from .readers import (
    FILE,
    ReadError,
    Records,
    RowError,
    Table,
    check_header,
    extra_cells,
    read_table,
)
from .registry import KINDS, extensions_for, scope_for

if TYPE_CHECKING:
    from tiejun.org.models import Person

log = logging.getLogger(__name__)

Record = tuple[int, dict[str, str]]  # (row number, {column: text}); the header is row 1


class Cancelled(Exception):
    """The user cancelled the run before it wrote anything."""


@dataclass
class Feedback:
    """How a run reports progress and learns it was cancelled (a terminal bar, a job row)."""

    # stage is "read", "checked" or "written"; done and total count rows.
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None
    cancelled: Callable[[], bool] = lambda: False
    # After the extensions' after-commit work changed the result's notes (``{"invited": 12}``):
    # a job stores them again, whether it recorded the result before or not.
    noted: Callable[[ImportResult], None] = lambda result: None


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    cancelled: bool = False
    # The file's spelling of each column's header (``{"amount": "金额"}``), for the errors.
    spellings: dict[str, str] = field(default_factory=dict)
    # The columns the file's header names (an optional column may be absent).
    header: tuple[str, ...] = ()
    # Row number → CREATED or UPDATED, for the rows a row-by-row kind wrote (a set-based kind
    # may fill it too); what an extension's after-commit work reads.
    outcomes: dict[int, str] = field(default_factory=dict)
    # What extensions add to the summary (``{"invited": 12}``); part of ``to_json``.
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cancelled

    def fail(self, row: int, column: str, problem: str) -> None:
        self.errors.append(RowError(row, column, problem))

    def count(self, outcome: Outcome, row: int | None = None) -> None:
        if outcome is not None and row is not None:
            self.outcomes[row] = outcome
        if outcome == CREATED:
            self.created += 1
        elif outcome == UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1

    def to_json(self) -> dict[str, Any]:
        """What ``tiejun import`` prints on success."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.dry_run:
            out["dry_run"] = True
        out.update(self.notes)
        return out


def _admin_only(person: Person) -> bool:
    return is_admin(person)


@dataclass(frozen=True)
class Kind:
    """One import kind: its exact English header, other spellings, and how its rows apply."""

    name: str
    columns: tuple[str, ...]
    default_column: str
    label: str | Promise = ""
    # Columns a file may leave out (an absent one reads as empty cells); after ``columns``.
    optional: tuple[str, ...] = ()
    # Order on the upload page and in ``tiejun import --help``.
    position: int = 100
    # Other spellings of header names (Chinese), each to its column; compared normalised.
    headers: Mapping[str, str] = field(default_factory=dict)
    # A service error's field name → the column to blame.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Who may import this kind on the page (the CLI may import every kind).
    may_import: Callable[[Person], bool] = _admin_only
    cells: type[Cells] = Cells
    # Row by row: checked and applied through the services, one savepoint each.
    apply: Callable[[Any, Context], Outcome] | None = None
    order: Callable[[list[Record]], list[Record]] | None = None
    prepare: Callable[[list[Record], Context], None] | None = None
    # Set-based: phase one (reads only; errors into the result) and phase two (in the transaction).
    # (``check`` gets a ``readers.Records``: the records, and the cells by position.)
    check: Callable[[Records, Context, ImportResult], Any] | None = None
    write: Callable[[Any, Context, ImportResult], None] | None = None

    @cached_property
    def _header_table(self) -> dict[str, str]:
        known = self.columns + self.optional
        table = {normalise_header(k): v for k, v in self.headers.items() if v in known}
        table.update((c, c) for c in known)
        return table

    def header_name(self, name: str) -> str:
        """The column a header cell names: English (any case, any width) or one of ``headers``;
        an unknown name comes back normalised."""
        key = normalise_header(name)
        return self._header_table.get(key, key)

    def chinese_header(self, column: str) -> str:
        """The first Chinese spelling of ``column`` in ``headers`` (the column if none)."""
        for spelling, name in self.headers.items():
            if name == column and not spelling.isascii():
                return spelling
        return column

    def header_row(self, language: str = "en") -> tuple[str, ...]:
        """The header of a template: the English columns, or their Chinese spellings."""
        if language.lower().startswith("zh"):
            return tuple(self.chinese_header(c) for c in self.columns)
        return self.columns

    def column_for(self, field_name: str | None) -> str:
        """The column to blame for a service error about ``field_name``."""
        name = self.aliases.get(field_name or "", field_name)
        return name if name in self.columns + self.optional else self.default_column


@dataclass(frozen=True)
class Option:
    """A choice a run of a kind offers beyond its file (``tiejun import people --invite``):
    its label on the upload page (a checkbox) and its values, each with a label (a choice beside
    the checkbox, labelled ``choice_label``, when there are several; the first is the default).
    """

    label: str | Promise
    choices: Mapping[str, str | Promise]
    choice_label: str | Promise = ""


@dataclass(frozen=True)
class Extension:
    """What a higher app adds to a kind another app owns (issue 13): optional columns with their
    other spellings, run options, a check with the file, a write in the import's transaction and
    work once it has committed.

    The kind's app never imports the extending one: the extending app calls
    ``registry.extend(kind, extension)`` from its ``AppConfig.ready``. Every hook gets the run's
    context and result; ``check`` returns a plan (any value) that ``write`` and ``after_commit``
    get back.
    """

    name: str
    columns: tuple[str, ...] = ()  # optional columns of the kind's files
    headers: Mapping[str, str] = field(default_factory=dict)  # other spellings of them
    options: Mapping[str, Option] = field(default_factory=dict)
    # Phase one, reads only: every row (``Sequence[Record]``); problems into the result.
    check: Callable[[Sequence[Record], Context, ImportResult], Any] | None = None
    # In the import's transaction, after the kind's own rows (never on a dry run).
    write: Callable[[Any, Context, ImportResult], None] | None = None
    # Once the import's transaction has committed (never on a dry run or a failed run).
    after_commit: Callable[[Any, Context, ImportResult], None] | None = None


def kind_columns(spec: Kind) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The kind's required columns and its optional ones (its own and its extensions')."""
    optional = list(spec.optional)
    for extension in extensions_for(spec.name):
        optional += [c for c in extension.columns if c not in optional]
    return spec.columns, tuple(c for c in optional if c not in spec.columns)


def kind_options(kind: str) -> dict[str, Option]:
    """The run options ``kind`` offers (its extensions')."""
    options: dict[str, Option] = {}
    for extension in extensions_for(kind):
        options.update(extension.options)
    return options


def _header_table(spec: Kind) -> dict[str, str]:
    """Every spelling of the kind's columns, its extensions' included, to the column."""
    required, optional = kind_columns(spec)
    table: dict[str, str] = {}
    for extension in extensions_for(spec.name):
        table.update(
            (normalise_header(k), v) for k, v in extension.headers.items() if v in optional
        )
    table.update(spec._header_table)
    table.update((c, c) for c in required + optional)
    return table


def optional_header(spec: Kind, language: str = "en") -> tuple[str, ...]:
    """The optional columns of ``kind`` as a template names them: English or Chinese."""
    _required, optional = kind_columns(spec)
    if not language.lower().startswith("zh"):
        return optional
    spellings = dict(spec.headers)
    for extension in extensions_for(spec.name):
        spellings.update(extension.headers)
    chinese: dict[str, str] = {}
    for spelling, column in spellings.items():
        if not spelling.isascii():
            chinese.setdefault(column, spelling)
    return tuple(chinese.get(c, c) for c in optional)


def normalise_header(name: str) -> str:
    """Full-width to half-width (NFKC), surrounding spaces gone, English lower-cased."""
    return unicodedata.normalize("NFKC", name).strip().lower()


_collector = threading.Lock()
_pauses = 0  # imports running (in any thread) with the cyclic collector paused
_was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an import runs (in any thread), back as it was
    when the last one ends. An import holds a million or more small containers (the rows, their
    cells, the plan) that form no cycles: each of the collector's full passes walks all of them
    again, ≈ 10 % of a 500,000-row import (issue 12). Reference counting still frees what the
    import lets go of; any cycle made meanwhile is collected once the collector is back."""
    global _pauses, _was_enabled
    with _collector:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _collector:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def run_import(
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
    feedback: Feedback | None = None,
    options: Mapping[str, str] | None = None,
) -> ImportResult:
    """Import ``data`` (CSV or XLSX) as ``kind``: every row or none. ``options`` are the run
    options the kind's extensions offer (``{"invite": "email"}``)."""
    feedback = feedback or Feedback()
    result = ImportResult(kind=kind, dry_run=dry_run)
    spec = KINDS.get(kind)
    if spec is None:
        result.fail(
            0,
            "kind",
            _("unknown import kind %(kind)s; use one of %(choices)s")
            % {"kind": kind, "choices": ", ".join(KINDS)},
        )
        return result
    options = dict(options or {})
    problem = check_options(kind, options)
    if problem:
        result.fail(0, "options", problem)
        return result
    # Only the set-based kinds: the row-by-row ones run services, whose model instances may
    # hold cycles, and are small.
    paused = collector_paused() if spec.check is not None else contextlib.nullcontext()
    with paused:
        return _run(
            kind, spec, data, filename, result, feedback, by, reason, today, dry_run, options
        )


def _run(
    kind: str,
    spec: Kind,
    data: bytes,
    filename: str,
    result: ImportResult,
    feedback: Feedback,
    by: Person | None,
    reason: str,
    today: dt.date | None,
    dry_run: bool,
    options: dict[str, str],
) -> ImportResult:
    try:
        table = read_table(data, filename)
    except ReadError as exc:
        result.errors = exc.errors
        return result
    records = _records(spec, table, result)
    result.rows = len(table.rows)
    feedback.progress("read", result.rows, result.rows)
    if records is None:
        return result
    context = Context(
        by=by,
        reason=reason.strip(),
        today=today,
        scope=scope_for(by, today),
        dry_run=dry_run,
        options=options,
    )
    try:
        if isinstance(records, Records):
            _set_based(spec, records, context, result, feedback)
        else:
            _row_by_row(spec, records, context, result, feedback)
    except Cancelled:
        result.cancelled = True
    except Exception as exc:  # a failure outside any row (the database went away, …)
        log.exception("import of %s failed", kind)
        result.fail(0, FILE, _("the import failed: %(why)s") % {"why": exc})
    result.errors.sort(key=lambda e: e.row)
    _label(result)
    if not result.ok:
        result.created = result.updated = result.unchanged = 0
    return result


def check_options(kind: str, options: Mapping[str, str]) -> str:
    """What is wrong with the run options, or ""."""
    offered = kind_options(kind)
    for name, value in options.items():
        option = offered.get(name)
        if option is None:
            return _("a %(kind)s import has no option %(option)s") % {"kind": kind, "option": name}
        if value not in option.choices:
            return _("%(option)s is one of %(choices)s, not %(value)s") % {
                "option": name,
                "choices": ", ".join(option.choices),
                "value": value,
            }
    return ""


def _records(spec: Kind, table: Table, result: ImportResult) -> list[Record] | Records | None:
    spelled = list(table.header)
    names = _header_table(spec)
    table.header = [names.get(normalise_header(name), normalise_header(name)) for name in spelled]
    for column, spelling in zip(table.header, spelled, strict=True):
        result.spellings.setdefault(column, spelling)
    result.header = tuple(table.header)
    required, optional = kind_columns(spec)
    missing = {c: spec.chinese_header(c) for c in required}
    result.errors = check_header(table, required, spelled, missing, optional=optional)
    if result.errors:
        return None
    result.errors = extra_cells(table)
    # An optional column the file leaves out reads as empty cells (``result.header`` keeps what
    # the file named).
    table.header += [c for c in optional if c not in result.header]
    if spec.check is not None:  # issue 12 part D: no dict per row for the large kinds
        return Records(table)
    return table.records()


def _label(result: ImportResult) -> None:
    """Give each error the file's spelling of its column (shown in Chinese: "第 7 行：金额：…")."""
    spellings = result.spellings
    if not spellings:
        return
    result.errors = [
        dataclasses.replace(e, label=spellings[e.column])
        if not e.label and e.row > 0 and e.column in spellings
        else e
        for e in result.errors
    ]


def _set_based(
    spec: Kind,
    records: Records,
    context: Context,
    result: ImportResult,
    feedback: Feedback,
) -> None:
    assert spec.check is not None and spec.write is not None
    extensions = _extensions_check(spec, records, context, result)
    plan = spec.check(records, context, result)
    feedback.progress("checked", len(records), len(records))
    if result.errors or context.dry_run:
        return
    if feedback.cancelled():
        raise Cancelled
    with transaction.atomic():
        spec.write(plan, context, result)
        _extensions_write(extensions, context, result, feedback)
        if result.errors:
            transaction.set_rollback(True)
    feedback.progress("written", len(records), len(records))


Planned = list[tuple[Extension, Any]]


def _extensions_check(
    spec: Kind, records: Sequence[Record], context: Context, result: ImportResult
) -> Planned:
    """Phase one of the kind's extensions (reads only): each one's plan."""
    return [
        (extension, extension.check(records, context, result) if extension.check else None)
        for extension in extensions_for(spec.name)
    ]


def _extensions_write(
    extensions: Planned, context: Context, result: ImportResult, feedback: Feedback
) -> None:
    """In the import's transaction, after the kind's rows: the extensions' writes, and their
    after-commit work queued for when (if) the transaction commits."""
    if result.errors or context.dry_run:
        return
    for extension, plan in extensions:
        if extension.write is not None:
            extension.write(plan, context, result)
    later = [(e, plan) for e, plan in extensions if e.after_commit is not None]
    if later:
        transaction.on_commit(partial(_after_commit, later, context, result, feedback))


def _after_commit(
    extensions: Planned, context: Context, result: ImportResult, feedback: Feedback
) -> None:
    """The import is committed whatever happens here: a failure is logged and noted."""
    for extension, plan in extensions:
        assert extension.after_commit is not None
        try:
            extension.after_commit(plan, context, result)
        except Exception as exc:
            log.exception("import of %s: %s after the commit failed", result.kind, extension.name)
            result.notes.setdefault("warnings", []).append(str(exc))
    feedback.noted(result)


def _row_by_row(
    spec: Kind,
    records: list[Record],
    context: Context,
    result: ImportResult,
    feedback: Feedback,
) -> None:
    assert spec.apply is not None
    if spec.order is not None:
        records = spec.order(records)
    bad_rows = {e.row for e in result.errors}
    extensions = _extensions_check(spec, records, context, result)
    total = len(records)
    with transaction.atomic():
        if spec.prepare is not None:
            spec.prepare(records, context)
        for done, (number, record) in enumerate(records, start=1):
            if number not in bad_rows:
                _apply_row(spec, number, record, context, result)
            if done % 500 == 0:
                feedback.progress("checked", done, total)
                if feedback.cancelled():
                    transaction.set_rollback(True)
                    raise Cancelled
        feedback.progress("checked", total, total)
        _extensions_write(extensions, context, result, feedback)
        if result.errors or result.dry_run:
            transaction.set_rollback(True)
    if result.ok and not result.dry_run:
        feedback.progress("written", total, total)


def _apply_row(
    spec: Kind, number: int, record: dict[str, str], context: Context, result: ImportResult
) -> None:
    assert spec.apply is not None
    try:
        with transaction.atomic():
            outcome = spec.apply(spec.cells(record, context.scope), context)
    except RowInvalid as exc:
        result.errors += [RowError(number, col, problem) for col, problem in exc.errors]
    except TiejunError as exc:
        result.fail(number, spec.column_for(exc.field), str(exc))
    except Exception as exc:
        log.exception("import of %s: row %d failed", spec.name, number)
        result.fail(
            number,
            spec.default_column,
            _("the row could not be saved: %(why)s") % {"why": exc},
        )
    else:
        result.count(outcome, number)
