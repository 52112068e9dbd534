"""Hypothesis drives every import kind with generated files: whatever the bytes, encoding, header
or cells, ``run_import`` writes every row or none, and explains each problem by row and column.

Properties, each over every kind:
- arbitrary bytes (plain, behind an XLSX zip signature, behind a BOM);
- valid CSV text in UTF-8, UTF-8 with BOM, GB18030, UTF-16 and Latin-1;
- the kind's header shuffled, with columns missing, duplicated, renamed or extra;
- rows under the right header mixing valid values of the seeded company with broken ones;
- XLSX workbooks with odd cell types (dates, times, numbers, booleans, formulas, empty cells);
and, for a handful of generated files, the same through ``tiejun import`` and the upload page.

"Nothing written" is checked on every table (audit entries, facts, ownership changes, the
outbox …), row by row, not only by count. An exception other than the import's own report —
raised, or caught and logged by the import's last-resort handler — fails the property.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tiejun.imports.readers import RowError
from tiejun.imports.registry import KINDS
from tiejun.imports.services import ImportResult, job_run, run_import

from .conftest import (
    CUSTOMER_CODES,
    DEAL_NOS,
    EMPLOYEE_NOS,
    EVENT_IDS,
    IMPORT_FILES,
    IMPORT_OUTCOMES,
    UNIT_CODES,
    VISIT_IDS,
)
from .profile import deterministic, import_examples

KIND_NAMES = sorted(KINDS)
FUZZ = settings(
    max_examples=import_examples(),
    derandomize=deterministic(),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
FEW = settings(FUZZ, max_examples=max(4, import_examples() // 8))

# --- what a file may hold ---------------------------------------------------------------------

DATES = ["2026-11-03", "2026/11/3", "2026.11.03", "2026-02-30", "03/11/2026", "2099-01-01",
         "1900-01-01", "2026-11-28 09:30", "yesterday"]  # fmt: skip
NUMBERS = ["100", "0", "-1", "1,000.50", "1 000", "1e3", "0.001", "NaN", "Infinity", "-inf",
           "1e20", "99999999999999.99", "abc", "１２３", "12元"]  # fmt: skip
VALUES: dict[str, list[str]] = {
    "code": UNIT_CODES + EMPLOYEE_NOS + ["T9", "X" * 33],
    "parent_code": [*UNIT_CODES, "", "NOPE"],
    "unit_code": [*UNIT_CODES, "NOPE"],
    "name": ["新组", "张三", "春节", "x" * 101],
    "title": ["沙龙", "x" * 201],
    "kind": ["team", "branch", "region", "company", "TEAM", "squad", "off", "work", "放假", "上班"],
    "employee_no": [*EMPLOYEE_NOS, "E9", "x" * 33],
    "owner_employee_no": [*EMPLOYEE_NOS, "E9"],
    "role": ["rep", "supervisor", "manager", "coordinator", "admin", "Boss"],
    "email": ["a@example.com", "not-an-email", "a@b"],
    "phone": ["13800000000", "+86 571 8888 8888", "9" * 33],
    "month": ["2026-11", "2026-12", "2026-11-01", "2026-13", "11/2026", "2026-11-15"],
    "scope": ["unit", "person", "team", "UNIT"],
    "metric": ["revenue", "new_customers", "visits", "profit"],
    "deal_no": [*DEAL_NOS, "D9", "x" * 41],
    "customer_code": [*CUSTOMER_CODES, "C9", "x" * 33],
    "customer_name": ["客户九", "x" * 201],
    "channel": ["visit", "salon", "online", "fax", "email", "wecom", "webhook", "sms"],
    "activity_id": ["A1", "A2", "x" * 65],
    "event_id": [*EVENT_IDS, "EV9"],
    "model": ["salon", "visit", "online", "livestream", "nope"],
    "visit_id": [*VISIT_IDS, str(uuid.UUID(int=99)), "not-a-uuid"],
    "checkin_at": [
        "2026-11-28 09:30",
        "2026-11-28T09:30:00",
        "2026/11/28 9:05",
        "2099-01-01 00:00",
        "2026-11-28 25:00",
        "2026-11-28",
    ],
    "lat": ["30.25", "30.250001", "91", "-90", "abc", "1e400"],
    "lon": ["120.15", "181", "-180", "0", "nan"],
    "outcome": ["high", "low", "None", "客户很感兴趣", "x" * 2001],
    "report": ["battle", "win_flash", "milestone", "kickoff", "review", "daily"],
    "address": [
        "boss@example.com",
        "https://example.com/hook",
        "http://127.0.0.1/x",
        "13800000000",
        "not an address",
    ],
    "industry": ["制造", "x" * 101],
    "priority": ["A", "b", "C", "Z"],
}
for column in ("start_date", "effective_date", "won_date", "date"):
    VALUES[column] = DATES
for column in ("value", "amount", "hours", "cost"):
    VALUES[column] = NUMBERS
ALL_COLUMNS = sorted({c for k in KINDS.values() for c in k.columns})

_TODAY = timezone.localdate()
_DAY = _TODAY.isoformat()
_YESTERDAY = (_TODAY - dt.timedelta(days=1)).isoformat()
_NEXT_MONTH = f"{(_TODAY.replace(day=28) + dt.timedelta(days=5)):%Y-%m}"
# One row per kind that the seeded company accepts: the fuzzers mutate it a cell or two at a time.
VALID: dict[str, dict[str, str]] = {
    "units": {"code": "T9", "name": "新组", "kind": "team", "parent_code": "HZ"},
    "people": {"employee_no": "E9", "name": "新人", "unit_code": "HZ1", "role": "rep",
               "start_date": _DAY, "email": "e9@example.com", "phone": "13800000009"},
    "moves": {"employee_no": "R2", "unit_code": "HZ2", "role": "", "effective_date": _DAY},
    "targets": {"month": _NEXT_MONTH, "scope": "unit", "code": "HZ1", "metric": "revenue",
                "value": "1000"},
    "deals": {"deal_no": "D9", "employee_no": "R1", "customer_code": "C9",
              "customer_name": "客户九", "amount": "100.50", "won_date": _DAY, "channel": "visit"},
    "activities": {"activity_id": "A1", "employee_no": "R1", "customer_code": "C1",
                   "model": "salon", "date": _DAY, "hours": "2", "cost": "100"},
    "events": {"event_id": "EV9", "model": "salon", "unit_code": "HZ1", "date": _DAY,
               "title": "沙龙", "hours": "3", "cost": "500"},
    "attendees": {"event_id": "EV1", "customer_code": "C1"},
    "visits": {"visit_id": str(uuid.UUID(int=9)), "employee_no": "R1", "customer_code": "C1",
               "checkin_at": f"{_YESTERDAY} 09:30", "lat": "30.25", "lon": "120.15",
               "outcome": "high", "channel": "visit"},
    "subscriptions": {"unit_code": "HZ1", "report": "battle", "channel": "email",
                      "address": "boss@example.com"},
    "calendar": {"date": "2030-02-04", "kind": "off", "name": "春节"},
    "customers": {"customer_code": "C9", "name": "客户九", "industry": "制造", "address": "杭州",
                  "lat": "30.25", "lon": "120.15", "owner_employee_no": "R1",
                  "phone": "13800000009", "priority": "A"},
}  # fmt: skip

text_cell = st.text(max_size=12)
generic_cell = st.one_of(
    st.sampled_from(["", " ", "\t", "N/A", "-", "=1+1", '"', "\u3000", "NULL"]), text_cell
)


def cell_for(column: str) -> st.SearchStrategy[str]:
    known = VALUES.get(column, [])
    return st.one_of(st.sampled_from(known), generic_cell) if known else generic_cell


@st.composite
def mutated(draw, kind: str, columns: list[str]) -> list[str]:
    """The kind's valid row under ``columns``, with a few cells replaced."""
    valid = VALID[kind]
    row = [valid.get(c.strip().lstrip("\ufeff").lower().replace(" ", "_"), "") for c in columns]
    for _ in range(draw(st.integers(0, 2))):
        if row:
            i = draw(st.integers(0, len(row) - 1))
            row[i] = draw(cell_for(columns[i]))
    return row


