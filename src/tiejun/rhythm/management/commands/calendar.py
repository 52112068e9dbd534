"""``tiejun calendar show YEAR [--json]`` and ``tiejun calendar check``."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.org.holidays import calendar_year
from tiejun.rhythm.calendar_gaps import uncovered_years, warning_text


class Command(TiejunCommand):
    help = _("Show a year's working-day calendar, or check that every year in use is loaded.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help=_("list the year's non-standard days and their source"))
        show.add_argument("year", type=int)
        show.add_argument("--json", action="store_true", help=_("print JSON"))
        sub.add_parser(
            "check",
            help=_("exit 1 naming every year with targets, deals or plans but no calendar"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self._check()
        else:
            self._show(options["year"], as_json=options["json"])

    def _show(self, year: int, *, as_json: bool) -> None:
        try:
            data = calendar_year(year)
        except TiejunError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if as_json:
            self.stdout.write(json.dumps(data.to_json(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{year}  {_('source')}: {data.source}"
            + ("" if data.confirmed else f"  ({_('not confirmed: Monday to Friday')})")
        )
        for day in sorted(data.days(), key=lambda d: d.day):
            kind = _("work") if day.is_workday else _("off")
            self.stdout.write(
                f"{day.day:%Y-%m-%d} {day.day:%a}  {kind:<5} {day.source:<11} {day.name}"
            )

    def _check(self) -> None:
        years = uncovered_years()
        if not years:
            self.stdout.write(_("Every year in use has its statutory holidays."))
            return
        self.stderr.write(warning_text(years))
        sys.exit(1)
