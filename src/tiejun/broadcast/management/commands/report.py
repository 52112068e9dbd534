"""``tiejun report {kickoff,review,battle} UNIT_CODE --date D [--format F]`` prints a report;
``tiejun report send {kickoff,review,battle} UNIT_CODE --date D`` queues it for every subscriber.

``tiejun report personal EMPLOYEE_NO --date D [--format text|sms|json]`` prints one rep's nightly
personal message; ``tiejun report send personal UNIT_CODE --date D`` queues it for every rep of
the unit's teams who has not opted out (once a day each, held in the quiet hours)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.broadcast import renderers, services
from tiejun.broadcast.models import Report
from tiejun.broadcast.personal import personal_message
from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.org.models import Person, Unit

SHEETS = ("kickoff", "review", "battle")
FORMATS = ("html", "text", "markdown", "sms", "json")
PERSONAL_FORMATS = ("text", "sms", "json")
USAGE = gettext_lazy(
    "usage: tiejun report [send] {kickoff,review,battle} UNIT_CODE --date YYYY-MM-DD | "
    "tiejun report personal EMPLOYEE_NO --date YYYY-MM-DD [--format text|sms|json] | "
    "tiejun report send personal UNIT_CODE --date YYYY-MM-DD"
)


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(TiejunCommand):
    help = _(
        "Print a report (kickoff, review, battle) of a unit on a date, or queue it for every "
        "subscriber with 'send'; 'personal EMPLOYEE_NO' prints a rep's nightly message, "
        "'send personal UNIT_CODE' queues it for every rep of the unit."
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
            raise _fail(str(USAGE))
        kind, code = words
        if kind == Report.PERSONAL:
            self._personal(code, send=send, fmt=options["format"], date=options["date"])
            return
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

    def _personal(self, code: str, *, send: bool, fmt: str, date: str | None) -> None:
        if not send and fmt not in PERSONAL_FORMATS:
            raise _fail(
                _("unknown format %(format)s; use one of %(choices)s")
                % {"format": fmt, "choices": ", ".join(PERSONAL_FORMATS)}
            )
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise _fail(_("--date must be a date YYYY-MM-DD")) from None
        if send:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                raise _fail(_("unknown unit %(code)s") % {"code": code})
            result = services.personal_send(unit=unit, day=day)
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        person = Person.objects.filter(employee_no=code).first()
        if person is None:
            raise _fail(_("unknown employee %(employee_no)s") % {"employee_no": code})
        try:
            message = personal_message(person, day)
        except TiejunError:
            raise _fail(
                _("%(employee_no)s is in no team on %(date)s and gets no personal message")
                % {"employee_no": code, "date": day.isoformat()}
            ) from None
        data = message.to_json()
        if fmt == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        text = renderers.render(Report.PERSONAL, data, fmt, language=message.language)
        if fmt == "sms":
            text = "\n".join(renderers.sms_segments(text))
        self.stdout.write(text.rstrip("\n"))
