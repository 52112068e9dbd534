"""``tiejun directory sync {wecom,dingtalk,feishu} [--dry-run] [--json] [--root DEPT_ID]
[--kinds company,region,branch,team] [--force] [--confirm]``: make the org match a platform's
directory. A move the org's checks warn about is held (listed with its warnings) unless
``--confirm``."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from tiejun.accounts.directory import Change, SyncResult, directory_sync
from tiejun.accounts.models import Platform
from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError

EXIT_REFUSED = 1

SIGNS = {"create": "+", "link": "=", "deactivate": "-"}


def describe(change: Change) -> str:
    verb = change.action.split(".", 1)[1]
    sign = "!" if change.held else SIGNS.get(verb, "~")
    detail = ", ".join(f"{k}={v}" for k, v in change.detail.items())
    line = f"{sign} {change.action} {change.target} ({change.key})"
    if detail:
        line += f": {detail}"
    if change.held:
        line += f" — {_('held')}: {change.held}"
    return line


class Command(TiejunCommand):
    help = _("Sync the org with the directory of WeCom, DingTalk or Feishu.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help=_("read the platform's directory and apply the diff"))
        sync.add_argument("platform", choices=Platform.values)
        sync.add_argument("--dry-run", action="store_true", help=_("print the diff, write nothing"))
        sync.add_argument("--json", action="store_true", help=_("print the diff as JSON"))
        sync.add_argument("--root", help=_("the department to sync from (default: the top)"))
        sync.add_argument(
            "--kinds",
            default=settings.DIRECTORY_KINDS,
            help=_("unit kinds by depth, from the root down (default: %(default)s)"),
        )
        sync.add_argument(
            "--force", action="store_true", help=_("overwrite units and people edited by hand")
        )
        sync.add_argument(
            "--confirm",
            action="store_true",
            help=_("apply moves that have warnings (a unit left without its head, …)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = directory_sync(
                platform=options["platform"],
                dry_run=options["dry_run"],
                root=options["root"],
                kinds=options["kinds"],
                force=options["force"],
                confirm=options["confirm"],
            )
        except TiejunError as error:
            self.stderr.write(
                _("directory sync failed, nothing written: %(error)s") % {"error": error}
            )
            sys.exit(EXIT_REFUSED)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
            return
        self._print(result)

    def _print(self, result: SyncResult) -> None:
        for change in result.changes:
            self.stdout.write(describe(change))
        summary = ", ".join(f"{k} {v}" for k, v in sorted(result.summary().items())) or _("none")
        held = sum(1 for c in result.changes if c.held)
        if result.dry_run:
            self.stdout.write(
                _("dry run, nothing written: %(summary)s; held %(held)d")
                % {"summary": summary, "held": held}
            )
        else:
            self.stdout.write(
                _("synced: %(summary)s; held %(held)d") % {"summary": summary, "held": held}
            )
