"""Backups: write the database to one file and restore it, on SQLite and on PostgreSQL.

SQLite goes through its online backup API: one step copies a consistent snapshot while the app
keeps serving (in WAL mode the copy holds a read transaction, writers carry on). PostgreSQL goes
through ``pg_dump --format=custom``, started on a snapshot exported by a REPEATABLE READ
transaction in which the rows are counted too: the summary describes exactly what the file holds.

Either way the file is written beside its final name and renamed into place, so a half-written
backup never carries the name of a good one.

The file is a tar archive: the database copy (``database.sqlite3`` or ``database.pgdump``), the
uploaded files (check-in photos, red-line evidence: ``MEDIA_ROOT``) under ``media/``,
``manifest.json`` (format version, engine, applied migrations, row counts, the copy's size and
SHA-256, its triggers, each file's size and SHA-256) and ``manifest.sig``, an HMAC-SHA256 of the
manifest with a key derived from ``TIEJUN_SECRET_KEY``. A backup made before files were kept has
no ``media`` list and restores the database only. A restore refuses a file whose signature, manifest,
checksum or schema objects do not match (a copy edited, re-dumped or signed with another key)
unless told ``trust_unsigned``, and then lists what it did not verify. After any restore on
PostgreSQL it checks that the audit trail's immutability triggers exist, and puts them back if not.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
PG_TIMEOUT = 3600  # seconds pg_dump / pg_restore may take
FORMAT = "tiejun-backup"
FORMAT_VERSION = 1
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SIGNING_SALT = "tiejun.ops.backup.v1"
# The audit trail's immutability triggers (audit migrations 0002 and 0003), on PostgreSQL.
AUDIT_TRIGGERS = {
    "audit_entry_immutable": ("audit", "0002_immutable_trigger"),
    "audit_entry_no_truncate": ("audit", "0003_immutable_truncate_trigger"),
}


@dataclass
class BackupSummary:
    path: Path
    engine: str
    bytes: int
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0  # uploaded files (MEDIA_ROOT) in the backup

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
            "files": self.files,
        }


@dataclass
class RestoreSummary:
    path: Path
    engine: str
    database: str
    unapplied: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_verified: list[str] = field(default_factory=list)  # said loudly by the command
    repaired: list[str] = field(default_factory=list)  # triggers put back after the restore
    files: int = 0  # uploaded files put back (MEDIA_ROOT now holds exactly these)


@dataclass
class BackupCheck:
    """What a restore would read: the engine, the database copy, and what was not verified."""

    engine: str
    signed: bool
    not_verified: list[str] = field(default_factory=list)
    files: int | None = None  # uploaded files in the backup; None: it has no file list


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
    payload = _temp_beside(target)
    try:
        if kind == "sqlite":
            tables, migrations = _sqlite_backup(payload)
        else:
            tables, migrations = _pg_backup(payload)
        media = _media_files()
        manifest = _manifest(kind, payload, tables, migrations, media)
        _write_signed(temp, kind, payload, manifest, media)
        size = temp.stat().st_size
        _publish(temp, target)
    except OSError as exc:
        raise TiejunError(
            _("Cannot write %(path)s: %(reason)s") % {"path": target, "reason": exc.strerror or exc}
        ) from None
    finally:
        for leftover in (temp, payload):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return BackupSummary(path=target, engine=kind, bytes=size, tables=tables, files=len(media))


# --- uploaded files -----------------------------------------------------------------------------

MEDIA_PREFIX = "media/"


def _media_files() -> dict[str, Path]:
    """The files under MEDIA_ROOT by their relative POSIX name (symbolic links and the partial
    files of an upload in progress are left out)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.endswith(".partial"):
            continue
        found[path.relative_to(root).as_posix()] = path
    return found


def _safe_media_name(name: object) -> TypeGuard[str]:
    """A relative name inside MEDIA_ROOT (no absolute path, no ``..``, no empty part)."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _media_extract(archive: tarfile.TarFile, manifest: dict[str, Any], into: Path) -> list[str]:
    """Copy the backup's files (by the manifest's names only) into ``into``, checking each
    against the manifest's size and SHA-256; the problems found."""
    listed = manifest.get("media")
    if not isinstance(listed, list):
        return [_("its list of uploaded files is not readable")]
    problems = []
    for entry in listed:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not _safe_media_name(name):
            problems.append(_("it names an uploaded file outside the media folder"))
            continue
        try:
            member = archive.extractfile(MEDIA_PREFIX + name)
        except KeyError:
            member = None
        if member is None:
            problems.append(_("the uploaded file %(name)s is missing") % {"name": name})
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for block in iter(lambda: member.read(1 << 20), b""):  # noqa: B023 - read at once
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != entry.get("sha256") or target.stat().st_size != entry.get("bytes"):
            problems.append(
                _("the uploaded file %(name)s does not match the manifest") % {"name": name}
            )
    return problems


