"""``tiejun bench import``: the set-based import engine at company scale.

A company of 2,000 reps (225 units) is written to the benchmark's database; then files of
customers, deals and visits (CSV, as ``tiejun import`` reads them) are generated and each is
imported by ``run_import`` in a child process of its own, which reports its wall time, its CPU
time and its peak memory (``ru_maxrss``). Beside each import the child times a bare
``executemany`` of the same rows (the file's cells as text) into a plain table of the same
database: the floor any import stands on. The aims (issue 12): 100,000 customers ≤ 30 s,
200,000 deals ≤ 60 s, 500,000 visits ≤ 120 s, each ≤ 1 GB and within 60× the bare insert.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tiejun.crm.imports import CUSTOMER_COLUMNS, DEAL_COLUMNS
from tiejun.field.imports import COLUMNS as VISIT_COLUMNS
from tiejun.org.models import Membership, Person, Role, Unit, UnitKind
from tiejun.org.services import unit_create

PREFIX = "BI"
AIMS = {"customers": 30.0, "deals": 60.0, "visits": 120.0}
MEMORY_AIM_MB = 1024
RATIO_AIM = 60
CHANNELS = ["visit", "visit", "visit", "salon", "online", "partner"]


def company_build(reps: int) -> list[str]:
    """Units through the service (the closure table), people and memberships in bulk; the
    employee numbers."""
    hq = unit_create(code=f"{PREFIX}-HQ", name="铁军基准公司", kind=UnitKind.COMPANY, parent=None)
    teams: list[Unit] = []
    n_teams = max(1, reps // 10)
    regions = [
        unit_create(code=f"{PREFIX}-R{r}", name=f"大区{r}", kind=UnitKind.REGION, parent=hq)
        for r in range(4)
    ]
    branches = [
        unit_create(
            code=f"{PREFIX}-B{b}", name=f"分公司{b}", kind=UnitKind.BRANCH, parent=regions[b % 4]
        )
        for b in range(max(1, n_teams // 10))
    ]
    for t in range(n_teams):
        teams.append(
            unit_create(
                code=f"{PREFIX}-T{t}",
                name=f"团队{t}",
                kind=UnitKind.TEAM,
                parent=branches[t % len(branches)],
            )
        )
    start = timezone.localdate() - dt.timedelta(days=800)
    password = make_password(None)
    numbers = [f"{PREFIX}{i:05d}" for i in range(reps)]
    Person.objects.bulk_create(
        [Person(employee_no=no, name=f"员工{no}", password=password) for no in numbers],
        batch_size=1000,
    )
    ids = dict(Person.objects.filter(employee_no__in=numbers).values_list("employee_no", "id"))
    Membership.objects.bulk_create(
        [
            Membership(person_id=ids[no], unit=teams[i % n_teams], role=Role.REP, valid_from=start)
            for i, no in enumerate(numbers)
        ],
        batch_size=1000,
    )
    return numbers


def _csv(header: tuple[str, ...], rows: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def files_generate(
    *, reps: list[str], customers: int, deals: int, visits: int, seed: int, today: dt.date
) -> dict[str, bytes]:
    """The three files; deals name the customers file's customers and some new ones."""
    rnd = random.Random(seed)
    codes = [f"{PREFIX}-C{i:06d}" for i in range(customers)]
    customer_rows = (
        [
            code,
            f"客户{code}",
            rnd.choice(["制造", "零售", "物流", "医药"]),
            f"杭州市{i % 97}号",
            f"{30.1 + rnd.random() * 0.3:.6f}",
            f"{120.0 + rnd.random() * 0.3:.6f}",
            reps[i % len(reps)] if i % 3 else "",
            f"0571-{i:07d}",
            rnd.choice("ABC"),
        ]
        for i, code in enumerate(codes)
    )

    def deal_row(i: int) -> list[str]:
        j = rnd.randrange(customers)
        # The customer's owner is credited (a rep sees their own and the pool's customers).
        rep = reps[j % len(reps)] if j % 3 else reps[i % len(reps)]
        return [
            f"{PREFIX}-D{i:07d}",
            rep,
            codes[j] if i % 10 else f"{PREFIX}-N{i:07d}",
            f"新客户{i}",
            f"{rnd.randint(100, 500000)}.{rnd.randint(0, 99):02d}",
            (today - dt.timedelta(days=1 + rnd.randrange(360))).isoformat(),
            rnd.choice(CHANNELS),
        ]

    deal_rows = (deal_row(i) for i in range(deals))

    def visit_id(i: int) -> str:
        return str(uuid.UUID(int=rnd.getrandbits(128))) if i % 2 else f"CRM-V{i:08d}"

    visit_rows = (
        [
            visit_id(i),
            reps[i % len(reps)],
            codes[rnd.randrange(customers)],
            f"{today - dt.timedelta(days=1 + rnd.randrange(360))} "
            f"{8 + rnd.randrange(10):02d}:{rnd.randrange(60):02d}",
            f"{30.1 + rnd.random() * 0.3:.6f}",
            f"{120.0 + rnd.random() * 0.3:.6f}",
            rnd.choice(["high", "medium", "low", "none", "客户要报价"]),
            rnd.choice(CHANNELS),
        ]
        for i in range(visits)
    )
    return {
        "customers": _csv(CUSTOMER_COLUMNS, customer_rows),
        "deals": _csv(DEAL_COLUMNS, deal_rows),
        "visits": _csv(VISIT_COLUMNS, visit_rows),
    }


