"""``tiejun audit [--type T] [--object X] [--person P] [--action A] [--since DAY] [--until DAY]
[--limit N] [--json]``: read the audit trail on the server, newest first."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from tiejun.audit.models import AuditEntry
from tiejun.audit.selectors import AuditFilters, entries_matching
from tiejun.command import TiejunCommand


def _day(text: str | None, option: str) -> Any:
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise CommandError(
            _("%(option)s must be a date YYYY-MM-DD") % {"option": option}, returncode=2
        )
    return day


class Command(TiejunCommand):
    help = _("Print the audit trail, newest first: who changed what, when, before and after.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", default="", help=_("object type: target, deal, …"))
        parser.add_argument("--object", default="", help=_("object id or code, or part of one"))
        parser.add_argument("--person", default="", help=_("the actor's employee number or name"))
        parser.add_argument("--action", default="")
        parser.add_argument("--source", default="", help="web, api, cli, import, job, admin")
        parser.add_argument("--since", help=_("from this day (YYYY-MM-DD)"))
        parser.add_argument("--until", help=_("up to and with this day (YYYY-MM-DD)"))
        parser.add_argument("--limit", type=int, default=100, help=_("at most this many"))
        parser.add_argument("--json", action="store_true", help=_("one JSON object per line"))

    def handle(self, *args: Any, **options: Any) -> None:
        filters = AuditFilters(
            object_type=options["type"],
            object=options["object"],
            person=options["person"],
            action=options["action"],
            source=options["source"],
            since=_day(options["since"], "--since"),
            until=_day(options["until"], "--until"),
        )
        # The server's operator reads everything, as an administrator would on the page.
        for entry in entries_matching(filters)[: max(options["limit"], 0)]:
            self.stdout.write(_json(entry) if options["json"] else _line(entry))


def _json(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "at": timezone.localtime(entry.at).isoformat(),
            "who": entry.actor_label,
            "source": entry.source,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "object": entry.object_repr,
            "before": entry.before,
            "after": entry.after,
            "reason": entry.reason,
        },
        ensure_ascii=False,
    )


def _line(entry: AuditEntry) -> str:
    changes = ", ".join(
        f"{name}: {(entry.before or {}).get(name, '')} → {(entry.after or {}).get(name, '')}"
        for name in dict.fromkeys([*(entry.before or {}), *(entry.after or {})])
    )
    parts = [
        f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}",
        entry.actor_label or "-",
        entry.source,
        entry.action,
        f"{entry.object_type}:{entry.object_id}",
        changes,
    ]
    if entry.reason:
        parts.append(f"({entry.reason})")
    return "\t".join(parts)
