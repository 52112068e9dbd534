"""``tiejun invite [EMPLOYEE_NO …] [--new] [--channel email|sms] [--print]``: a single-use
activation link per person (valid 7 days; a new one voids the last), sent through the outbox or
printed as one JSON object per line."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.accounts.selectors import never_signed_in, people_by_employee_nos
from tiejun.accounts.services import PRINT, invite_people
from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError

EXIT_USAGE = 2
EXIT_REFUSED = 1


class Command(TiejunCommand):
    help = _("Invite people to set their password: a link by e-mail, SMS, or printed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employee_no", nargs="*", help=_("employee numbers to invite"))
        parser.add_argument(
            "--new", action="store_true", help=_("everyone who has never signed in")
        )
        parser.add_argument("--channel", choices=["email", "sms"], default="email")
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_links",
            help=_("write one JSON object per line instead of sending the links"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people, unknown = people_by_employee_nos(options["employee_no"])
        if unknown:
            self.stderr.write(_("unknown employee %(no)s") % {"no": ", ".join(unknown)})
            sys.exit(EXIT_USAGE)
        if options["new"]:
            known = {p.pk for p in people}
            people += [p for p in never_signed_in() if p.pk not in known]
        elif not people:
            self.stderr.write(_("name employee numbers, or --new for everyone not signed in yet"))
            sys.exit(EXIT_USAGE)
        channel = PRINT if options["print_links"] else options["channel"]
        try:
            invited = invite_people(people, channel=channel, by=None, today=timezone.localdate())
        except TiejunError as error:
            self.stderr.write(_("nothing sent: %(error)s") % {"error": error})
            sys.exit(EXIT_REFUSED)
        for one in invited:
            if channel == PRINT:
                self.stdout.write(json.dumps(one.as_json(), ensure_ascii=False))
            else:
                self.stdout.write(
                    _("%(person)s: invitation queued by %(channel)s, valid until %(until)s")
                    % {
                        "person": one.person,
                        "channel": channel,
                        "until": timezone.localtime(one.invitation.expires_at).isoformat(),
                    }
                )
        if channel != PRINT:
            self.stderr.write(_("%(count)d invited") % {"count": len(invited)})
