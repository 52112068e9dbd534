"""``tiejun report {kickoff,review,battle} UNIT_CODE --date D [--format F]`` prints a report;
``tiejun report send {kickoff,review,battle} UNIT_CODE --date D`` queues it for every subscriber."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.broadcast import renderers, services
from tiejun.errors import TiejunError
from tiejun.org.models import Unit

SHEETS = ("kickoff", "review", "battle")
FORMATS = ("html", "text", "markdown", "sms", "json")


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = _(
        "Print a report (kickoff, review, battle) of a unit on a date, or queue it for every "
        "subscriber with 'send'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "words", nargs="+", metavar="[send] REPORT UNIT_CODE", help=_("what to print or send")
        )
        parser.add_argument("--date", help=_("the day, YYYY-MM-DD (default: today)"))
        parser.add_argument("--format", default="text", help=_("html, text, markdown, sms or json"))

    def handle(self, *args: Any, **options: Any) -> None:
        words = list(options["words"])
        send = words[:1] == ["send"]
        if send:
            words = words[1:]
        if len(words) != 2:
            raise _fail(
                _("usage: tiejun report [send] {kickoff,review,battle} UNIT_CODE --date YYYY-MM-DD")
            )
        kind, code = words
        if kind not in SHEETS:
            raise _fail(
                _("unknown report %(report)s; use one of %(choices)s")
                % {"report": kind, "choices": ", ".join(SHEETS)}
            )
        fmt = options["format"]
        if fmt not in FORMATS:
            raise _fail(
                _("unknown format %(format)s; use one of %(choices)s")
                % {"format": fmt, "choices": ", ".join(FORMATS)}
            )
        try:
            day = (
                dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            )
        except ValueError:
            raise _fail(_("--date must be a date YYYY-MM-DD")) from None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise _fail(_("unknown unit %(code)s") % {"code": code})
        try:
            if send:
                result = services.report_send(kind=kind, unit=unit, day=day)
                self.stdout.write(json.dumps(result, ensure_ascii=False))
                return
            data = services.report_data(kind, unit, day)
            if fmt == "json":
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
                return
            text = renderers.render(kind, data, fmt)
        except TiejunError as exc:
            raise _fail(str(exc)) from None
        if fmt == "sms":
            text = "\n".join(renderers.sms_segments(text))
        self.stdout.write(text.rstrip("\n"))
