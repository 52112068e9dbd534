"""``tiejun outbox [--failed] [--retry] [--limit N]``: show the outbox; re-queue failed messages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.notify.selectors import message_list
from tiejun.notify.services import message_retry


def _short(value: str, width: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


class Command(TiejunCommand):
    help = _("List outgoing messages; with --retry, send the failed ones again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", action="store_true", help=_("Only failed messages."))
        parser.add_argument(
            "--retry", action="store_true", help=_("Re-queue the failed messages now.")
        )
        parser.add_argument("--limit", type=int, default=50, help=_("Show at most N messages."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            count = message_retry()
            self.stdout.write(_("%(count)d failed messages re-queued.") % {"count": count})
        status = "failed" if options["failed"] and not options["retry"] else None
        rows = message_list(status=status, limit=max(options["limit"], 0))
        header = (
            _("id"),
            _("status"),
            _("channel"),
            _("address"),
            _("key"),
            _("attempts"),
            _("created"),
            _("last error"),
        )
        self.stdout.write("\t".join(str(h) for h in header))
        for m in rows:
            self.stdout.write(
                "\t".join(
                    [
                        str(m.pk),
                        m.status,
                        m.channel,
                        _short(m.display_address, 60),
                        m.key,
                        str(m.attempts),
                        timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                        _short(m.last_error, 80),
                    ]
                )
            )
