"""``tiejun bench board``: build the demo company in a scratch database and time the board.

``tiejun`` points the database of ``bench`` at a scratch SQLite file, or at ``--database URL``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.bench.board import bench_board
from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError


class Command(TiejunCommand):
    help = _("Benchmarks. 'board': board latency per level against a hand-written SQL query.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "what",
            choices=["board", "reports", "lab", "checkin", "route", "tsplib", "import"],
            help=_("what to benchmark"),
        )
        parser.add_argument("--reps", type=int, default=2000, help=_("sales reps in the company"))
        parser.add_argument(
            "--months", type=int, default=None, help=_("months of deals (board 12, reports 3)")
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=_(
                "reports: queue workers sending e-mail (4); checkin: gunicorn workers (one per "
                "core, as docs/deployment.md advises)"
            ),
        )
        parser.add_argument("--repeat", type=int, default=50, help=_("timed calls per level"))
        parser.add_argument("--seed", type=int, default=2026, help=_("random seed"))
        parser.add_argument(
            "--requests", type=int, default=3000, help=_("checkin: check-ins to send")
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help=_("client threads (checkin 16; board --url 1)"),
        )
        parser.add_argument(
            "--customers", type=int, default=100_000, help=_("import: customers in the file")
        )
        parser.add_argument(
            "--deals", type=int, default=200_000, help=_("import: deals in the file")
        )
        parser.add_argument(
            "--visits", type=int, default=500_000, help=_("import: visits in the file")
        )
        parser.add_argument("--today", help=_("the demo's today, YYYY-MM-DD (default: today)"))
        parser.add_argument(
            "--reuse",
            action="store_true",
            help=_("board, reports: measure the demo company already in --database, build none"),
        )
        parser.add_argument(
            "--url",
            help=_(
                "board, checkin: a running server (gunicorn) serving --database, measured over "
                "HTTP instead of in this process"
            ),
        )
        parser.add_argument(
            "--through-queue",
            action="store_true",
            help=_(
                "reports: send the e-mails through the app's queue (TIEJUN_QUEUE_URL) to the "
                "`tiejun worker` processes already running"
            ),
        )

    def _run(self, bench: Callable[..., dict[str, Any]], **arguments: Any) -> None:
        """Run one benchmark with a progress line per step on stderr and print its JSON; a
        domain error (a database not empty, a server that did not start) is a plain message."""
        try:
            result = bench(progress=lambda message: self.stderr.write(message), **arguments)
        except TiejunError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1:
            raise CommandError(_("--repeat must be at least 1"))
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1"))
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError(_("--today must be a date YYYY-MM-DD")) from None
        what = options["what"]
        if what == "route":
            from tiejun.bench.route import bench_route

            self._run(bench_route, instances=min(options["repeat"], 5), seed=options["seed"])
        elif what == "tsplib":
            from tiejun.bench.route import bench_tsplib

            self._run(bench_tsplib, runs=min(options["repeat"], 3))
        elif what == "import":
            from tiejun.bench.imports import bench_import

            if min(options["customers"], options["deals"], options["visits"]) < 1:
                raise CommandError(_("--customers, --deals and --visits must be at least 1"))
            self._run(
                bench_import,
                reps=options["reps"],
                customers=options["customers"],
                deals=options["deals"],
                visits=options["visits"],
                seed=options["seed"],
            )
        elif what == "checkin":
            from tiejun.bench.checkin import bench_checkin

            self._run(
                bench_checkin,
                requests=options["requests"],
                concurrency=options["concurrency"] or 16,
                # One worker per core, as docs/deployment.md advises (and .ci/scale runs).
                workers=options["workers"] or os.cpu_count() or 2,
                reps=min(options["reps"], 200),
                seed=options["seed"],
                url=options["url"],
            )
        elif what == "lab":
            from tiejun.bench.lab import bench_lab

            self._run(
                bench_lab,
                reps=options["reps"],
                months=options["months"] or 24,
                repeat=min(options["repeat"], 5),  # each call takes up to seconds
                seed=options["seed"],
                today=today,
            )
        elif what == "reports":
            from tiejun.bench.reports import bench_reports

            self._run(
                bench_reports,
                reps=options["reps"],
                months=options["months"] or 3,
                seed=options["seed"],
                today=today,
                workers=options["workers"] or 4,
                reuse=options["reuse"],
                through_queue=options["through_queue"],
            )
        elif options["url"]:
            from tiejun.bench.board import bench_board_http

            self._run(
                bench_board_http,
                url=options["url"],
                repeat=options["repeat"],
                today=today,
                concurrency=options["concurrency"] or 1,
            )
        else:
            self._run(
                bench_board,
                reps=options["reps"],
                months=options["months"] or 12,
                repeat=options["repeat"],
                seed=options["seed"],
                today=today,
                reuse=options["reuse"],
            )
