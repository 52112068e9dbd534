"""Backups: write the database to one file and restore it, on SQLite and on PostgreSQL.

SQLite goes through its online backup API: one step copies a consistent snapshot while the app
keeps serving (in WAL mode the copy holds a read transaction, writers carry on). PostgreSQL goes
through ``pg_dump --format=custom``, started on a snapshot exported by a REPEATABLE READ
transaction in which the rows are counted too: the summary describes exactly what the file holds.

Either way the file is written beside its final name and renamed into place, so a half-written
backup never carries the name of a good one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
PG_TIMEOUT = 3600  # seconds pg_dump / pg_restore may take


@dataclass
class BackupSummary:
    path: Path
    engine: str
    bytes: int
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "engine": self.engine,
            "bytes": self.bytes,
            "table_count": len(self.tables),
            "rows": self.rows,
            "tables": self.tables,
        }


@dataclass
class RestoreSummary:
    path: Path
    engine: str
    database: str
    unapplied: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def engine() -> str:
    """``sqlite`` or ``postgresql``: the engines backups support; anything else is refused."""
    name = settings.DATABASES["default"]["ENGINE"]
    if name.endswith("sqlite3"):
        return "sqlite"
    if name.endswith(("postgresql", "postgis")):
        return "postgresql"
    raise TiejunError(
        _("Backups support SQLite and PostgreSQL; this database is %(engine)s.") % {"engine": name}
    )


def _database_label() -> str:
    db = settings.DATABASES["default"]
    if engine() == "sqlite":
        return str(db["NAME"])
    return f"{db.get('NAME')} @ {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"


# --- writing ------------------------------------------------------------------------------


def _temp_beside(target: Path) -> Path:
    """An empty temporary file in the target's folder (so the final rename is atomic)."""
    folder = target.parent
    if not folder.is_dir():
        raise TiejunError(
            _("Cannot write %(path)s: the folder %(folder)s does not exist.")
            % {"path": target, "folder": folder}
        )
    if target.is_dir():
        raise TiejunError(_("Cannot write %(path)s: it is a folder.") % {"path": target})
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise TiejunError(
            _("Cannot write %(path)s: %(reason)s") % {"path": target, "reason": exc.strerror}
        ) from None
    os.close(fd)
    return Path(name)


