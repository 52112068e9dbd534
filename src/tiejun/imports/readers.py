"""Read an uploaded spreadsheet (CSV in UTF-8, UTF-8 with BOM, UTF-16 with BOM or GB18030; or
XLSX) into text cells.

Every cell comes back as stripped text, so the import kinds parse one representation whatever
the file was: an XLSX date cell reads as ``YYYY-MM-DD``, a whole number ``3.0`` as ``3``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
FILE = "file"  # the column named for problems of the whole file


@dataclass(frozen=True)
class RowError:
    """One problem of one row; ``row`` counts the header as row 1 (0: the file as a whole)."""

    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        if self.row <= 0:
            return f"{self.column}: {self.problem}"
        return f"row {self.row}: {self.column}: {self.problem}"


class ReadError(Exception):
    """The file cannot be read as a table; ``errors`` say why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Table:
    """The header (row 1) and the non-blank rows below it as ``(row number, cells)``."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Each row as ``{column: text}``; cells past the header are the reader's business."""
        out = []
        for number, cells in self.rows:
            padded = cells + [""] * (len(self.header) - len(cells))
            out.append((number, dict(zip(self.header, padded, strict=False))))
        return out


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


def _read_csv(data: bytes) -> list[list[str]]:
    text = decode_text(data).replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append([cell.strip() for cell in record])
    except csv.Error as exc:
        raise ReadError(
            [RowError(len(rows) + 1, FILE, _("not a valid CSV row (%(why)s)") % {"why": exc})]
        ) from None
    return rows


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ReadError(
            [RowError(0, FILE, _("the file is not a readable XLSX workbook"))]
        ) from None
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception:
        raise ReadError(
            [RowError(0, FILE, _("the file is not a readable XLSX workbook"))]
        ) from None
    finally:
        workbook.close()


def read_table(data: bytes, filename: str = "") -> Table:
    """Read ``data`` (CSV or XLSX, told apart by content) into a :class:`Table`.

    Raises :class:`ReadError` when the file is empty, undecodable or not a table. Blank rows are
    skipped (row numbers still count them); empty cells past the last header column are dropped.
    """
    raw = _read_xlsx(data) if is_xlsx(data, filename) else _read_csv(data)
    while raw and not any(raw[-1]):
        raw.pop()
    if not raw:
        raise ReadError([RowError(0, FILE, _("the file is empty: it needs a header row"))])
    header = [cell.lstrip("\ufeff").strip().lower() for cell in raw[0]]
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(raw[1:], start=2):
        if any(cells):
            rows.append((number, cells))
    return Table(header=header, rows=rows)


def check_header(table: Table, columns: tuple[str, ...]) -> list[RowError]:
    """Unknown, duplicate and missing columns of the header, each an error of row 1."""
    errors: list[RowError] = []
    seen: set[str] = set()
    for index, name in enumerate(table.header, start=1):
        if not name:
            errors.append(
                RowError(1, _("column %(n)d") % {"n": index}, _("the column has no name"))
            )
        elif name not in columns:
            errors.append(RowError(1, name, _("unknown column")))
        elif name in seen:
            errors.append(RowError(1, name, _("duplicate column")))
        seen.add(name)
    errors += [RowError(1, c, _("missing column")) for c in columns if c not in seen]
    return errors


def extra_cells(table: Table) -> list[RowError]:
    """Rows with text in cells to the right of the last header column."""
    width = len(table.header)
    errors = []
    for number, cells in table.rows:
        for index, cell in enumerate(cells[width:], start=width + 1):
            if cell:
                errors.append(
                    RowError(
                        number,
                        _("column %(n)d") % {"n": index},
                        _("a value in a column without a header"),
                    )
                )
                break
    return errors