def row_for(kind: str, columns: list[str]) -> st.SearchStrategy[list[str]]:
    """A row under ``columns``: valid with a few cells changed, or any plausible values,
    sometimes cut short or with a cell too many."""
    cells = st.one_of(mutated(kind, columns), st.tuples(*(cell_for(c) for c in columns)).map(list))
    return st.one_of(
        cells,
        cells,
        cells,
        cells.flatmap(lambda r: st.integers(0, len(r)).map(lambda n: r[:n])),
        cells.flatmap(lambda r: generic_cell.map(lambda extra: [*r, extra])),
    )


ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]


def as_csv(rows: list[list[str]], encoding: str = "utf-8", dialect: str = "excel") -> bytes:
    out = io.StringIO()
    csv.writer(out, dialect=dialect).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


# --- what must hold ---------------------------------------------------------------------------


def snapshot() -> dict[str, list[str]]:
    """Every row of every table: a failed import may change none of them."""
    out = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            out[model._meta.label] = sorted(map(repr, cursor.fetchall()))
    return out


def baseline(seeded) -> dict[str, list[str]]:
    """The seeded company's snapshot, taken once per test: every example is rolled back."""
    if seeded.snapshot is None:
        seeded.snapshot = snapshot()
    return seeded.snapshot


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def nothing_logged() -> Iterator[None]:
    """An error logged under ``tiejun`` is an exception the import caught as a last resort."""
    handler = _Errors()
    logger = logging.getLogger("tiejun")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    problems = [
        f"{r.getMessage()}\n{logging.Formatter().formatException(r.exc_info) if r.exc_info else ''}"
        for r in handler.records
    ]
    assert not problems, "\n".join(problems)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the seeded company, whatever the one before wrote."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_explained(errors: list[RowError], last_row: int | None) -> None:
    assert errors
    for error in errors:
        assert error.row >= 0
        assert last_row is None or error.row <= last_row, error
        assert str(error.column).strip(), error
        assert str(error.problem).strip(), error
        assert "Traceback" not in str(error)


