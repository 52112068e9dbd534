"""``tiejun redlines scan [--date YYYY-MM-DD] [--json]``: find the day's suspicious patterns
(default: yesterday) and write them as flags for review; running it again for the same day gives
the same flags. ``tiejun redlines apply``: apply the dismissals whose effective date has come."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.command import TiejunCommand
from tiejun.dateinput import parse_day
from tiejun.discipline.scan import flags_scan
from tiejun.discipline.services import cases_apply_due
from tiejun.errors import TiejunError

EXIT_USAGE = 2


class Command(TiejunCommand):
    help = _(
        "Red lines: 'scan' flags the suspicious patterns of a day for review; 'apply' applies "
        "the dismissals whose effective date has come."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser(
            "scan", help=_("Flag a day's suspicious patterns (default: yesterday).")
        )
        scan.add_argument("--date", help=_("the day to scan, YYYY-MM-DD (default: yesterday)"))
        scan.add_argument("--json", action="store_true", help=_("print JSON"))
        apply = sub.add_parser("apply", help=_("Apply the dismissals that are due today."))
        apply.add_argument("--date", help=_("today, YYYY-MM-DD (default: today)"))

    def _day(self, text: str | None, default: dt.date) -> dt.date:
        try:
            day = parse_day(text, field="--date")
        except TiejunError as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        return day or default

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        today = timezone.localdate()
        if action == "apply":
            applied = cases_apply_due(today=self._day(options.get("date"), today))
            self.stdout.write(
                ngettext("%(n)d dismissal applied", "%(n)d dismissals applied", applied)
                % {"n": applied}
            )
            return
        day = self._day(options.get("date"), today - dt.timedelta(days=1))
        if day > today:
            raise CommandError(_("--date cannot be in the future"), returncode=EXIT_USAGE)
        result = flags_scan(day=day)
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            ngettext(
                "%(day)s: %(total)d flag (%(new)d new, %(updated)d updated, %(withdrawn)d withdrawn)",
                "%(day)s: %(total)d flags (%(new)d new, %(updated)d updated, %(withdrawn)d withdrawn)",
                len(result.flags),
            )
            % {
                "day": day.isoformat(),
                "total": len(result.flags),
                "new": result.created,
                "updated": result.updated,
                "withdrawn": result.withdrawn,
            }
        )
        for flag in result.flags:
            self.stdout.write(
                f"  {flag.get_kind_display()}  {flag.person.name} ({flag.person.employee_no})"
                f"  {flag.unit.name}  {flag.get_status_display()}"
            )
