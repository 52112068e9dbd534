"""``tiejun backup FILE [--json]``: write a consistent backup of the database while it serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.ops.services import backup_write

KEY_TABLES = ("crm_deal", "scoreboard_fact", "field_visit", "audit_auditentry", "org_person")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class Command(TiejunCommand):
    help = _(
        "Back up the database to FILE while the app keeps serving (SQLite: online backup; "
        "PostgreSQL: pg_dump custom format)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("where to write the backup"))
        parser.add_argument("--json", action="store_true", help=_("print the summary as JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup_write(path=Path(options["file"]))
        except TiejunError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False))
            return
        self.stdout.write(
            _("Wrote %(path)s (%(size)s, %(engine)s): %(tables)d tables, %(rows)d rows.")
            % {
                "path": summary.path,
                "size": human_size(summary.bytes),
                "engine": summary.engine,
                "tables": len(summary.tables),
                "rows": summary.rows,
            }
        )
        self.stdout.write(
            ngettext(
                "Uploaded files (photos, evidence): %(count)d file.",
                "Uploaded files (photos, evidence): %(count)d files.",
                summary.files,
            )
            % {"count": summary.files}
        )
        for table in KEY_TABLES:
            if table in summary.tables:
                self.stdout.write(f"  {table}: {summary.tables[table]}")
