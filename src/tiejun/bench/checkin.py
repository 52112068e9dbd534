"""``tiejun bench checkin``: the check-in API under concurrent load.

gunicorn (``tiejun serve --no-worker``, several workers) serves the app from the benchmark's
PostgreSQL database; threads fire ``POST /api/v1/visits`` over loopback with Bearer tokens, some of
them retries of an id already sent (the same body, as a phone resending after a lost answer).
Afterwards the visits are counted: every id answered 200/201 must be stored exactly once, and the
scoreboard's ``visits`` facts must add up to the stored visits.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.bench.board import percentile
from tiejun.crm.models import Customer
from tiejun.errors import TiejunError
from tiejun.field.models import Visit
from tiejun.org.models import Person, Role, Unit, UnitKind
from tiejun.org.services import person_create, token_create, unit_create
from tiejun.scoreboard.models import Fact

PREFIX = "BCK"
# What a TLS-terminating reverse proxy adds: in production the app then sees HTTPS, no redirect.
PROXY = {"X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TiejunError(
                _("gunicorn stopped before it served (exit %(rc)s)") % {"rc": proc.returncode}
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TiejunError(_("gunicorn did not start within %(s)d s") % {"s": seconds})


def _wait_until_settled(pid: int, seconds: float = 60) -> None:
    """Until the processes under ``pid`` stop using CPU: gunicorn's master listens before its
    workers have loaded the app, and a worker still starting would be timed (and metered)."""
    deadline = time.monotonic() + seconds
    before = sum(_cpu_seconds(p) for p in _process_tree(pid))
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(_cpu_seconds(p) for p in _process_tree(pid))
        if now - before < 0.05:
            return
        before = now


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (gunicorn's master and workers under ``tiejun serve``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def _database_backends() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database, this process's excepted; none
    when the database runs on another machine (its process ids mean nothing here)."""
    if connection.settings_dict.get("HOST") not in ("", None, "localhost", "127.0.0.1", "::1"):
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cursor.fetchall()]
    finally:
        connections.close_all()


