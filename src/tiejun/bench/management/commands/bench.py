"""``tiejun bench board``: build the demo company in a scratch database and time the board.

``tiejun`` points the database of ``bench`` at a scratch SQLite file, or at ``--database URL``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.bench.board import bench_board
from tiejun.errors import TiejunError


class Command(BaseCommand):
    help = _("Benchmarks. 'board': board latency per level against a hand-written SQL query.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["board"], help=_("what to benchmark"))
        parser.add_argument("--reps", type=int, default=2000, help=_("sales reps in the company"))
        parser.add_argument("--months", type=int, default=12, help=_("months of deals"))
        parser.add_argument("--repeat", type=int, default=50, help=_("timed calls per level"))
        parser.add_argument("--seed", type=int, default=2026, help=_("random seed"))
        parser.add_argument("--today", help=_("the demo's today, YYYY-MM-DD (default: today)"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1:
            raise CommandError(_("--repeat must be at least 1"))
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError(_("--today must be a date YYYY-MM-DD")) from None
        try:
            result = bench_board(
                reps=options["reps"],
                months=options["months"],
                repeat=options["repeat"],
                seed=options["seed"],
                today=today,
                progress=lambda message: self.stderr.write(message),
            )
        except TiejunError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