def _publish(temp: Path, target: Path) -> None:
    os.replace(temp, target)
    with contextlib.suppress(OSError):  # not every file system syncs a folder
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backup_write(*, path: Path) -> BackupSummary:
    """Write a backup of the database to ``path`` (replacing a file there only once the new one
    is complete). Raises ``TiejunError`` with a message fit to show when it cannot."""
    kind = engine()
    target = Path(path).expanduser().absolute()
    temp = _temp_beside(target)
    try:
        tables = _sqlite_backup(temp) if kind == "sqlite" else _pg_backup(temp)
        size = temp.stat().st_size
        _publish(temp, target)
    except OSError as exc:
        raise TiejunError(
            _("Cannot write %(path)s: %(reason)s") % {"path": target, "reason": exc.strerror or exc}
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return BackupSummary(path=target, engine=kind, bytes=size, tables=tables)


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608


def _sqlite_backup(temp: Path) -> dict[str, int]:
    source_name = Path(settings.DATABASES["default"]["NAME"])
    if not source_name.is_file():
        raise TiejunError(_("There is no database at %(path)s to back up.") % {"path": source_name})
    source = sqlite3.connect(source_name, timeout=20)
    target = sqlite3.connect(temp)
    try:
        # One step (pages=-1): the whole copy reads one snapshot. Small steps would restart
        # whenever the app writes in between, and might never finish on a busy day.
        source.backup(target, pages=-1)
        # The file stands alone: no write-ahead log beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise TiejunError(
                _("The copy failed its integrity check: %(check)s") % {"check": check}
            )
        return _sqlite_tables(target)
    except sqlite3.Error as exc:
        raise TiejunError(_("The backup failed: %(reason)s") % {"reason": exc}) from None
    finally:
        target.close()
        source.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise TiejunError(
            _(
                "%(tool)s is not installed; install the PostgreSQL client programs "
                "(Debian: apt-get install postgresql-client)."
            )
            % {"tool": name}
        )
    return found


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for pg_dump / pg_restore from DATABASES: the
    password travels in PGPASSWORD, never on a command line (where ``ps`` shows it)."""
    db = settings.DATABASES["default"]
    args = ["--no-password"]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    options = db.get("OPTIONS") or {}
    for option, variable in [
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ]:
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _pg_run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise TiejunError(_("%(tool)s took too long and was stopped.") % {"tool": what}) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise TiejunError(_("%(tool)s failed: %(reason)s") % {"tool": what, "reason": reason})
    return done.stdout


def _pg_tables() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


def _pg_backup(temp: Path) -> dict[str, int]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_connection_args()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        # Counted in the snapshot pg_dump reads: the summary is what the file holds.
        tables = _pg_tables()
        _pg_run(
            [
                pg_dump,
                *args,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={temp}",
                "--dbname",
                str(settings.DATABASES["default"]["NAME"]),
            ],
            env,
            "pg_dump",
        )
    return tables


# --- checking and restoring -----------------------------------------------------------------


def _not_a_backup(path: Path, kind: str) -> TiejunError:
    what = _("an SQLite database") if kind == "sqlite" else _("a pg_dump custom-format archive")
    return TiejunError(
        _(
            "%(path)s is not a Tiejun backup for this database (%(engine)s): expected %(what)s "
            "with Tiejun's tables. Nothing was changed."
        )
        % {"path": path, "engine": kind, "what": what}
    )


def backup_check(*, path: Path) -> str:
    """Refuse (``TiejunError``) a file that is not a backup this database can restore; return
    the engine's name."""
    kind = engine()
    source = Path(path).expanduser().absolute()
    if not source.is_file():
        raise TiejunError(_("There is no file %(path)s.") % {"path": source})
    try:
        with source.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise TiejunError(
            _("Cannot read %(path)s: %(reason)s") % {"path": source, "reason": exc.strerror}
        ) from None
    if kind == "sqlite":
        if head != SQLITE_MAGIC or not _sqlite_is_tiejun(source):
            raise _not_a_backup(source, kind)
    else:
        if not head.startswith(PG_MAGIC):
            raise _not_a_backup(source, kind)
        listing = _pg_run(
            [_pg_tool("pg_restore"), "--list", str(source)], dict(os.environ), "pg_restore"
        )
        if " django_migrations " not in listing:
            raise _not_a_backup(source, kind)
    return kind


def _sqlite_is_tiejun(source: Path) -> bool:
    try:
        conn = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return False
            found = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('django_migrations', 'org_person')"
            ).fetchone()[0]
            return found == 2
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def backup_restore(*, path: Path) -> RestoreSummary:
    """Replace the database's contents with the backup at ``path``; checks it first and changes
    nothing when it is not a backup of this engine."""
    kind = backup_check(path=path)
    source = Path(path).expanduser().absolute()
    if kind == "sqlite":
        _sqlite_restore(source)
    else:
        _pg_restore(source)
    connection.close()  # the next query sees the restored database, with fresh statements
    unapplied, unknown = _migration_state()
    return RestoreSummary(
        path=source,
        engine=kind,
        database=_database_label(),
        unapplied=unapplied,
        unknown=unknown,
    )


def _sqlite_restore(source: Path) -> None:
    """Through the backup API into the live file: it takes the database's write lock, so the
    app's connections wait (up to their busy timeout) and then see the restored rows. Copying
    the file over an open database instead would corrupt it."""
    live = Path(settings.DATABASES["default"]["NAME"])
    if not live.parent.is_dir():
        raise TiejunError(_("The folder %(folder)s does not exist.") % {"folder": live.parent})
    connection.close()
    backup = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(live, timeout=60)
    try:
        backup.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise TiejunError(_("The restore failed: %(reason)s") % {"reason": exc}) from None
    finally:
        target.close()
        backup.close()


def _pg_restore(source: Path) -> None:
    args, env = _pg_connection_args()
    connection.close()
    _pg_run(
        [
            _pg_tool("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(settings.DATABASES["default"]["NAME"]),
            str(source),
        ],
        env,
        "pg_restore",
    )


def _migration_state() -> tuple[list[str], list[str]]:
    """Migrations this code has that the restored database lacks (run ``tiejun migrate``), and
    migrations the database records that this code does not know (a newer Tiejun's backup)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    applied = set(loader.applied_migrations)
    ours = {app for app, _name in known}
    unapplied = sorted(f"{a}.{n}" for a, n in known - applied)
    unknown = sorted(f"{a}.{n}" for a, n in applied - known if a in ours)
    return unapplied, unknown