def check(
    seeded,
    kind: str,
    data: bytes,
    *,
    filename: str = "upload.csv",
    dry_run: bool = False,
    last_row: int | None = None,
    prop: str,
) -> ImportResult:
    """Import ``data``: all or nothing, every problem explained, no exception of any other kind."""
    IMPORT_FILES[prop] += 1
    with rolled_back():
        before = baseline(seeded)
        with nothing_logged():
            result = run_import(kind, data, filename, dry_run=dry_run, today=seeded.today)
        if not result.ok:
            assert_explained(result.errors, last_row)
            assert (result.created, result.updated) == (0, 0)
        if dry_run or not result.ok:
            assert snapshot() == before
        elif result.created:
            assert snapshot() != before, "rows counted as created but nothing was written"
    IMPORT_OUTCOMES[f"{kind} {'ok' if result.ok else 'refused'}"] += 1
    return result


# --- the properties ---------------------------------------------------------------------------

kinds = st.sampled_from(KIND_NAMES)


@FUZZ
@given(
    kind=kinds,
    data=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=300).map(lambda b: b"\xef\xbb\xbf" + b),
        st.binary(max_size=300).map(lambda b: b"\xff\xfe" + b),
    ),
    filename=st.sampled_from(["upload.csv", "upload.xlsx", "UPLOAD.XLSX", "upload", ""]),
)
def test_arbitrary_bytes(seeded, kind, data, filename):
    check(seeded, kind, data, filename=filename, prop="bytes")


@FUZZ
@given(
    kind=kinds,
    header=st.lists(st.one_of(st.sampled_from(ALL_COLUMNS), st.text(max_size=8)), max_size=10),
    rows=st.lists(st.lists(generic_cell, max_size=10), max_size=4),
    encoding=st.sampled_from(ENCODINGS),
)
def test_arbitrary_header_and_cells(seeded, kind, header, rows, encoding):
    data = as_csv([header, *rows], encoding)
    check(seeded, kind, data, prop="arbitrary header")


