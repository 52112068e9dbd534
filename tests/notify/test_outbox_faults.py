"""The outbox under ``kill -9``: a real ``tiejun worker`` (two delivering threads) sends a batch of
300 e-mails to a real SMTP server on loopback and is killed with SIGKILL twice in the middle;
restarted, it delivers every message, and each kill costs at most one duplicate per delivering
thread (the message in flight when it died), which carries the same Message-ID as the first copy
so the receiver can fold them."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.migrated import migrate
from tests.notify.conftest import TIEJUN, Mailbox, SmtpServer, free_port, wait_for

pytestmark = pytest.mark.slow

BATCH = 300
THREADS = 2
KILLS = 2
LEASE = 5  # seconds a delivering thread holds a message
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class SlowMailbox(Mailbox):
    """A server that takes a few milliseconds per message, as real ones do: the kills land
    while messages are in flight."""

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        import asyncio

        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def _pg_database() -> str | None:
    try:
        import psycopg

        name = f"tiejun_outbox_fault_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name
    except Exception:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, migrated_db):
    if request.param == "sqlite":
        db = tmp_path / "db.sqlite3"
        shutil.copy(migrated_db, db)
        yield f"sqlite:///{db}", False
        return
    name = _pg_database()
    if name is None:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}", True
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sent(url: str) -> int:
    sql = "select count(*) from notify_message where status = 'sent'"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]  # type: ignore[index]


def test_two_kills_during_a_batch_lose_nothing_and_duplicate_at_most_one_per_thread(
    tmp_path: Path, database_url
):
    url, needs_migrate = database_url
    smtp = SmtpServer(SlowMailbox(), free_port())
    smtp.start()
    env = {
        **os.environ,
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": url,
        "TIEJUN_QUEUE_URL": f"sqlite://{tmp_path / 'queue.sqlite3'}",
        "TIEJUN_QUEUE_NAME": f"tj-fault-{uuid.uuid4().hex[:8]}",
        "TIEJUN_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "TIEJUN_EMAIL_FROM": "Tiejun <tiejun@example.com>",
        "TIEJUN_NOTIFY_LEASE_SECONDS": str(LEASE),
        # A worker sweeps when it starts (then every minute): with a short grace that first
        # sweep also queues the pending rows whose tasks died with a worker, and the test need
        # not wait for the next minute's sweep.
        "TIEJUN_NOTIFY_SWEEP_GRACE_SECONDS": "1",
        "TIEJUN_NOTIFY_BACKOFF_SECONDS": "0.2",
        "TIEJUN_RATE_EMAIL": "",
    }
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        worker = subprocess.Popen(
            [str(TIEJUN), "worker", "--workers", str(THREADS)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    try:
        if needs_migrate:
            migrate(env)
        # given 300 battle reports in the outbox
        subprocess.run(
            [
                str(TIEJUN),
                "shell",
                "-c",
                "from tiejun.notify.services import message_enqueue\n"
                f"for n in range({BATCH}):\n"
                "    message_enqueue(channel='email', address=f'r{n}@example.com',"
                " key=f'battle:HZ:2026-11-27:email:r{n}', subject='Battle report', text='t')\n",
            ],
            env=env,
            check=True,
            timeout=300,
        )
        # when a worker is killed with SIGKILL twice in the middle of sending them
        for kill, after in enumerate((BATCH // 4, BATCH // 2), start=1):
            worker = start_worker()
            wait_for(lambda after=after: len(smtp.mailbox.messages) >= after, timeout=180)  # type: ignore[misc]
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            assert _sent(url) < BATCH, f"kill {kill} came after the batch"
        # and restarted once the dead ones' leases have run out: its first sweep finds what
        # they held
        time.sleep(LEASE + 0.5)
        start_worker()
        wait_for(lambda: _sent(url) == BATCH, timeout=240)
        time.sleep(1)  # a straggler would show now
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
        smtp.stop()
    # then every message was delivered
    copies = Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages)
    assert set(copies) == {f"r{n}@example.com" for n in range(BATCH)}
    # and each kill cost at most one duplicate per delivering thread
    duplicates = sum(copies.values()) - BATCH
    print(f"\nFIGURES outbox kill -9: {BATCH} messages, {KILLS} kills, {duplicates} duplicates")
    assert duplicates <= KILLS * THREADS
    # and a duplicate carries the Message-ID of the first copy
    ids: dict[str, set[str]] = {}
    for mail in smtp.mailbox.messages:
        ids.setdefault(mail["X-Envelope-To"], set()).add(mail["Message-ID"])
    assert all(len(found) == 1 for found in ids.values())
    assert len({next(iter(found)) for found in ids.values()}) == BATCH
