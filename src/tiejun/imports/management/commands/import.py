"""``tiejun import KIND FILE [--dry-run] [--reason TEXT]``: all rows or none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.imports.services import KINDS, run_import


class Command(BaseCommand):
    help = _(
        "Import a CSV (UTF-8 or GB18030) or XLSX file of units, people, moves, targets or deals. "
        "Every row is written, or none: bad rows are printed as 'row N: column: problem'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=", ".join(KINDS))
        parser.add_argument("file", help=_("the CSV or XLSX file"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check every row, write nothing")
        )
        parser.add_argument(
            "--reason", default="", help=_("why locked targets change (kept in the audit trail)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind, path = options["kind"], Path(options["file"])
        if kind not in KINDS:
            raise CommandError(
                _("unknown import kind %(kind)s; use one of %(choices)s")
                % {"kind": kind, "choices": ", ".join(KINDS)},
                returncode=2,
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("cannot read %(file)s: %(why)s") % {"file": path, "why": exc.strerror or exc},
                returncode=2,
            ) from None
        result = run_import(
            kind, data, path.name, dry_run=options["dry_run"], reason=options["reason"]
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(n)d problem(s); nothing was written") % {"n": len(result.errors)},
                returncode=2,
            )
        self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
