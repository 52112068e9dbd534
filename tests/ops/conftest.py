"""Real parts for the operations tests: the app served by gunicorn (``tiejun serve``) on a scratch
database, SQLite or PostgreSQL; clients that keep it busy; the database read back directly."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.migrated import migrate

ROOT = Path(__file__).resolve().parents[2]
TIEJUN = Path(sys.executable).with_name("tiejun")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
KEY_TABLES = ("crm_deal", "scoreboard_fact", "field_visit", "audit_auditentry")
LAT, LON = 30.25, 120.15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def figures(name: str, **numbers: Any) -> None:
    """Print the figures a fault test observed (``pytest -s`` shows them; docs quote them)."""
    print(f"\nFIGURES {name}: {json.dumps(numbers, sort_keys=True)}")


def scratch_env(home: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TIEJUN_HOME": str(home),
        "TIEJUN_DATABASE_URL": database_url,
        "TIEJUN_QUEUE_URL": f"sqlite://{home / 'queue.sqlite3'}",
        "TIEJUN_EMBEDDED_WORKER": "0",
        "TIEJUN_LANGUAGE": "en",
        # Synthetic phones check in at one customer many times a minute, and every one must land.
        "TIEJUN_CHECKIN_MERGE_MINUTES": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def tiejun(env: dict[str, str], *args: str, check: bool = True, timeout: float = 300, **kw: Any):
    done = subprocess.run(
        [str(TIEJUN), *args], env=env, capture_output=True, text=True, timeout=timeout, **kw
    )
    if check and done.returncode != 0:
        raise AssertionError(f"tiejun {' '.join(args)} → {done.returncode}\n{done.stderr}")
    return done


def migrate_and_seed(env: dict[str, str], also: str = "") -> dict[str, Any]:
    migrate(env)
    code = "from tests.ops import seed; seed.main()" + (f"; seed.{also}()" if also else "")
    done = tiejun(env, "shell", "-c", code)
    line = next(x for x in done.stdout.splitlines() if x.startswith("SEED "))
    return json.loads(line[5:])


# --- databases read from the test -----------------------------------------------------------


def pg_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def pg_available() -> bool:
    return bool(shutil.which("pg_dump") and shutil.which("pg_restore"))


def pg_create(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as pg:
        return pg.execute(sql).fetchall()  # type: ignore[arg-type]


def counts(url: str, tables: list[str]) -> dict[str, int]:
    return {t: query(url, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def checksum(url: str, table: str) -> str:
    digest = hashlib.sha256()
    for row in query(url, f'SELECT * FROM "{table}" ORDER BY 1'):
        digest.update(repr(tuple(str(v) for v in row)).encode())
    return digest.hexdigest()


def consistency(url: str) -> dict[str, Any]:
    """What must hold in any consistent snapshot: facts equal their sources."""
    visits = query(url, "SELECT count(*) FROM field_visit")[0][0]
    visit_facts = query(
        url, "SELECT coalesce(sum(value), 0) FROM scoreboard_fact WHERE metric = 'visits'"
    )
    revenue = query(url, "SELECT coalesce(sum(amount), 0) FROM crm_deal")[0][0]
    revenue_facts = query(
        url, "SELECT coalesce(sum(value), 0) FROM scoreboard_fact WHERE metric = 'revenue'"
    )
    return {
        "visits": visits,
        "visit_facts": int(float(visit_facts[0][0])),
        "revenue": round(float(revenue), 2),
        "revenue_facts": round(float(revenue_facts[0][0]), 2),
    }


# --- the served app -------------------------------------------------------------------------


@contextlib.contextmanager
def served(env: dict[str, str], *, workers: int = 2, threads: int = 4) -> Iterator[str]:
    """``tiejun serve`` on a free port; yields its base URL once it answers."""
    port = free_port()
    log = open(Path(env["TIEJUN_HOME"]) / f"serve-{port}.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(TIEJUN),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-worker",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/login/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            log.seek(0)
            assert server.poll() is None, log.read()
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.seek(0)
        served.last_log = log.read()  # type: ignore[attr-defined]
        log.close()


@dataclass
class Traffic:
    """What clients sent and what the server acknowledged."""

    fired: int = 0
    retried: int = 0
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    acked_visits: list[tuple[float, str]] = field(default_factory=list)
    acked_deals: list[tuple[float, str]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acked_before(self, moment: float) -> tuple[set[str], set[str]]:
        with self.lock:
            return (
                {v for t, v in self.acked_visits if t < moment},
                {d for t, d in self.acked_deals if t < moment},
            )


def post_until_answered(
    client: httpx.Client, url: str, body: dict, traffic: Traffic, *, tries: int = 200
) -> httpx.Response:
    """A phone's retry loop: the same body (the same client id) until the server answers with
    anything but a connection error or a 5xx."""
    for attempt in range(tries):
        try:
            response = client.post(url, json=body, timeout=15)
        except httpx.TransportError:
            with traffic.lock:
                traffic.transport_errors += 1
                traffic.retried += 1
            time.sleep(0.1 + random.random() * 0.2)
            continue
        with traffic.lock:
            traffic.statuses[response.status_code] += 1
            if response.status_code >= 500:
                traffic.retried += 1
                if response.status_code != 503 or "Traceback" in response.text:
                    traffic.bad.append(f"{response.status_code}: {response.text[:300]}")
        if response.status_code < 500:
            return response
        time.sleep(0.1 + random.random() * 0.2 if attempt < 50 else 0.5)
    raise AssertionError(f"no answer after {tries} tries: {url}")


def visit_body(code: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "customer_code": code, "lat": LAT, "lon": LON}


def keep_busy(base: str, seed: dict[str, Any], traffic: Traffic, stop: threading.Event) -> None:
    """One client: check-ins, deals and board reads, round and round, until ``stop``."""
    rng = random.Random()
    reps = ["R1", "R2", "R3"]
    clients = {
        no: httpx.Client(headers={"Authorization": f"Bearer {seed[no]['token']}"}) for no in reps
    }
    try:
        n = 0
        while not stop.is_set():
            n += 1
            rep = rng.choice(reps)
            client = clients[rep]
            if n % 5 == 0:
                deal_no = f"L-{uuid.uuid4().hex[:12]}"
                body = {
                    "deal_no": deal_no,
                    "client_id": deal_no,
                    "employee_no": rep,
                    "customer_code": rng.choice(seed[rep]["customers"]),
                    "amount": f"{rng.randint(100, 9999)}.50",
                    "won_date": time.strftime("%Y-%m-%d"),
                }
                with traffic.lock:
                    traffic.fired += 1
                response = post_until_answered(client, f"{base}/api/v1/deals", body, traffic)
                assert response.status_code in (200, 201), response.text
                with traffic.lock:
                    traffic.acked_deals.append((time.monotonic(), deal_no))
            elif n % 7 == 0:
                client.get(f"{base}/api/v1/board/HZ", timeout=15)
            else:
                body = visit_body(rng.choice(seed[rep]["customers"]))
                with traffic.lock:
                    traffic.fired += 1
                response = post_until_answered(client, f"{base}/api/v1/visits", body, traffic)
                assert response.status_code in (200, 201), response.text
                with traffic.lock:
                    traffic.acked_visits.append((time.monotonic(), body["id"]))
    finally:
        for client in clients.values():
            client.close()


@contextlib.contextmanager
def busy(base: str, seed: dict[str, Any], clients: int = 3) -> Iterator[Traffic]:
    traffic = Traffic()
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            keep_busy(base, seed, traffic, stop)
        except BaseException as exc:  # surfaced in the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield traffic
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors


@pytest.fixture
def pg_name() -> Iterator[str]:
    if not pg_available():
        pytest.skip("pg_dump / pg_restore are not installed")
    names: list[str] = []
    base = f"tiejun_h3_{uuid.uuid4().hex[:10]}"

    def make(suffix: str = "") -> str:
        name = base + suffix
        pg_create(name)
        names.append(name)
        return name

    yield make  # type: ignore[misc]
    for name in names:
        with contextlib.suppress(Exception):
            pg_drop(name)
