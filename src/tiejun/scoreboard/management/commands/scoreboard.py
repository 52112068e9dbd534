"""``tiejun scoreboard rebuild``: recompute every fact from the source rows."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild


class Command(TiejunCommand):
    help = _(
        "Scoreboard maintenance: 'rebuild' recomputes every fact from deals and other sources."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sources = scoreboard_rebuild()
        self.stdout.write(
            _("rebuilt %(facts)d facts from %(sources)s in %(seconds).1f s")
            % {
                "facts": Fact.objects.count(),
                "sources": ", ".join(sources) or "-",
                "seconds": time.perf_counter() - started,
            }
        )
