"""Read an uploaded spreadsheet (CSV in UTF-8, UTF-8 with BOM, UTF-16 with BOM or GB18030; or
XLSX) into text cells.

Every cell comes back as stripped text, so the import kinds parse one representation whatever
the file was: an XLSX date cell reads as ``YYYY-MM-DD``, a whole number ``3.0`` as ``3``.

Memory stays bounded whatever a file claims: an XLSX ``<dimension>`` is ignored (a sheet that
declares ``A1:XFD20000`` for one far cell would otherwise be padded to 300 million cells), rows are
kept only as wide as the header, and the header, the rows, the cells and the unpacked workbook
each have a ceiling below. The ceilings are the same for CSV and XLSX, and a file past one is
refused before any row is checked, with the limit in the message.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast, overload

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
FILE = "file"  # the column named for problems of the whole file

MAX_FILE_BYTES = 200 * 1024 * 1024  # bytes of a file, CSV or XLSX (the upload page's limit too)
MAX_ROWS = 1_000_000  # data rows below the header; a 200,000-row file fits five times over
MAX_COLUMNS = 100  # header columns; every import kind has far fewer
MAX_CELL = 32_767  # characters in one cell: Excel's own limit
MAX_UNPACKED = 1024 * 1024 * 1024  # bytes an XLSX may unpack to (a zip bomb is not a workbook)
XLSX_LAST_ROW = 1_048_576  # no spreadsheet has rows past this, whatever its XML says


def _english() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).lower().startswith("en")


@dataclass(frozen=True)
class RowError:
    """One problem of one row; ``row`` counts the header as row 1 (0: the file as a whole).

    ``column`` is the kind's own (English) column; ``label`` how the file spelled its header
    (``金额`` for ``amount``), shown instead of the column in any language but English.
    """

    row: int
    column: str
    problem: str
    label: str = field(default="", compare=False)

    @property
    def shown_column(self) -> str:
        """The column as a person reading the active language knows it."""
        return self.label if self.label and not _english() else self.column

    def __str__(self) -> str:
        """``row 7: amount: …`` in English (the CLI's contract), ``第 7 行：金额：…`` in Chinese."""
        values = {"row": self.row, "column": self.shown_column, "problem": self.problem}
        if self.row <= 0:
            return _("%(column)s: %(problem)s") % values
        return _("row %(row)d: %(column)s: %(problem)s") % values


class ReadError(Exception):
    """The file cannot be read as a table; ``errors`` say why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Table:
    """The header (row 1) and the non-blank rows below it as ``(row number, cells)``.

    Rows hold at most one cell per header column; ``overflow`` maps a row number to the first
    column (1-based) right of the header that holds a value.
    """

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    overflow: dict[int, int] = field(default_factory=dict)

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Each row as ``{column: text}``; cells past the header are the reader's business."""
        out = []
        for number, cells in self.rows:
            padded = cells + [""] * (len(self.header) - len(cells))
            out.append((number, dict(zip(self.header, padded, strict=False))))
        return out


# --- issue 12 part D: a set-based kind reads the cells by position -----------------------------


class Records(Sequence[tuple[int, dict[str, str]]]):
    """The table's rows as ``records()`` gives them, without a dict per row held for the run.

    Iterating builds each row's dict on the way (what any kind may keep doing); a set-based
    kind reads ``rows`` with ``positions`` (column → position; every row is padded to the header)
    and may ``release`` the rows once it has parsed them, to free their memory.
    """

    def __init__(self, table: Table) -> None:
        self.header = list(table.header)
        self.rows = table.rows
        self.positions = {column: i for i, column in enumerate(self.header)}
        self._count = len(table.rows)
        width = len(self.header)
        for _number, cells in self.rows:
            if len(cells) < width:
                cells += [""] * (width - len(cells))

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> tuple[int, dict[str, str]]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, dict[str, str]]]: ...

    def __getitem__(
        self, i: int | slice
    ) -> tuple[int, dict[str, str]] | list[tuple[int, dict[str, str]]]:
        if isinstance(i, slice):
            return [(n, dict(zip(self.header, c, strict=False))) for n, c in self.rows[i]]
        number, cells = self.rows[i]
        return number, dict(zip(self.header, cells, strict=False))

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        header = self.header
        for number, cells in self.rows:
            yield number, dict(zip(header, cells, strict=False))

    def release(self) -> None:
        """Drop the rows (the count stays): the kind holds what it parsed from them."""
        self.rows = []

    def drain(self) -> Iterator[tuple[int, list[str]]]:
        """The rows in order, each let go of once read (then ``release``d): a kind that parses
        the whole file holds its parse, not the parse and the rows."""
        rows = self.rows
        rows.reverse()
        while rows:
            yield rows.pop()
        self.release()


