"""``tiejun restore FILE [--yes] [--trust-unsigned]``: replace the database's contents with a
signed backup (``--trust-unsigned``: also one whose signature, manifest or schema objects cannot
be verified, saying loudly what was not)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.ops.services import _database_label, backup_check, backup_restore


class Command(TiejunCommand):
    help = _(
        "Restore the database from a backup written by 'tiejun backup' (every row is replaced)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("the backup to restore"))
        parser.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
        parser.add_argument(
            "--trust-unsigned",
            action="store_true",
            help=_(
                "restore even a backup whose signature, manifest or schema objects do not verify "
                "(an old or foreign file): only one you know the origin of"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        trust = options["trust_unsigned"]
        try:
            check = backup_check(path=path, trust_unsigned=trust)
            self._warn_unverified(path, check.not_verified)
            if not options["yes"]:
                self._confirm(path)
            summary = backup_restore(path=path, trust_unsigned=trust)
        except TiejunError as exc:
            raise CommandError(str(exc), returncode=2) from None
        for name in summary.repaired:
            self.stderr.write(
                _(
                    "WARNING: the audit trail's immutability trigger %(name)s was missing from "
                    "the backup; it has been put back."
                )
                % {"name": name}
            )
        self.stdout.write(
            _("Restored %(path)s into %(database)s.")
            % {"path": summary.path, "database": summary.database}
        )
        if check.files is not None:
            self.stdout.write(
                ngettext(
                    "Uploaded files (photos, evidence): %(count)d file put back.",
                    "Uploaded files (photos, evidence): %(count)d files put back.",
                    summary.files,
                )
                % {"count": summary.files}
            )
        if summary.unapplied:
            self.stdout.write(
                _(
                    "The backup is from an older version of Tiejun: %(count)d migrations are "
                    "not applied. Run `tiejun migrate` before serving."
                )
                % {"count": len(summary.unapplied)}
            )
        if summary.unknown:
            self.stderr.write(
                _(
                    "The backup is from a newer version of Tiejun (%(migrations)s): "
                    "upgrade Tiejun before serving it."
                )
                % {"migrations": ", ".join(summary.unknown[:5])}
            )

    def _warn_unverified(self, path: Path, not_verified: list[str]) -> None:
        if not not_verified:
            return
        self.stderr.write(
            _("WARNING: --trust-unsigned: %(path)s is restored WITHOUT verifying:") % {"path": path}
        )
        for item in not_verified:
            self.stderr.write(f"  - {item}")

    def _confirm(self, path: Path) -> None:
        question = _(
            "This replaces every row in %(database)s with the contents of %(path)s. "
            "Type 'yes' to continue: "
        ) % {"database": _database_label(), "path": path}
        if not sys.stdin or not sys.stdin.isatty():
            raise CommandError(
                _("Not restored: confirm with --yes (nothing was changed)."), returncode=2
            )
        answer = input(question)
        if answer.strip().lower() not in {"yes", "y", "是"}:
            raise CommandError(_("Not restored (nothing was changed)."), returncode=2)
