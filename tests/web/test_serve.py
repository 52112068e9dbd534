"""``tiejun serve`` serves the app: a real gunicorn on a free port against a scratch database."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.migrated import migrate

# runs tiejun as a subprocess on a SQLite database of its own: one CI pass is enough
pytestmark = pytest.mark.own_database

TIEJUN = Path(sys.executable).with_name("tiejun")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_serve_answers_the_login_page(tmp_path):
    env = {
        **os.environ,
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
    }
    migrate(env, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [str(TIEJUN), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, body = None, ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.3)
        assert status == 200
        assert "<form" in body
        static_status, _ = get(f"http://127.0.0.1:{port}/static/web/tiejun.css")
        assert static_status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    assert server.returncode == 0