class CpuMeter:
    """CPU spent while the check-ins are fired: the server's processes (when started here),
    the database's backends (when PostgreSQL runs on this machine, read from /proc) and this
    process (the client). Load from other programs on the machine does not count, so the CPU
    per check-in compares runs where the requests per second do not."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = server_pid
        self.start_at: dict[str, dict[int, float]] = {}
        self.client = 0.0

    def _snapshot(self) -> dict[str, dict[int, float]]:
        server = _process_tree(self.server_pid) if self.server_pid else []
        return {
            "server": {pid: _cpu_seconds(pid) for pid in server},
            "database": {pid: _cpu_seconds(pid) for pid in _database_backends()},
        }

    def start(self) -> None:
        self.start_at = self._snapshot()
        times = os.times()
        self.client = times.user + times.system

    def stop(self, requests: int) -> dict[str, float | None]:
        times = os.times()
        client = times.user + times.system - self.client
        end = self._snapshot()
        spent: dict[str, float | None] = {"client": client}
        for part, pids in end.items():
            before = self.start_at.get(part, {})
            used = sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in pids.items())
            spent[part] = used if pids else None
        per = {
            k: round(v * 1000 / requests, 2) if v is not None and requests else None
            for k, v in spent.items()
        }
        per["total"] = round(sum(v for v in per.values() if v is not None), 2)
        return per


def _company(reps: int, customers: int) -> tuple[list[str], list[str]]:
    """A team of ``reps`` with API tokens and ``customers`` pool customers; (tokens, codes)."""
    start = timezone.localdate() - dt.timedelta(days=30)
    # Under the company already there (a served demo, with --url), or a company of its own.
    company = Unit.objects.filter(kind=UnitKind.COMPANY).order_by("pk").first() or unit_create(
        code=f"{PREFIX}-HQ", name="Bench HQ", kind=UnitKind.COMPANY, parent=None
    )
    region = Unit.objects.filter(code=f"{PREFIX}-R").first() or unit_create(
        code=f"{PREFIX}-R", name="Bench region", kind=UnitKind.REGION, parent=company
    )
    branch = Unit.objects.filter(code=f"{PREFIX}-B").first() or unit_create(
        code=f"{PREFIX}-B", name="Bench branch", kind=UnitKind.BRANCH, parent=region
    )
    team = Unit.objects.filter(code=f"{PREFIX}-T").first() or unit_create(
        code=f"{PREFIX}-T", name="Bench team", kind=UnitKind.TEAM, parent=branch
    )
    tokens = []
    for i in range(reps):
        no = f"{PREFIX}{i:04d}"
        person = Person.objects.filter(employee_no=no).first() or person_create(
            employee_no=no, name=f"Bench rep {i}", unit=team, role=Role.REP, start_date=start
        )
        tokens.append(token_create(person=person))
    codes = [f"{PREFIX}-C{i:05d}" for i in range(customers)]
    existing = set(Customer.objects.filter(code__in=codes).values_list("code", flat=True))
    rnd = random.Random(7)
    Customer.objects.bulk_create(
        [
            Customer(
                code=code,
                name=f"Bench customer {code}",
                lat=Decimal(f"{30.2 + rnd.random() * 0.1:.6f}"),
                lon=Decimal(f"{120.1 + rnd.random() * 0.1:.6f}"),
            )
            for code in codes
            if code not in existing
        ]
    )
    return tokens, codes


def bench_checkin(
    *,
    requests: int = 3000,
    concurrency: int = 16,
    workers: int = 4,
    reps: int = 100,
    retry_share: float = 0.15,
    max_seconds: float = 120,
    seed: int = 2026,
    migrate: bool = True,
    url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fire check-ins at gunicorn; started here, or the server already running at ``url``
    (which must serve this same database)."""
    say = progress or (lambda _message: None)
    if connection.vendor != "postgresql":
        raise TiejunError(
            _("bench checkin needs PostgreSQL: --database postgresql://user@host/name")
        )
    if requests < 1 or concurrency < 1:
        raise TiejunError(_("--requests and --concurrency must be at least 1"))
    if migrate:
        say(_("migrating the benchmark database…"))
        call_command("migrate", verbosity=0, interactive=False)
    say(_("creating %(n)d reps and their customers…") % {"n": reps})
    tokens, codes = _company(reps, max(50, reps * 5))
    before = Visit.objects.count()
    connections.close_all()

    if url:
        say(_("sending check-ins to %(url)s…") % {"url": url})
        result = _fire(
            url.rstrip("/"),
            tokens,
            codes,
            requests=requests,
            concurrency=concurrency,
            retry_share=retry_share,
            max_seconds=max_seconds,
            seed=seed,
        )
    else:
        result = _serve_and_fire(
            tokens,
            codes,
            workers=workers,
            requests=requests,
            concurrency=concurrency,
            retry_share=retry_share,
            max_seconds=max_seconds,
            seed=seed,
            say=say,
        )
    sent_ids = result.pop("_ids")
    answered = result.pop("_answered")
    stored = {
        str(pk)
        for pk in Visit.objects.filter(pk__in=list(sent_ids | answered)).values_list(
            "pk", flat=True
        )
    }
    lost = len([pk for pk in answered if pk not in stored])
    after = Visit.objects.count()
    facts = Fact.objects.filter(metric="visits").aggregate(v=Sum("value"))["v"] or 0
    result.update(
        {
            "unique_ids_sent": len(sent_ids),
            "visits_stored": len(stored),
            "visits_new_in_database": after - before,
            "duplicates": (after - before) - len(stored),
            "lost": lost,
            "visits_metric_matches": int(facts) == after,
            "aims": {"requests_per_s": 300, "p99_ms": 200},
        }
    )
    result["meets_aims"] = (
        result["requests_per_s"] >= 300
        and result["latency_ms"]["p99"] <= 200
        and result["duplicates"] == 0
        and result["lost"] == 0
        and result["errors"] == 0
    )
    return result