@st.composite
def twisted_header(draw, columns: tuple[str, ...]) -> list[str]:
    """The kind's columns shuffled, some missing, some twice, some renamed, some extra."""
    header = draw(st.permutations(list(columns)))
    keep = draw(st.lists(st.booleans(), min_size=len(header), max_size=len(header)))
    header = [c for c, k in zip(header, keep, strict=True) if k or draw(st.booleans())]
    if header and draw(st.booleans()):
        header.append(draw(st.sampled_from(header)))
    if draw(st.booleans()):
        header.append(draw(st.sampled_from([*ALL_COLUMNS, "", "备注", "Unnamed: 3"])))
    return [
        draw(st.sampled_from([c, c.upper(), f" {c} ", f"\ufeff{c}", c.replace("_", " ")]))
        for c in header
    ]


@FUZZ
@given(data=st.data(), kind=kinds, encoding=st.sampled_from(ENCODINGS))
def test_twisted_headers(seeded, data, kind, encoding):
    header = data.draw(twisted_header(KINDS[kind].columns))
    rows = data.draw(st.lists(row_for(kind, header), max_size=3))
    check(seeded, kind, as_csv([header, *rows], encoding), prop="twisted header")


@FUZZ
@given(
    data=st.data(),
    kind=kinds,
    encoding=st.sampled_from(ENCODINGS),
    dialect=st.sampled_from(["excel", "excel-tab"]),
    dry_run=st.booleans(),
)
def test_rows_under_the_right_header(seeded, data, kind, encoding, dialect, dry_run):
    columns = list(data.draw(st.permutations(list(KINDS[kind].columns))))
    rows = data.draw(st.lists(row_for(kind, columns), min_size=1, max_size=5))
    check(
        seeded,
        kind,
        as_csv([columns, *rows], encoding, dialect),
        dry_run=dry_run,
        last_row=len(rows) + 1,
        prop="right header",
    )


xlsx_value = st.one_of(
    st.none(),
    st.integers(-(10**16), 10**16),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**15),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
    st.sampled_from(["=1+1", "=A1", "=SUM(A2:A9)", "=NOW()", "=1/0", '="2026-11-03"']),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)


