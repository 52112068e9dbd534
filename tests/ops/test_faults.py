"""Faults, injected for real: the database restarts during a check-in burst; Redis goes away while
battle reports queue; the SQLite database turns read-only or its disk fills up.

The goal in every case: nothing lost, nothing twice, and a clear message instead of a traceback.
Each test prints its figures (``pytest -s tests/ops/test_faults.py``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.notify.conftest import Mailbox, SmtpServer
from tests.ops.conftest import (
    TIEJUN,
    Traffic,
    consistency,
    figures,
    free_port,
    migrate_and_seed,
    post_until_answered,
    query,
    scratch_env,
    served,
    tiejun,
    visit_body,
)

pytestmark = pytest.mark.slow


# --- a private PostgreSQL, to restart at will ---------------------------------------------------


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@dataclass
class PrivatePostgres:
    bindir: Path
    base: Path
    port: int
    as_owner: list[str]

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/tiejun"

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("-l", str(self.base / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb into a scratch folder and start it on a free port: never the machine's own server.
    PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("the PostgreSQL server programs are not installed")
    base = Path(tempfile.mkdtemp(prefix="tj-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    pg = PrivatePostgres(bindir, base, free_port(), as_owner)
    subprocess.run(
        [
            *as_owner,
            str(bindir / "initdb"),
            "-D",
            str(pg.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "--no-locale",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pg.start()
    try:
        import psycopg

        with psycopg.connect(pg.url.replace("/tiejun", "/postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE tiejun")
        yield pg
    finally:
        with contextlib.suppress(Exception):
            pg.ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _login(client: httpx.Client, base: str, username: str) -> None:
    client.get(f"{base}/login/")
    response = client.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": "tiejun-test-pass",
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
    )
    assert response.status_code in (200, 302), response.text[:500]


def test_database_restart_during_a_check_in_burst(private_postgres, tmp_path):
    # given the app on a PostgreSQL of its own, three gunicorn workers, six phones
    env = scratch_env(tmp_path, private_postgres.url)
    seed = migrate_and_seed(env)
    phones, per_phone = 6, 40
    fired: list[str] = []
    traffic = Traffic()
    with served(env, workers=3, threads=4) as base:
        browser = httpx.Client()
        _login(browser, base, "R1")

        def phone(rep: str) -> None:
            codes = seed[rep]["customers"]
            with httpx.Client(headers={"Authorization": f"Bearer {seed[rep]['token']}"}) as c:
                for n in range(per_phone):
                    body = visit_body(codes[n % len(codes)])
                    with traffic.lock:
                        fired.append(body["id"])
                        traffic.fired += 1
                    response = post_until_answered(c, f"{base}/api/v1/visits", body, traffic)
                    assert response.status_code in (200, 201), response.text
                    with traffic.lock:
                        traffic.acked_visits.append((time.monotonic(), body["id"]))

        errors: list[BaseException] = []

        def run(rep: str) -> None:
            try:
                phone(rep)
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(["R1", "R2", "R3"][i % 3],), daemon=True)
            for i in range(phones)
        ]
        for thread in threads:
            thread.start()
        # when, a third of the way through, the database goes down and comes back
        deadline = time.monotonic() + 120
        while len(traffic.acked_visits) < phones * per_phone // 3:
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.02)
        private_postgres.stop()
        down_at = time.monotonic()
        # then, while it is down, the API and the pages answer 503 at once, not a hang
        probe = httpx.post(
            f"{base}/api/v1/visits",
            json=visit_body(seed["R1"]["customers"][0]),
            headers={"Authorization": f"Bearer {seed['R1']['token']}"},
            timeout=15,
        )
        page = browser.get(f"{base}/", timeout=15)
        time.sleep(1.0)
        private_postgres.start()
        down_seconds = time.monotonic() - down_at
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        browser.close()
    log = served.last_log  # type: ignore[attr-defined]
    assert probe.status_code == 503, probe.text
    assert probe.json()["detail"] == (
        "The database is not available right now. Please try again in a moment."
    )
    assert probe.headers["Retry-After"] == "5"
    assert page.status_code == 503, page.text[:500]
    assert "The database is not available right now" in page.text
    assert "Traceback" not in page.text
    # and every check-in landed exactly once, and the board counts each once
    landed = {
        str(uuid.UUID(str(r[0]))) for r in query(private_postgres.url, "SELECT id FROM field_visit")
    }
    facts = consistency(private_postgres.url)
    figures(
        "db-restart",
        visits_fired=traffic.fired,
        retries=traffic.retried,
        answers=dict(traffic.statuses),
        connection_errors=traffic.transport_errors,
        landed=facts["visits"],
        duplicates=facts["visits"] - len(landed),
        lost=len(set(fired) - landed),
        visit_facts=facts["visit_facts"],
        db_down_seconds=round(down_seconds, 2),
        tracebacks_in_server_log=log.count("Traceback"),
    )
    assert traffic.retried > 0, "the restart was not felt: the test proves nothing"
    assert traffic.bad == [], traffic.bad[:3]
    assert landed == set(fired)
    assert facts["visits"] == len(fired) == phones * per_phone
    assert facts["visit_facts"] == facts["visits"]
    assert "Traceback" not in log, log[-3000:]


# --- Redis goes away while battle reports queue -----------------------------------------------


@dataclass
class PrivateRedis:
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(free_port())
    server.start()
    yield server
    server.kill()


def test_redis_goes_away_while_battle_reports_queue(private_redis, tmp_path):
    # given a worker on a Redis queue, a real SMTP server, six e-mail subscribers
    smtp = SmtpServer(Mailbox(), free_port())
    smtp.start()
    env = scratch_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        TIEJUN_QUEUE_URL=private_redis.url,
        TIEJUN_QUEUE_NAME=f"tj-h3-{uuid.uuid4().hex[:8]}",
        TIEJUN_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        TIEJUN_EMAIL_FROM="Tiejun <tiejun@example.com>",
        TIEJUN_NOTIFY_BACKOFF_SECONDS="0.2",
        TIEJUN_NOTIFY_BACKOFF_MAX_SECONDS="0.5",
    )
    migrate_and_seed(env, also="subscribe")
    units, days = ("HZ1", "HZ2", "NB1"), [dt.date(2026, 11, d) for d in (24, 25, 26)]
    worker = subprocess.Popen(
        [str(TIEJUN), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def send(day: dt.date) -> int:
            queued = 0
            for code in units:
                done = tiejun(env, "report", "send", "battle", code, "--date", day.isoformat())
                queued += json.loads(done.stdout)["queued"]
            return queued

        def wait_mail(count: int, timeout: float = 60) -> None:
            deadline = time.monotonic() + timeout
            while len(smtp.mailbox.messages) < count:
                assert time.monotonic() < deadline, f"{len(smtp.mailbox.messages)} of {count}"
                time.sleep(0.1)

        # the first evening goes out through Redis as usual
        queued_up = send(days[0])
        wait_mail(queued_up)
        # when Redis dies and two more evenings are queued
        private_redis.kill()
        queued_down = send(days[1]) + send(days[2])  # each command exits 0
        pending = query(
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SELECT count(*) FROM notify_message WHERE status = 'pending'",
        )[0][0]
        assert pending == queued_down  # in the outbox, waiting
        time.sleep(1.0)
        worker_survived = worker.poll() is None
        # and Redis comes back, empty (the tasks queued while it was down are gone)
        private_redis.start()
        burst = tiejun(env, "worker", "--burst")
        wait_mail(queued_up + queued_down)
        # and the same reports are sent again, and another burst runs
        resent = send(days[1]) + send(days[2])
        tiejun(env, "worker", "--burst")
        time.sleep(1.0)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            _, worker_err = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, worker_err = worker.communicate(timeout=10)
        smtp.stop()
    # then every subscriber got each evening's report exactly once
    ids = Counter(m["Message-ID"] for m in smtp.mailbox.messages)
    per_recipient = Counter((m["X-Envelope-To"], m["Subject"]) for m in smtp.mailbox.messages)
    sent = query(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SELECT count(*) FROM notify_message WHERE status = 'sent'",
    )[0][0]
    figures(
        "redis-outage",
        queued_with_redis_up=queued_up,
        queued_with_redis_down=queued_down,
        worker_survived_outage=worker_survived,
        emails_received=len(smtp.mailbox.messages),
        outbox_sent=sent,
        duplicates=sum(n - 1 for n in ids.values()),
        lost=queued_up + queued_down - len(ids),
        resent_on_repeat=resent,
    )
    assert queued_up == len(units) * 2
    assert queued_down == 2 * len(units) * 2
    assert resent == 0
    assert len(smtp.mailbox.messages) == sent == queued_up + queued_down
    assert set(ids.values()) == {1}
    assert set(per_recipient.values()) == {1}
    assert "tasks run" in burst.stdout
    assert worker_survived, worker_err[-2000:]


# --- SQLite read-only and full ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_company(tmp_path_factory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("tj-faults-sqlite")
    env = scratch_env(home, f"sqlite:///{home / 'db.sqlite3'}")
    seed = migrate_and_seed(env)
    return home, seed


@pytest.mark.parametrize(
    ("settings_module", "message"),
    [
        ("tests.ops.settings_readonly", "The database is read-only"),
        ("tests.ops.settings_diskfull", "The disk is full"),
    ],
)
def test_a_read_only_or_full_sqlite_database_gives_clear_messages(
    sqlite_company, tmp_path, settings_module, message
):
    # given a copy of a company's database that can no longer be written to
    home, seed = sqlite_company
    shutil.copy(home / "db.sqlite3", tmp_path / "db.sqlite3")
    vacuum = sqlite3.connect(tmp_path / "db.sqlite3")
    vacuum.execute("VACUUM")  # no free pages inside the file either: it is full
    vacuum.close()
    env = scratch_env(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE=settings_module
    )
    big = "x" * 300_000  # needs new pages wherever it goes
    # when a command writes
    cli = tiejun(env, "shell", "-c", _cli_write(big), check=False)
    token = tiejun(env, "token", "create", "R2", check=False)
    # then it stops with one line, no traceback
    for done in (cli, token) if "read-only" in message else (cli,):
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        lines = [x for x in done.stderr.splitlines() if x.startswith("tiejun:")]
        assert len(lines) == 1 and message in lines[0], done.stderr
    # and when the app serves it, pages and the API answer 503 with the message
    read_only = "read-only" in message
    with served(env, workers=1, threads=2) as base:
        api = httpx.Client(headers={"Authorization": f"Bearer {seed['R1']['token']}"})
        checkin = api.post(f"{base}/api/v1/visits", json=visit_body(seed["R1"]["customers"][0]))
        fault = checkin
        if checkin.status_code == 201:  # a full database may still find room for a small row
            fault = api.post(
                f"{base}/api/v1/visits/{checkin.json()['id']}/checkout", json={"notes": big}
            )
        browser = httpx.Client()
        login = _login_response(browser, base)
        page = login
        if login.status_code == 302:
            page = browser.post(
                f"{base}/field/reports/mine/",
                data={
                    # today's report: a date before the previous working day is refused (400)
                    "date": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
                    **dict.fromkeys(["visited", "feedback", "problems", "won"], "铁" * 5000),
                    "action": "save",
                    "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
                },
                headers={"Referer": f"{base}/field/reports/mine/"},
            )
        api.close()
        browser.close()
    log = served.last_log  # type: ignore[attr-defined]
    figures(
        f"sqlite-{'read-only' if read_only else 'disk-full'}",
        cli_exit=cli.returncode,
        checkin=checkin.status_code,
        api_write=fault.status_code,
        login=login.status_code,
        page_write=page.status_code,
        tracebacks=log.count("Traceback"),
    )
    # the API: JSON, 503, Retry-After
    if read_only:
        assert checkin.status_code == 503
    assert fault.status_code == 503, fault.text
    assert message in fault.json()["detail"]
    assert fault.headers["Retry-After"] == "5"
    # a page (logging in writes too): 503 with the message, no traceback
    if read_only:
        assert login.status_code == 503
    assert page.status_code == 503, page.text[:500]
    assert message in page.text and "Traceback" not in page.text
    assert "Traceback" not in log, log[-3000:]


def _cli_write(big: str) -> str:
    return (
        "from tiejun.org.models import Person; "
        f"Person.objects.filter(employee_no='R1').update(name='{big[:200]}' * 1500)"
    )


def _login_response(client: httpx.Client, base: str) -> httpx.Response:
    client.get(f"{base}/login/")
    return client.post(
        f"{base}/login/",
        data={
            "username": "R1",
            "password": "tiejun-test-pass",
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
    )
