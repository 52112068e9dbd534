"""``tiejun worker`` as a separate process on a scratch database: killed with SIGKILL in the middle
of a send, the next run re-sends what was in flight and every recipient gets one message."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis

from tests.notify.conftest import (
    LOOPBACK_ALLOWED,
    REDIS_URL,
    TIEJUN,
    need_redis,
    start_http,
    wait_for,
)

# runs tiejun as a subprocess on a SQLite database of its own: one CI pass is enough
pytestmark = pytest.mark.own_database

KEYS = [f"win:HZ1:2025-03-05:webhook:{n}" for n in range(3)]


@pytest.fixture(params=["sqlite", "redis"])
def worker_env(request, tmp_path, migrated_db):
    db = tmp_path / "db.sqlite3"
    shutil.copy(migrated_db, db)
    name = f"tj-test-{uuid.uuid4().hex[:10]}"
    if request.param == "redis":
        need_redis()
    queue_url = f"sqlite://{tmp_path / 'queue.sqlite3'}" if request.param == "sqlite" else REDIS_URL
    env = {
        **os.environ,
        **LOOPBACK_ALLOWED,
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": f"sqlite:///{db}",
        "TIEJUN_QUEUE_URL": queue_url,
        "TIEJUN_QUEUE_NAME": name,
        "TIEJUN_NOTIFY_LEASE_SECONDS": "1",
        "TIEJUN_NOTIFY_BACKOFF_SECONDS": "0.1",
        "TIEJUN_NOTIFY_HTTP_TIMEOUT": "30",
        "TIEJUN_RATE_WEBHOOK": "",
    }
    yield env, db
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{name}*"):
            client.delete(key)


def tiejun(env, *args, timeout=120):
    return subprocess.run(
        [str(TIEJUN), *args], env=env, check=True, timeout=timeout, capture_output=True, text=True
    )


def test_worker_killed_mid_send_then_every_recipient_gets_one(worker_env):
    env, db = worker_env
    accepted: Counter[str] = Counter()
    first_arrived, release = threading.Event(), threading.Event()

    def respond(request):
        key = request.headers["idempotency-key"]
        if not first_arrived.is_set():
            first_arrived.set()
            release.wait(30)  # a slow provider: the worker dies while waiting for it
            return 503, {"error": "never answered in time"}
        accepted[key] += 1
        return 200, {"ok": True}

    server = start_http(respond)
    try:
        # given three win flashes in the outbox, queued
        code = "from tiejun.notify.services import message_enqueue\n" + "".join(
            f"message_enqueue(channel='webhook', address='{server.url}/hook', key='{key}', "
            f"payload={{'n': {n}}})\n"
            for n, key in enumerate(KEYS)
        )
        tiejun(env, "shell", "-c", code)
        # when a worker starts sending and is killed in the middle of the first send
        worker = subprocess.Popen(
            [str(TIEJUN), "worker", "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert first_arrived.wait(60), "the worker never sent anything"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        release.set()
        with sqlite3.connect(db) as conn:
            states = dict(conn.execute("select key, status from notify_message").fetchall())
        assert list(states.values()).count("sending") == 1
        # and, once its lease has run out, the next worker runs until nothing is due
        wait_for(lambda: _lease_expired(db), timeout=10)
        tiejun(env, "worker", "--burst")
        # then every message was accepted exactly once
        assert accepted == Counter(dict.fromkeys(KEYS, 1))
        with sqlite3.connect(db) as conn:
            rows = conn.execute("select status from notify_message").fetchall()
        assert rows == [("sent",)] * 3
        # and a second burst, or sending the same keys again, sends nothing more
        tiejun(env, "shell", "-c", code)
        tiejun(env, "worker", "--burst")
        assert accepted == Counter(dict.fromkeys(KEYS, 1))
    finally:
        release.set()
        assert server.server is not None
        server.server.shutdown()
        server.server.server_close()


def _lease_expired(db: Path) -> bool:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(
            "select count(*) from notify_message where status = 'sending' "
            "and lease_until > strftime('%Y-%m-%d %H:%M:%f', 'now')"
        ).fetchone()
    return n == 0
