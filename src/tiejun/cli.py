"""The ``tiejun`` command: Tiejun's own commands plus every Django management command.

``tiejun demo``, ``tiejun serve``, ``tiejun import``, ``tiejun board``, ``tiejun token``,
``tiejun bench`` … are management commands of the apps; anything else Django knows
(``tiejun migrate``, ``tiejun check``, ``tiejun createsuperuser``) passes through.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import sys
import tempfile

# Commands that make the database, or need none: everything else expects a migrated one.
NO_DATABASE_NEEDED = frozenset(
    {
        "migrate",
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "check",
        "help",
        "version",
        "bench",
        "serve",
        "restore",
        "collectstatic",
        "compilemessages",
        "makemessages",
        "findstatic",
        "diffsettings",
        "test",
        "shell",
        "dbshell",
    }
)
# Loads into an empty database: on a fresh TIEJUN_HOME it migrates first.
MIGRATES_FIRST = frozenset({"demo"})
EXIT_NO_DATABASE = 2


def _prepare_bench(argv: list[str]) -> None:
    """A benchmark builds its own company: in the database named by ``--database``, or a scratch
    SQLite file, never the one the app serves from."""
    if "--database" in argv:
        i = argv.index("--database")
        if i + 1 < len(argv):
            os.environ["TIEJUN_DATABASE_URL"] = argv[i + 1]
            del argv[i : i + 2]
    elif not any(a.startswith("--database=") for a in argv):
        scratch = tempfile.mkdtemp(prefix="tiejun-bench-")
        os.environ["TIEJUN_DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    for i, a in enumerate(argv):
        if a.startswith("--database="):
            os.environ["TIEJUN_DATABASE_URL"] = a.split("=", 1)[1]
            del argv[i]
            break


def _os_user() -> str:
    try:
        return "os:" + getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return ""


def _sqlite_missing(path: str) -> bool:
    """The SQLite file is not there, or holds no migrated database (an empty file left behind)."""
    if not os.path.exists(path):
        return True
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
    except sqlite3.Error:
        return False  # locked or damaged: let the command say what is wrong
    return found is None


def _missing_database(command: str) -> str | None:
    """The path of the SQLite database ``command`` expects but is not there; else None.

    Only the SQLite file under TIEJUN_HOME can be told missing without connecting; a test's
    in-memory database, and PostgreSQL, are taken as they come."""
    if not command or command.startswith("-") or command in NO_DATABASE_NEEDED:
        return None
    import django
    from django.db import connections

    django.setup()
    params = connections["default"].settings_dict
    name = str(params.get("NAME") or "")
    if "sqlite" not in params.get("ENGINE", "") or not name or name.startswith(("file:", ":")):
        return None
    return name if _sqlite_missing(name) else None


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["bench"]:
        _prepare_bench(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiejun.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        from django.core.management import call_command, execute_from_command_line

        from tiejun.audit.context import acting

        missing = _missing_database(args[0] if args else "")
        if missing is not None and args[0] in MIGRATES_FIRST:
            call_command("migrate", interactive=False, verbosity=0)
        elif missing is not None:
            print(
                f"tiejun: no database at {missing} — run `tiejun migrate` or set TIEJUN_HOME",
                file=sys.stderr,
            )
            sys.exit(EXIT_NO_DATABASE)

        # The audit trail records what a command writes as the command line's, by this OS user.
        with acting(None, "cli", label=_os_user()):
            execute_from_command_line(["tiejun", *args])
    except BrokenPipeError:
        # The reader went away (``tiejun calendar show 2026 | head``): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except ImproperlyConfigured as exc:
        print(f"tiejun: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except DatabaseError as exc:
        # Down, read-only or full: one line, not a traceback.
        from tiejun.ops.faults import database_fault, first_line

        message = database_fault(exc)
        if message is None:
            raise
        print(f"tiejun: {message} ({first_line(exc)})", file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
