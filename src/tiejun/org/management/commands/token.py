"""``tiejun token create|list|revoke``: API tokens for ``Authorization: Bearer <token>``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import NotFound
from tiejun.org.models import Person
from tiejun.org.selectors import api_tokens, person_by_employee_no
from tiejun.org.services import token_create, token_revoke_all

EXIT_USAGE = 2


class Command(TiejunCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("Print a new token for a person (shown once)."))
        create.add_argument("employee_no")
        listing = sub.add_parser("list", help=_("List tokens, of one person if given."))
        listing.add_argument("employee_no", nargs="?")
        revoke = sub.add_parser("revoke", help=_("Revoke every token of a person."))
        revoke.add_argument("employee_no")

    def handle(self, *args: Any, action: str, employee_no: str | None, **options: Any) -> None:
        person = self._person(employee_no) if employee_no else None
        if action == "create":
            self.stdout.write(token_create(person=person))  # type: ignore[arg-type]
        elif action == "list":
            self._list(person)
        else:
            count = token_revoke_all(person=person)  # type: ignore[arg-type]
            self.stdout.write(
                _("revoked %(count)d token(s) of %(person)s") % {"count": count, "person": person}
            )

    def _person(self, employee_no: str) -> Person:
        try:
            return person_by_employee_no(employee_no)
        except NotFound:
            self.stderr.write(_("unknown employee %(no)s") % {"no": employee_no})
            sys.exit(EXIT_USAGE)

    def _list(self, person: Person | None) -> None:
        def when(value: Any) -> str:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"

        header = [_("prefix"), _("person"), _("created"), _("last used"), _("revoked")]
        self.stdout.write("\t".join(header))
        for token in api_tokens(person):
            row = [
                token.prefix,
                token.person.employee_no,
                when(token.created_at),
                when(token.last_used_at),
                when(token.revoked_at),
            ]
            self.stdout.write("\t".join(row))