def is_xlsx(data: bytes, filename: str = "") -> bool:
    """XLSX is a zip archive: decided by the content; the name only breaks a tie for empty data."""
    if data.startswith(XLSX_MAGIC):
        return True
    return not data and filename.lower().endswith(".xlsx")


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: a BOM names UTF-8 or UTF-16 (Excel's "Unicode text"); else UTF-8 if it
    decodes, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
    assert failure is not None
    line = data[: failure.start].count(b"\n") + 1
    raise ReadError(
        [
            RowError(
                line,
                FILE,
                _("the file is not text in UTF-8 or GB18030 (save it as CSV UTF-8 or as XLSX)"),
            )
        ]
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value).strip()


def _delimiter(text: str) -> str:
    """A comma, unless the header row has none but tabs (Excel's "Unicode text") or semicolons."""
    header = text.split("\n", 1)[0]
    if "," not in header:
        for delimiter in ("\t", ";"):
            if delimiter in header:
                return delimiter
    return ","


def _read_csv(data: bytes) -> Table:
    text = decode_text(data).replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    read = 0

    def records() -> Iterable[list[str]]:
        nonlocal read
        for record in reader:
            read += 1
            yield record

    try:
        # Every CSV cell is text already: ``str.strip`` is ``_cell_text`` for it, at C speed
        # (issue 12 part D).
        return _collect(records(), cast(Callable[[object], str], str.strip))
    except csv.Error as exc:
        raise ReadError(
            [RowError(read + 1, FILE, _("not a valid CSV row (%(why)s)") % {"why": exc})]
        ) from None


def _unreadable_xlsx() -> ReadError:
    return ReadError([RowError(0, FILE, _("the file is not a readable XLSX workbook"))])


def _read_xlsx(data: bytes) -> Table:
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _unreadable_xlsx() from None
    if unpacked > MAX_UNPACKED:
        raise ReadError(
            [
                RowError(
                    0,
                    FILE,
                    _("the workbook unpacks to more than %(n)d MB; split it into smaller files")
                    % {"n": MAX_UNPACKED // (1024 * 1024)},
                )
            ]
        )
    # Here, not at the top, for start-up time (docs/architecture.md): every process loads this
    # module with the import kinds, and only an .xlsx upload needs openpyxl (≈ 0.1 s to import).
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:
        raise _unreadable_xlsx() from None
    try:
        if not workbook.worksheets:
            return _collect([], _cell_text)
        sheet = workbook.worksheets[0]
        # The declared dimension is the file's word, not its content: without it each row is as
        # wide as its own last cell and the rows stop at the last one in the XML.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        return _collect(sheet.iter_rows(values_only=True), _cell_text)
    except (ReadError, MemoryError):
        raise
    except Exception:
        raise _unreadable_xlsx() from None
    finally:
        workbook.close()


def _too_many(what: str, limit: int, row: int = 0) -> ReadError:
    messages = {
        "bytes": _("the file is larger than %(n)d MB; split it into smaller files"),
        "rows": _("the file has more than %(n)d rows below the header; split it"),
        "columns": _("the header has more than %(n)d columns"),
        "cell": _("a cell holds more than %(n)d characters"),
    }
    return ReadError([RowError(row, FILE, messages[what] % {"n": limit})])


def _first_value_after(values: Sequence[object], width: int, text: Callable[[object], str]) -> int:
    """The 1-based column of the first value right of ``width``, or 0."""
    tail = values[width:]
    if tail.count(None) == len(tail):  # the usual case, decided at C speed
        return 0
    for index, value in enumerate(tail, start=width + 1):
        if value is not None and text(value):
            return index
    return 0


def _texts(values: Sequence[object], text: Callable[[object], str], row: int) -> list[str]:
    cells = list(map(text, values))
    if cells and max(map(len, cells)) > MAX_CELL:
        raise _too_many("cell", MAX_CELL, row)
    return cells


def _collect(rows: Iterable[Sequence[object]], text: Callable[[object], str]) -> Table:
    """Build the table from raw rows (row 1 first), keeping at most the header's width of each."""
    header: list[str] = []
    table = Table(header=header)
    for number, values in enumerate(rows, start=1):
        if number == 1:
            width = max(
                (i + 1 for i, value in enumerate(values) if value is not None and text(value)),
                default=0,
            )
            if width > MAX_COLUMNS:
                raise _too_many("columns", MAX_COLUMNS, 1)
            header += [c.lstrip("\ufeff").strip().lower() for c in _texts(values[:width], text, 1)]
            continue
        width = len(header)
        cells = _texts(values[:width], text, number)
        cells += [""] * (width - len(cells))
        beyond = _first_value_after(values, width, text)
        if number > MAX_ROWS + 1:
            # Blank rows past the limit are formatting; a row past the last row any spreadsheet
            # has exists only in a crafted file (openpyxl fills the gap up to it).
            if beyond or any(cells) or number > XLSX_LAST_ROW:
                raise _too_many("rows", MAX_ROWS, number)
            continue
        if any(cells):
            table.rows.append((number, cells))
        if beyond:
            table.overflow[number] = beyond
    if not header and not table.rows and not table.overflow:
        raise ReadError([RowError(0, FILE, _("the file is empty: it needs a header row"))])
    return table


def read_table(data: bytes, filename: str = "") -> Table:
    """Read ``data`` (CSV or XLSX, told apart by content) into a :class:`Table`.

    Raises :class:`ReadError` when the file is empty, undecodable, not a table or past one of the
    ceilings (:data:`MAX_FILE_BYTES`, :data:`MAX_ROWS`, :data:`MAX_COLUMNS`, :data:`MAX_CELL`,
    :data:`MAX_UNPACKED`). Blank rows are skipped
    (row numbers still count them); cells past the last header column are kept out of the rows
    and noted in ``overflow``. A ``MemoryError`` is the server's problem, never the file's: it
    propagates.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _too_many("bytes", MAX_FILE_BYTES // (1024 * 1024))
    return _read_xlsx(data) if is_xlsx(data, filename) else _read_csv(data)


def check_header(
    table: Table,
    columns: tuple[str, ...],
    spelled: list[str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    optional: tuple[str, ...] = (),
) -> list[RowError]:
    """Unknown, duplicate and missing columns of the header, each an error of row 1.

    ``table.header`` holds the columns the header cells name; ``spelled`` the cells as the file
    spelled them (the label of an unknown or duplicate column), ``labels`` the label of a
    missing column. Two spellings of one column (``code`` and ``编码``) are a duplicate.
    ``optional`` columns are known but may be missing.
    """
    errors: list[RowError] = []
    seen: set[str] = set()
    spelled = spelled or table.header
    for index, (name, spelling) in enumerate(zip(table.header, spelled, strict=False), start=1):
        if not name:
            errors.append(
                RowError(1, _("column %(n)d") % {"n": index}, _("the column has no name"))
            )
        elif name not in columns and name not in optional:
            errors.append(RowError(1, name, _("unknown column"), spelling))
        elif name in seen:
            errors.append(RowError(1, name, _("duplicate column"), spelling))
        seen.add(name)
    labels = labels or {}
    errors += [
        RowError(1, c, _("missing column"), labels.get(c, "")) for c in columns if c not in seen
    ]
    return errors


def extra_cells(table: Table) -> list[RowError]:
    """Rows with text in cells to the right of the last header column."""
    return [
        RowError(
            number,
            _("column %(n)d") % {"n": column},
            _("a value in a column without a header"),
        )
        for number, column in sorted(table.overflow.items())
    ]
