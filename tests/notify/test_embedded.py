"""``tiejun serve`` runs the queue worker beside the web server and stops it with itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.notify.conftest import LOOPBACK_ALLOWED, TIEJUN, free_port, start_http, wait_for

# runs tiejun as a subprocess on a SQLite database of its own: one CI pass is enough
pytestmark = pytest.mark.own_database


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_serve_delivers_through_its_embedded_worker(tmp_path, migrated_db):
    db = tmp_path / "db.sqlite3"
    shutil.copy(migrated_db, db)
    env = {
        **os.environ,
        **LOOPBACK_ALLOWED,
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": f"sqlite:///{db}",
        "TIEJUN_QUEUE_URL": f"sqlite://{tmp_path / 'queue.sqlite3'}",
        "TIEJUN_EMBEDDED_WORKER": "1",
    }
    server = start_http(lambda request: (200, {"ok": True}))
    serve = None
    try:
        subprocess.run(
            [
                str(TIEJUN),
                "shell",
                "-c",
                "from tiejun.notify.services import message_enqueue\n"
                f"message_enqueue(channel='webhook', address='{server.url}/hook', key='flash:1')",
            ],
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
        serve = subprocess.Popen(
            [str(TIEJUN), "serve", "--port", str(free_port()), "--workers", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for(lambda: len(server.requests) == 1, timeout=60)
        consumers = [
            pid
            for pid in children(serve.pid)
            if b"tiejun.cli\x00worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(consumers) == 1
        serve.terminate()
        serve.communicate(timeout=60)
        assert serve.returncode == 0
        time.sleep(0.2)
        assert not Path(f"/proc/{consumers[0]}").exists()
        assert server.requests[0].headers["idempotency-key"] == "flash:1"
    finally:
        if serve is not None and serve.poll() is None:
            serve.kill()
        assert server.server is not None
        server.server.shutdown()
        server.server.server_close()
