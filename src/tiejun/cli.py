"""The ``tiejun`` command: Tiejun's own commands plus every Django management command.

``tiejun demo``, ``tiejun serve``, ``tiejun import``, ``tiejun board``, ``tiejun token``,
``tiejun bench`` … are management commands of the apps; anything else Django knows
(``tiejun migrate``, ``tiejun check``, ``tiejun createsuperuser``) passes through.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile


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


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["bench"]:
        _prepare_bench(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiejun.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        from django.core.management import execute_from_command_line

        from tiejun.audit.context import acting

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
