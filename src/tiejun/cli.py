"""The ``tiejun`` command: Tiejun's own commands plus every Django management command.

``tiejun demo``, ``tiejun serve``, ``tiejun import``, ``tiejun board``, ``tiejun token``,
``tiejun bench`` … are management commands of the apps; anything else Django knows
(``tiejun migrate``, ``tiejun check``, ``tiejun createsuperuser``) passes through.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["bench"]:
        _prepare_bench(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiejun.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["tiejun", *args])
    except ImproperlyConfigured as exc:
        print(f"tiejun: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