def xlsx_bytes(rows: list[list[object]], sheets: int = 1) -> bytes:
    workbook = Workbook()
    for _ in range(sheets - 1):
        workbook.create_sheet()
    for row in rows:
        # A worksheet cannot hold control characters: Excel would never write them.
        workbook.worksheets[0].append(
            [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@FUZZ
@given(data=st.data(), kind=kinds, sheets=st.integers(1, 2))
def test_xlsx_with_odd_cells(seeded, data, kind, sheets):
    columns = list(KINDS[kind].columns)
    header = data.draw(
        st.one_of(
            st.just(columns),
            twisted_header(KINDS[kind].columns),
            st.lists(st.one_of(xlsx_value, st.sampled_from(columns)), max_size=len(columns) + 1),
        )
    )
    plausible = st.one_of(*(cell_for(c) for c in columns))
    odd_row = st.lists(st.one_of(xlsx_value, plausible), min_size=0, max_size=len(columns) + 1)
    rows = data.draw(st.lists(st.one_of(odd_row, mutated(kind, columns)), max_size=4))
    check(
        seeded,
        kind,
        xlsx_bytes([header, *rows], sheets),
        filename="upload.xlsx",
        last_row=len(rows) + 1,
        prop="xlsx",
    )


def test_every_kind_is_fuzzed():
    """A new import kind needs plausible values here, or the fuzzers only feed it noise."""
    for spec in KINDS.values():
        missing = [c for c in spec.columns if c not in VALUES]
        assert not missing, f"{spec.name}: add {missing} to VALUES"


# --- through the command line and the upload page ---------------------------------------------


def _command():
    from django.core.management import load_command_class

    return load_command_class("tiejun.imports", "import")


@FEW
@given(data=st.data(), kind=kinds)
def test_command_line(seeded, tmp_path_factory, capsys, monkeypatch, data, kind):
    """``tiejun import``: exit 2 with the problems on stderr and no traceback, or one JSON line."""
    # A command closes the database connections when it ends: the test's transaction lives on one.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    columns = data.draw(twisted_header(KINDS[kind].columns))
    rows = data.draw(st.lists(row_for(kind, columns), max_size=3))
    path = tmp_path_factory.mktemp("import") / f"{kind}.csv"
    path.write_bytes(as_csv([columns, *rows], data.draw(st.sampled_from(ENCODINGS))))
    IMPORT_FILES["command line"] += 1
    capsys.readouterr()
    with rolled_back():
        before = snapshot()
        with nothing_logged():
            try:
                _command().run_from_argv(["tiejun", "import", kind, str(path)])
            except SystemExit as exc:
                code = exc.code
            else:
                code = 0
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        if code:
            assert code == 2
            assert out == ""
            assert err.strip().splitlines()[-1].endswith("nothing was written")
            assert snapshot() == before
        else:
            assert err == ""
            assert out.strip().startswith("{")


@FEW
@given(data=st.data(), kind=st.sampled_from(KIND_NAMES))
def test_upload_page(seeded, client, data, kind):
    """The upload page (its kinds) answers 200 with the problems listed, whatever the file."""
    columns = data.draw(twisted_header(KINDS[kind].columns))
    rows = data.draw(st.lists(row_for(kind, columns), max_size=3))
    as_xlsx = data.draw(st.booleans())
    body = xlsx_bytes([columns, *rows]) if as_xlsx else as_csv([columns, *rows], "gb18030")
    name = f"{kind}.xlsx" if as_xlsx else f"{kind}.csv"
    IMPORT_FILES["upload page"] += 1
    client.force_login(seeded.org.admin)
    with rolled_back():
        before = snapshot()
        with nothing_logged():
            response = client.post(
                "/import/",
                {
                    "kind": kind,
                    "file": SimpleUploadedFile(name, body),
                    "reason": "fuzz",
                    "action": "import",
                },
            )
            # the upload is a job; its worker runs here (its queue waits for a commit)
            assert response.status_code == 302
            job_run(int(response["Location"].rstrip("/").split("/")[-1]))
            response = client.get(response["Location"])
        assert response.status_code == 200
        job = response.context["job"]
        if job.state != "done":
            # the job's own rows (its record and the file it read) are the page's business
            jobs = ("imports.ImportJob", "imports.ImportUpload", "imports.ImportErrorFile")
            after = {k: v for k, v in snapshot().items() if k not in jobs}
            assert after == {k: v for k, v in before.items() if k not in jobs}
            for error in job.errors:  # [row, column, problem, label]
                assert escape(error[2]) in response.content.decode()


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_the_valid_row_imports(seeded, kind):
    """The row the fuzzers start from is accepted, so their mutations probe real writes."""
    columns = list(KINDS[kind].columns)
    result = check(
        seeded, kind, as_csv([columns, [VALID[kind][c] for c in columns]]), prop="valid row"
    )
    assert result.ok, result.errors


# --- what the fuzzers found, pinned ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_text_from_excel_imports(seeded, encoding):
    """Excel's "Unicode text": UTF-16 with a BOM and tabs between the cells (was refused)."""
    columns = list(KINDS["units"].columns)
    text = "\t".join(columns) + "\r\n" + "\t".join(VALID["units"][c] for c in columns) + "\r\n"
    data = text.encode(encoding)
    if encoding != "utf-16":
        data = ("\ufeff" + text).encode(encoding)
    result = check(seeded, "units", data, prop="found")
    assert (result.ok, result.created) == (True, 1), result.errors


def test_semicolon_separated_csv_imports(seeded):
    columns = list(KINDS["units"].columns)
    rows = [columns, [VALID["units"][c] for c in columns]]
    result = check(seeded, "units", as_csv(rows).replace(b",", b";"), prop="found")
    assert (result.ok, result.created) == (True, 1), result.errors