def _serve_and_fire(
    tokens: list[str],
    codes: list[str],
    *,
    workers: int,
    requests: int,
    concurrency: int,
    retry_share: float,
    max_seconds: float,
    seed: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Start gunicorn (``tiejun serve --no-worker``) on a free port, fire, stop it."""
    port = _free_port()
    # Random reps at random customers: unless the caller's environment says otherwise, no
    # check-in merges as a double tap (merged ones are counted apart and must still be stored).
    env = {"TIEJUN_CHECKIN_MERGE_MINUTES": "0", **os.environ, "TIEJUN_EMBEDDED_WORKER": "0"}
    cmd = [
        sys.executable,
        "-m",
        "tiejun.cli",
        "serve",
        "--no-worker",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        "4",
    ]
    say(_("starting gunicorn with %(n)d workers on port %(port)d…") % {"n": workers, "port": port})
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, proc)
        _wait_until_settled(proc.pid)
        result = _fire(
            f"http://127.0.0.1:{port}",
            tokens,
            codes,
            requests=requests,
            concurrency=concurrency,
            retry_share=retry_share,
            max_seconds=max_seconds,
            seed=seed,
            meter=CpuMeter(proc.pid),
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return result


def _fire(
    base: str,
    tokens: list[str],
    codes: list[str],
    *,
    requests: int,
    concurrency: int,
    retry_share: float,
    max_seconds: float,
    seed: int,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    rnd = random.Random(seed)
    # The plan: each request is a new check-in, or a retry of one planned earlier.
    plan: list[tuple[str, dict[str, Any]]] = []
    for _i in range(requests):
        if plan and rnd.random() < retry_share:
            plan.append(plan[rnd.randrange(len(plan))])
            continue
        token = tokens[rnd.randrange(len(tokens))]
        body = {
            "id": str(uuid.uuid4()),
            "customer_code": codes[rnd.randrange(len(codes))],
            "lat": round(30.2 + rnd.random() * 0.1, 6),
            "lon": round(120.1 + rnd.random() * 0.1, 6),
            "accuracy_m": rnd.randint(5, 300),
        }
        plan.append((token, body))
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    answered: set[str] = set()
    merged: set[str] = set()
    errors: list[str] = []
    deadline = time.monotonic() + max_seconds

    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def worker() -> None:
        # The standard library's client: a light, keep-alive connection per thread, so that the
        # measuring process is not what limits the rate.
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    return
                token, body = plan[i]
                payload = json.dumps(body).encode()
                headers = {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    **PROXY,
                }
                t0 = time.perf_counter()
                text = ""
                try:
                    conn.request("POST", f"{parts.path}/api/v1/visits", payload, headers)
                    response = conn.getresponse()
                    text = response.read().decode("utf-8", "replace")
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                    with lock:
                        errors.append(str(exc))
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status in (200, 201):
                        # A double tap (the same rep at the same customer within the merge
                        # window) is answered with the first visit: its id is what must be stored.
                        stored_id = _answered_id(text) or body["id"]
                        answered.add(stored_id)
                        if stored_id != body["id"]:
                            merged.add(body["id"])
                    elif status and len(errors) < 5:
                        errors.append(f"{status}: {text[:200]}")
        finally:
            conn.close()

    # Warm up every worker process (imports, connections) before timing.
    with httpx.Client(base_url=base, timeout=30) as client:
        for _i in range(20):
            client.get("/api/v1/visits", headers={"Authorization": f"Bearer {tokens[0]}", **PROXY})
    threads = [threading.Thread(target=worker) for _i in range(concurrency)]
    meter = meter or CpuMeter()
    meter.start()
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    done = len(latencies)
    cpu = meter.stop(done)
    bad = sum(n for s, n in statuses.items() if s not in (200, 201))
    return {
        "requests": done,
        "planned": len(plan),
        "retries_planned": len(plan) - len({b["id"] for _t, b in plan}),
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "requests_per_s": round(done / wall, 1) if wall else 0.0,
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1) if latencies else None,
            "p99": round(percentile(latencies, 0.99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": bad,
        "error_samples": errors[:5],
        "merged_double_taps": len(merged),
        # CPU per check-in (ms): server, database, client; and the rate that CPU allows on all
        # of this machine's cores when nothing else runs.
        "cpu_ms_per_request": cpu,
        "cpu_bound_requests_per_s": round((os.cpu_count() or 1) * 1000 / cpu["total"])
        if cpu["total"]
        else None,
        "_ids": {b["id"] for _t, b in plan},
        "_answered": answered,
    }


def _answered_id(text: str) -> str | None:
    """The visit id in a check-in answer, or None when the body is not the expected JSON."""
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    visit_id = answer.get("id") if isinstance(answer, dict) else None
    return str(visit_id) if visit_id else None
