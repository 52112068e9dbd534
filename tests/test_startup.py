"""What every process pays at start-up: the libraries only a few callers need stay unimported
until one of them runs (docs/architecture.md, "Imports at module level"). The URLs (pages, API,
links in reports) bring openpyxl with the spreadsheet exports; scipy and httpx not even then."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LATE = ("scipy", "httpx", "openpyxl")
LATE_EVEN_WITH_THE_URLS = ("scipy", "httpx")

_PROBE = """
import json, sys
import django
django.setup()
after_setup = sorted(m for m in {late} if m in sys.modules)
import tiejun.urls  # every page and API schema, as a served worker loads them
after_urls = sorted(m for m in {late_urls} if m in sys.modules)
print(json.dumps([after_setup, after_urls]))
"""


def test_setup_and_the_urls_leave_the_late_libraries_unimported(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiejun.settings",
        "TIEJUN_HOME": str(tmp_path),
        "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(late=LATE, late_urls=LATE_EVEN_WITH_THE_URLS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    after_setup, after_urls = json.loads(done.stdout.strip().splitlines()[-1])
    assert after_setup == []
    assert after_urls == []