def _bare_insert(data: bytes) -> float:
    """Seconds to ``executemany`` the file's rows as text into a plain table (then dropped)."""
    rows = list(csv.reader(io.StringIO(data.decode())))[1:]
    width = len(rows[0]) if rows else 1
    columns = ", ".join(f"c{i} varchar(200)" for i in range(width))
    marks = ", ".join(["%s"] * width)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_plain ({columns})")
        for start in range(0, len(rows), 10_000):
            cursor.executemany(
                f"INSERT INTO bench_plain VALUES ({marks})",  # noqa: S608 - a fixed name
                rows[start : start + 10_000],
            )
    spent = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plain")
    return spent


def child(kind: str, path: str, today: str) -> None:
    """In the child process: import the file once, then time the bare insert; print JSON."""
    from tiejun.imports.engine import run_import

    data = Path(path).read_bytes()
    cpu = time.process_time()
    started = time.perf_counter()
    profile = os.environ.get("TIEJUN_BENCH_PROFILE")  # a directory: cProfile each import there
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run_import, kind, data, path, today=dt.date.fromisoformat(today))
        profiler.dump_stats(str(Path(profile) / f"{kind}-{os.getpid()}.prof"))
    else:
        result = run_import(kind, data, path, today=dt.date.fromisoformat(today))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare = _bare_insert(data)
    out = {
        "kind": kind,
        "rows": result.rows,
        "ok": result.ok,
        "errors": [str(e) for e in result.errors[:3]],
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak_mb),
        "bare_insert_s": round(bare, 3),
        "ratio": round(wall / bare, 1) if bare else None,
    }
    sys.stdout.write(json.dumps(out) + "\n")


def _run_child(kind: str, path: Path, today: dt.date) -> dict[str, Any]:
    code = (
        "import django; django.setup(); "
        "from tiejun.bench.imports import child; "
        f"child({kind!r}, {str(path)!r}, {today.isoformat()!r})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiejun.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"kind": kind, "ok": False, "errors": [done.stderr.strip()[-2000:]]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_import(
    *,
    reps: int = 2000,
    customers: int = 100_000,
    deals: int = 200_000,
    visits: int = 500_000,
    seed: int = 2026,
    again: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Build the company, generate the files, import each (then again: nothing changes)."""
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    progress(f"company of {reps} reps")
    numbers = company_build(reps)
    progress("generating files")
    files = files_generate(
        reps=numbers, customers=customers, deals=deals, visits=visits, seed=seed, today=today
    )
    results: list[dict[str, Any]] = []
    connection.close()  # the children open their own
    with tempfile.TemporaryDirectory(prefix="tiejun-bench-import-") as scratch:
        for kind in ("customers", "deals", "visits"):
            path = Path(scratch) / f"{kind}.csv"
            path.write_bytes(files[kind])
            progress(f"importing {kind}")
            first = _run_child(kind, path, today)
            first["aim_s"] = AIMS[kind]
            first["aims_met"] = _met(first)
            results.append(first)
            if again:
                progress(f"importing {kind} again")
                second = _run_child(kind, path, today)
                second["run"] = "again (idempotent)"
                results.append(second)
    return {"engine": connection.vendor, "reps": reps, "imports": results}


def _met(row: dict[str, Any]) -> bool:
    return bool(
        row.get("ok")
        and row["wall_s"] <= AIMS[row["kind"]]
        and row["peak_mb"] <= MEMORY_AIM_MB
        and (row["ratio"] or 0) <= RATIO_AIM
    )
