"""``tiejun person deactivate|reactivate EMPLOYEE_NO``: shut a person out, or let them back in.
``tiejun person set-password EMPLOYEE_NO``: a password read from the terminal (asked twice) or
from standard input; the person must change it at their next sign-in."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tiejun.accounts.services import password_set
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
        pw = sub.add_parser(
            "set-password",
            help=_("Set a password (from the terminal or stdin); it must be changed at sign-in."),
        )
        pw.add_argument("employee_no")

    def handle(self, *args: Any, action: str, employee_no: str, **options: Any) -> None:
        try:
            person = person_by_employee_no(employee_no)
        except NotFound:
            self.stderr.write(_("unknown employee %(no)s") % {"no": employee_no})
            sys.exit(EXIT_USAGE)
        if action == "set-password":
            self._set_password(person)
            return
        if action == "deactivate":
            person_deactivate(person=person)
            self.stdout.write(
                _("%(person)s is deactivated: sessions ended, API tokens revoked")
                % {"person": person}
            )
        else:
            person_reactivate(person=person)
            self.stdout.write(_("%(person)s may sign in again") % {"person": person})

    def _set_password(self, person: Any) -> None:
        if sys.stdin.isatty():
            password = getpass.getpass(_("New password for %(person)s: ") % {"person": person})
            if getpass.getpass(_("Again: ")) != password:
                self.stderr.write(_("the two passwords differ; nothing changed"))
                sys.exit(EXIT_USAGE)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        try:
            validate_password(password, person)
        except ValidationError as error:
            self.stderr.write(" ".join(error.messages))
            sys.exit(EXIT_USAGE)
        password_set(person=person, password=password, by=None)
        self.stdout.write(
            _("%(person)s has a new password; they must change it when they first sign in")
            % {"person": person}
        )
