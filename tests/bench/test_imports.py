"""``tiejun bench import``'s files: a small company's customers, deals and visits import cleanly
through the set-based kinds, and a second import of each changes nothing (what the benchmark
measures at 100,000 / 200,000 / 500,000 rows)."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from tiejun.bench.imports import _bare_insert, company_build, files_generate
from tiejun.crm.models import Customer, Deal
from tiejun.field.models import Visit
from tiejun.imports.services import run_import


def test_the_generated_files_import_and_a_second_import_changes_nothing(db):
    # given a company of 20 reps and its files
    today = timezone.localdate()
    reps = company_build(20)
    files = files_generate(reps=reps, customers=30, deals=60, visits=80, seed=7, today=today)
    # when each is imported twice
    for kind, rows in [("customers", 30), ("deals", 60), ("visits", 80)]:
        first = run_import(kind, files[kind], f"{kind}.csv", today=today)
        assert first.ok, [str(e) for e in first.errors[:3]]
        assert (first.created, first.updated, first.unchanged) == (rows, 0, 0)
        again = run_import(kind, files[kind], f"{kind}.csv", today=today)
        assert (again.created, again.updated, again.unchanged) == (0, 0, rows)
    # then every row is stored once; the deals' new customers (every tenth row) too
    assert Deal.objects.count() == 60 and Visit.objects.count() == 80
    assert Customer.objects.count() == 30 + 6


def test_the_bare_insert_takes_every_row_and_leaves_no_table(db):
    data = "a,b\n" + "\n".join(f"{i},x{i}" for i in range(50))
    assert _bare_insert(data.encode()) > 0
    assert len(list(csv.reader(io.StringIO(data)))) == 51
    # the plain table is gone: a second run creates it again
    assert _bare_insert(data.encode()) > 0
