"""``tiejun person deactivate|reactivate EMPLOYEE_NO``: shut a person out, or let them back in."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tiejun.errors import NotFound
from tiejun.org.selectors import person_by_employee_no
from tiejun.org.services import person_deactivate, person_reactivate

EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Deactivate or reactivate a person."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        off = sub.add_parser(
            "deactivate", help=_("End every session and revoke every API token; no sign-in.")
        )
        off.add_argument("employee_no")
        on = sub.add_parser("reactivate", help=_("Allow signing in again (tokens stay revoked)."))
        on.add_argument("employee_no")

    def handle(self, *args: Any, action: str, employee_no: str, **options: Any) -> None:
        try:
            person = person_by_employee_no(employee_no)
        except NotFound:
            self.stderr.write(_("unknown employee %(no)s") % {"no": employee_no})
            sys.exit(EXIT_USAGE)
        if action == "deactivate":
            person_deactivate(person=person)
            self.stdout.write(
                _("%(person)s is deactivated: sessions ended, API tokens revoked")
                % {"person": person}
            )
        else:
            person_reactivate(person=person)
            self.stdout.write(_("%(person)s may sign in again") % {"person": person})
