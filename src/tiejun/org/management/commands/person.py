"""``tiejun person deactivate|reactivate EMPLOYEE_NO``: shut a person out, or let them back in.
A leaver goes through the move checks registered for leavers (a milestone they would forfeit):
with warnings, nothing is done (exit 1) unless ``--confirm`` and the choices they ask for
(``--choice milestone=proceed --choice milestone_reason=…``).
``tiejun person set-password EMPLOYEE_NO``: a password read from the terminal (asked twice) or
from standard input; the person must change it at their next sign-in."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from tiejun.accounts.services import password_set
from tiejun.command import TiejunCommand
from tiejun.errors import NotFound, TiejunError
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.selectors import person_by_employee_no
from tiejun.org.services import person_deactivate_checked, person_reactivate

EXIT_USAGE = 2
EXIT_REFUSED = 1


class Command(TiejunCommand):
    help = "Deactivate or reactivate a person."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        off = sub.add_parser(
            "deactivate", help=_("End every session and revoke every API token; no sign-in.")
        )
        off.add_argument("employee_no")
        off.add_argument(
            "--confirm", action="store_true", help=_("Deactivate despite the warnings.")
        )
        off.add_argument(
            "--choice",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=_("An option a warning offers, e.g. milestone=proceed, milestone_reason=…"),
        )
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
            self._deactivate(person, options)
        else:
            person_reactivate(person=person)
            self.stdout.write(_("%(person)s may sign in again") % {"person": person})

    def _deactivate(self, person: Any, options: dict[str, Any]) -> None:
        choices = {}
        for item in options.get("choice") or []:
            key, sep, value = item.partition("=")
            if not sep:
                self.stderr.write(_("--choice is KEY=VALUE, not %(item)s") % {"item": item})
                sys.exit(EXIT_USAGE)
            choices[key.strip()] = value.strip()
        try:
            _person, _warnings = person_deactivate_checked(
                person=person, confirm=bool(options.get("confirm")), choices=choices
            )
        except MoveNeedsConfirmation as refused:
            self.stderr.write(str(refused.message))
            for w in refused.warnings:
                offered = f" [{', '.join(w.options)}]" if w.options else ""
                self.stderr.write(f"warning: {w.code}: {w.message}{offered}")
            sys.exit(EXIT_REFUSED)
        except TiejunError as error:
            self.stderr.write(str(error.message))
            sys.exit(EXIT_USAGE)
        if person.is_active:  # postponed: the person stays until the date the advisor named
            self.stdout.write(
                _("%(person)s stays active for now: the leaving is postponed") % {"person": person}
            )
            return
        self.stdout.write(
            _("%(person)s is deactivated: sessions ended, API tokens revoked") % {"person": person}
        )

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
