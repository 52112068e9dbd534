"""Whatever bytes, headers or cells arrive, run_import answers: all rows written, or none."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiejun.imports.kinds import KINDS
from tiejun.imports.services import run_import

from .conftest import TODAY, counts

PLAUSIBLE = [
    "", "T1", "T2", "B1", "CO", "E1", "E2", "M1", "D1", "C1", "team", "branch", "company",
    "region", "rep", "supervisor", "manager", "unit", "person", "revenue", "new_customers",
    "visit", "salon", "2026-06-03", "2026-06", "2099-01-01", "2026/6/3", "100", "-1", "0",
    "1e3", "1.005", "NaN", "99999999999999999", "张三", "a@b.c",
]  # fmt: skip
cell = st.one_of(st.sampled_from(PLAUSIBLE), st.text(max_size=12))
kinds = st.sampled_from(sorted(KINDS))
FAST = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def as_csv(rows, encoding):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def check(kind, data):
    before = counts()
    result = run_import(kind, data, "upload", today=TODAY)
    if result.ok:
        assert not result.errors
    else:
        assert counts() == before
        assert all(str(e) for e in result.errors)
        assert (result.created, result.updated) == (0, 0)


@FAST
@given(
    kind=kinds,
    data=st.one_of(
        st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)
    ),
)
def test_arbitrary_bytes(company, kind, data):
    check(kind, data)


@FAST
@given(
    kind=kinds,
    header=st.lists(
        st.one_of(
            st.sampled_from([c for k in KINDS.values() for c in k.columns]), st.text(max_size=8)
        ),
        max_size=9,
    ),
    rows=st.lists(st.lists(cell, max_size=9), max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_arbitrary_headers(company, kind, header, rows, encoding):
    check(kind, as_csv([header, *rows], encoding))


@FAST
@given(data=st.data(), kind=kinds, dry_run=st.booleans())
def test_arbitrary_cells_under_a_right_header(company, data, kind, dry_run):
    columns = list(KINDS[kind].columns)
    rows = data.draw(
        st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=4)
    )
    before = counts()
    result = run_import(kind, as_csv([columns, *rows], "utf-8"), dry_run=dry_run, today=TODAY)
    if dry_run or not result.ok:
        assert counts() == before