def _media_swap(staged: Path) -> None:
    """Make MEDIA_ROOT the restored files: the staged folder is renamed into place and the old
    one removed (a file uploaded after the backup goes with the rows that named it)."""
    root = Path(settings.MEDIA_ROOT)
    old = root.with_name(f".{root.name}.old.{os.getpid()}")
    if root.exists():
        root.rename(old)
    staged.rename(root)
    shutil.rmtree(old, ignore_errors=True)


# --- the manifest and its signature -------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def _signature(manifest: dict[str, Any]) -> str:
    return salted_hmac(
        SIGNING_SALT, _manifest_bytes(manifest), secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _manifest(
    kind: str,
    payload: Path,
    tables: dict[str, int],
    migrations: list[str],
    media: dict[str, Path],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "engine": kind,
        "migrations": migrations,
        "tables": tables,
        "payload": {"name": PAYLOAD[kind], "bytes": payload.stat().st_size},
        "sha256": _sha256(payload),
        "triggers": _payload_triggers(kind, payload),
        "media": [
            {"name": name, "bytes": path.stat().st_size, "sha256": _sha256(path)}
            for name, path in media.items()
        ],
    }


def _write_signed(
    temp: Path, kind: str, payload: Path, manifest: dict[str, Any], media: dict[str, Path]
) -> None:
    def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        archive.addfile(info, io.BytesIO(data))

    with tarfile.open(temp, "w", format=tarfile.PAX_FORMAT) as archive:
        add_bytes(archive, MANIFEST, _manifest_bytes(manifest))
        add_bytes(archive, SIGNATURE, _signature(manifest).encode())
        archive.add(payload, arcname=PAYLOAD[kind], recursive=False)
        for name, path in media.items():
            archive.add(path, arcname=MEDIA_PREFIX + name, recursive=False)


def _payload_triggers(kind: str, payload: Path) -> list[str]:
    """The triggers the database copy creates, by name (schema objects a restore would run)."""
    if kind == "sqlite":
        conn = sqlite3.connect(f"{payload.as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            ).fetchall()
        finally:
            conn.close()
        return [row[0] for row in rows]
    listing = _pg_run(
        [_pg_tool("pg_restore"), "--list", str(payload)], dict(os.environ), "pg_restore"
    )
    found = []
    for line in listing.splitlines():
        # "217; 2620 16500 TRIGGER public audit_auditentry audit_entry_immutable postgres"
        parts = line.split()
        if not line.startswith(";") and " TRIGGER " in line and len(parts) >= 7:
            found.append(parts[-2])
    return sorted(found)


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608


def _sqlite_backup(temp: Path) -> tuple[dict[str, int], list[str]]:
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
        migrations = [
            f"{app}.{name}"
            for app, name in target.execute(
                "SELECT app, name FROM django_migrations ORDER BY app, name"
            )
        ]
        return _sqlite_tables(target), migrations
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


def _pg_backup(temp: Path) -> tuple[dict[str, int], list[str]]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_connection_args()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        # Counted in the snapshot pg_dump reads: the summary is what the file holds.
        tables = _pg_tables()
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
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
    return tables, migrations


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


def _source(path: Path) -> Path:
    source = Path(path).expanduser().absolute()
    if not source.is_file():
        raise TiejunError(_("There is no file %(path)s.") % {"path": source})
    try:
        with source.open("rb") as handle:
            handle.read(16)
    except OSError as exc:
        raise TiejunError(
            _("Cannot read %(path)s: %(reason)s") % {"path": source, "reason": exc.strerror}
        ) from None
    return source


def _is_raw_backup(source: Path, kind: str) -> bool:
    """A database copy without Tiejun's signature: an older backup, or a file from elsewhere."""
    with source.open("rb") as handle:
        head = handle.read(16)
    if kind == "sqlite":
        return head == SQLITE_MAGIC and _sqlite_is_tiejun(source)
    if not head.startswith(PG_MAGIC):
        return False
    listing = _pg_run(
        [_pg_tool("pg_restore"), "--list", str(source)], dict(os.environ), "pg_restore"
    )
    return " django_migrations " in listing


def _read_manifest(archive: tarfile.TarFile) -> tuple[dict[str, Any], str] | None:
    try:
        manifest_file = archive.extractfile(MANIFEST)
        signature_file = archive.extractfile(SIGNATURE)
    except KeyError:
        return None
    if manifest_file is None or signature_file is None:
        return None
    try:
        manifest = json.loads(manifest_file.read(1 << 20))
    except ValueError:
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None
    return manifest, signature_file.read(200).decode("ascii", "replace").strip()


def _member_sha256(archive: tarfile.TarFile, name: str) -> str | None:
    try:
        member = archive.extractfile(name)
    except KeyError:
        return None
    if member is None:
        return None
    digest = hashlib.sha256()
    for block in iter(lambda: member.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _schema_problems(kind: str, payload: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Schema objects the copy would create that Tiejun does not: any trigger on SQLite (Tiejun
    makes none there); on PostgreSQL anything but the audit trail's, or one of those missing."""
    problems = []
    triggers = _payload_triggers(kind, payload)
    if manifest is not None and sorted(manifest.get("triggers") or []) != triggers:
        problems.append(_("its triggers differ from those its manifest lists"))
    unknown = [t for t in triggers if t not in AUDIT_TRIGGERS or kind == "sqlite"]
    if unknown:
        problems.append(
            _("it creates unknown triggers (%(names)s)") % {"names": ", ".join(unknown)}
        )
    if kind == "postgresql":
        migrations = set((manifest or {}).get("migrations") or [])
        for name, (app, migration) in AUDIT_TRIGGERS.items():
            needed = (
                f"{app}.{migration}" in migrations if manifest else migration.startswith("0002")
            )
            if needed and name not in triggers:
                problems.append(
                    _("the audit trail's immutability trigger %(name)s is missing") % {"name": name}
                )
    return problems


def _sqlite_content_problems(payload: Path, manifest: dict[str, Any]) -> list[str]:
    conn = sqlite3.connect(f"{payload.as_uri()}?mode=ro", uri=True)
    try:
        tables = _sqlite_tables(conn)
        migrations = [
            f"{app}.{name}"
            for app, name in conn.execute(
                "SELECT app, name FROM django_migrations ORDER BY app, name"
            )
        ]
    except sqlite3.Error:
        return [_("its database copy cannot be read")]
    finally:
        conn.close()
    problems = []
    if tables != manifest.get("tables"):
        problems.append(_("its row counts differ from its manifest"))
    if migrations != manifest.get("migrations"):
        problems.append(_("its migration state differs from its manifest"))
    return problems


@contextlib.contextmanager
def _opened_backup(path: Path, *, trust_unsigned: bool) -> Any:
    """Check the backup at ``path`` and yield ``(BackupCheck, database copy path)``; the copy is
    extracted to a temporary file under TIEJUN_HOME and removed afterwards. Refuses (with
    ``TiejunError``, nothing changed) what fails a check, unless ``trust_unsigned``."""
    kind = engine()
    source = _source(path)
    if not tarfile.is_tarfile(source):
        if not _is_raw_backup(source, kind):
            raise _not_a_backup(source, kind)
        schema = _schema_problems(kind, source, None)
        if not trust_unsigned:
            raise TiejunError(
                _(
                    "%(path)s is not signed (an old backup, or a database copy from elsewhere): "
                    "its origin, row counts and checksums cannot be verified. Nothing was changed; "
                    "restore it with --trust-unsigned only if you know where it came from."
                )
                % {"path": source}
            )
        not_verified = [
            _("the signature (who made it)"),
            _("the manifest (migration state, row counts, checksum)"),
            *schema,
        ]
        yield BackupCheck(engine=kind, signed=False, not_verified=not_verified), source, None
        return
    problems: list[str] = []
    with tarfile.open(source, "r:") as archive:
        read = _read_manifest(archive)
        if read is None:
            raise _not_a_backup(source, kind)
        manifest, signature = read
        if manifest.get("engine") != kind:
            raise _not_a_backup(source, kind)
        if manifest.get("version") != FORMAT_VERSION:
            problems.append(
                _("its format version %(version)s is not %(expected)s")
                % {"version": manifest.get("version"), "expected": FORMAT_VERSION}
            )
        if not hmac.compare_digest(signature, _signature(manifest)):
            problems.append(
                _(
                    "its signature does not match (changed, or signed with another TIEJUN_SECRET_KEY)"
                )
            )
        if _member_sha256(archive, PAYLOAD[kind]) != manifest.get("sha256"):
            problems.append(_("its database copy does not match the manifest's checksum"))
        home = Path(settings.HOME)
        home.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".restore.", suffix=".partial", dir=home)
        payload = Path(name)
        staged = None
        try:
            with os.fdopen(fd, "wb") as out:
                member = archive.extractfile(PAYLOAD[kind])
                if member is None:
                    raise _not_a_backup(source, kind)
                shutil.copyfileobj(member, out, 1 << 20)
            if kind == "sqlite":
                if payload.read_bytes()[:16] != SQLITE_MAGIC or not _sqlite_is_tiejun(payload):
                    raise _not_a_backup(source, kind)
                problems += _sqlite_content_problems(payload, manifest)
            problems += _schema_problems(kind, payload, manifest)
            if "media" in manifest:  # a backup from before files were kept has no list
                staged = Path(tempfile.mkdtemp(prefix=".media.restore.", dir=home))
                problems += _media_extract(archive, manifest, staged)
            if problems and not trust_unsigned:
                raise TiejunError(
                    _(
                        "%(path)s failed verification: %(problems)s. Nothing was changed; "
                        "restore it with --trust-unsigned only if you know where it came from."
                    )
                    % {"path": source, "problems": "; ".join(str(p) for p in problems)}
                )
            files = len(manifest["media"]) if staged is not None else None
            check = BackupCheck(engine=kind, signed=True, not_verified=problems, files=files)
            yield check, payload, staged
        finally:
            with contextlib.suppress(FileNotFoundError):
                payload.unlink()
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)  # gone already once swapped in


def backup_check(*, path: Path, trust_unsigned: bool = False) -> BackupCheck:
    """Refuse (``TiejunError``) a file that is not a signed, untouched backup this database can
    restore (with ``trust_unsigned``: list what was not verified instead)."""
    with _opened_backup(path, trust_unsigned=trust_unsigned) as (check, _payload, _staged):
        return check


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


def backup_restore(*, path: Path, trust_unsigned: bool = False) -> RestoreSummary:
    """Replace the database's contents with the backup at ``path``; checks it first and changes
    nothing when it is not a signed backup of this engine (unless ``trust_unsigned``)."""
    with _opened_backup(path, trust_unsigned=trust_unsigned) as (check, payload, staged):
        if check.engine == "sqlite":
            _sqlite_restore(payload)
        else:
            _pg_restore(payload)
        if staged is not None:
            _media_swap(staged)
    connection.close()  # the next query sees the restored database, with fresh statements
    repaired = _ensure_audit_triggers() if check.engine == "postgresql" else []
    unapplied, unknown = _migration_state()
    return RestoreSummary(
        path=Path(path).expanduser().absolute(),
        engine=check.engine,
        database=_database_label(),
        unapplied=unapplied,
        unknown=unknown,
        not_verified=[str(p) for p in check.not_verified],
        repaired=repaired,
        files=check.files or 0,
    )


def _ensure_audit_triggers() -> list[str]:
    """After a restore: the audit trail's immutability triggers exist wherever their migration is
    recorded; a missing one is put back (and named). ``TiejunError`` if that fails."""
    import importlib

    with connection.cursor() as cursor:
        cursor.execute("SELECT app || '.' || name FROM django_migrations WHERE app = 'audit'")
        applied = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass")
        present = {row[0] for row in cursor.fetchall()}
    repaired = []
    for name, (app, migration) in AUDIT_TRIGGERS.items():
        if f"{app}.{migration}" not in applied or name in present:
            continue
        module = importlib.import_module(f"tiejun.{app}.migrations.{migration}")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(module.FUNCTION)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_auditentry")
            cursor.execute(module.TRIGGER)
        repaired.append(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass")
        present = {row[0] for row in cursor.fetchall()}
    missing = [
        n for n, (a, m) in AUDIT_TRIGGERS.items() if f"{a}.{m}" in applied and n not in present
    ]
    if missing:
        raise TiejunError(
            _("The audit trail's immutability triggers are missing after the restore: %(names)s")
            % {"names": ", ".join(missing)}
        )
    return repaired


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
