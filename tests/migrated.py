"""Scratch databases for tests that drive ``tiejun`` as a subprocess, migrated once per test process.

``tiejun migrate`` on an empty database takes about ten seconds; a dozen tests (served apps,
backups, workers, races) each need a fresh migrated database. The first one runs the real command
into a template (a SQLite file; a PostgreSQL template database); the others get a copy of it: the
same schema, data-migration rows and PostgreSQL triggers, byte for byte. A database that is not
empty, or an environment the template was not made with, is migrated for real.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

TIEJUN = Path(sys.executable).with_name("tiejun")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Settings that cannot change what ``migrate`` writes: where things live and how the running app
# behaves. Any other TIEJUN_* variable is part of a template's key.
_RUNTIME_ONLY = (
    "TIEJUN_HOME",
    "TIEJUN_DATABASE_URL",
    "TIEJUN_QUEUE_URL",
    "TIEJUN_QUEUE_NAME",
    "TIEJUN_EMBEDDED_WORKER",
    "TIEJUN_CHECKIN_MERGE_MINUTES",
    "TIEJUN_EMAIL_URL",
    "TIEJUN_EMAIL_FROM",
    "TIEJUN_NOTIFY_",
    "TIEJUN_RATE_",
)

_templates: dict[tuple, str] = {}  # key → SQLite file path or PostgreSQL template database name
_pg_made: list[str] = []  # PostgreSQL templates this process created, dropped at the end
_folder: Path | None = None


def _key(env: dict[str, str], engine: str) -> tuple:
    kept = sorted(
        (k, v)
        for k, v in env.items()
        if k.startswith("TIEJUN_") and not k.startswith(_RUNTIME_ONLY)
    )
    return (engine, tuple(kept), env.get("DJANGO_SETTINGS_MODULE", ""))


def _run_migrate(env: dict[str, str], timeout: float) -> None:
    done = subprocess.run(
        [str(TIEJUN), "migrate", "--no-input", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"tiejun migrate → {done.returncode}\n{done.stderr}")


def _scratch_folder() -> Path:
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="tiejun-migrated-"))
    return _folder


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        conn.close()


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def _pg_is_empty(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        ).fetchone()
    return row is not None and row[0] == 0


def migrate(env: dict[str, str], timeout: float = 600) -> None:
    """What ``tiejun migrate --no-input`` does to the empty database at env's
    ``TIEJUN_DATABASE_URL``, from this process's template of it."""
    url = env["TIEJUN_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        _sqlite(env, Path(url.removeprefix("sqlite:///")), timeout)
    elif (
        url.startswith(("postgresql://", "postgres://"))
        and url.rsplit("/", 1)[0] == (PG_ADMIN.rsplit("/", 1)[0])
    ):
        _postgresql(env, url, timeout)
    else:
        _run_migrate(env, timeout)


def _sqlite(env: dict[str, str], target: Path, timeout: float) -> None:
    if not _sqlite_is_empty(target):
        _run_migrate(env, timeout)
        return
    key = _key(env, "sqlite")
    template = _templates.get(key)
    if template is None:
        home = _scratch_folder() / f"sqlite-{len(_templates)}"
        home.mkdir()
        template = str(home / "template.sqlite3")
        _run_migrate(
            {**env, "TIEJUN_HOME": str(home), "TIEJUN_DATABASE_URL": f"sqlite:///{template}"},
            timeout,
        )
        conn = sqlite3.connect(template)  # fold any write-ahead log into the file
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _templates[key] = template
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{target}{suffix}").unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


def _postgresql(env: dict[str, str], url: str, timeout: float) -> None:
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if not _pg_is_empty(url):
        _run_migrate(env, timeout)
        return
    key = _key(env, "postgresql")
    template = _templates.get(key)
    if template is None:
        template = f"tiejun_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        _pg_made.append(template)
        home = _scratch_folder() / f"pg-{len(_templates)}"
        home.mkdir()
        _run_migrate(
            {
                **env,
                "TIEJUN_HOME": str(home),
                "TIEJUN_DATABASE_URL": f"{PG_ADMIN.rsplit('/', 1)[0]}/{template}",
            },
            timeout,
        )
        _templates[key] = template
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def cleanup() -> None:
    """Drop this process's PostgreSQL templates and remove its SQLite ones."""
    global _folder
    _templates.clear()
    while _pg_made:
        template = _pg_made.pop()
        with contextlib.suppress(Exception), _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None


atexit.register(cleanup)
