"""``tiejun worker [--burst] [--workers N] [--no-scheduler]``: a Huey consumer for the outbox
and schedules (the periodic scheduler too, unless --no-scheduler)."""

from __future__ import annotations

import argparse
import logging
from typing import Any, cast

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

from tiejun.command import TiejunCommand
from tiejun.notify.worker import exit_with_parent, run_burst


class Command(TiejunCommand):
    help = _(
        "Run a queue worker (Huey consumer with the scheduler). With --burst, work until "
        "nothing is due, then exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help=_("Process everything due (including retries whose time has come), then exit."),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(cast(dict, settings.HUEY)["consumer"]["workers"]),
            help=_("Worker threads."),
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help=_(
                "Run tasks only, without the periodic scheduler: with several workers on one "
                "queue, exactly one runs the scheduler."
            ),
        )
        parser.add_argument("--exit-with-parent", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        # Every app's tasks must be registered before a task of theirs is read from the queue.
        autodiscover_modules("tasks")
        workers = max(1, options["workers"])
        if options["burst"]:
            ran = run_burst(HUEY, workers=workers)
            if options["verbosity"] >= 1:
                self.stdout.write(_("%(count)d tasks run; nothing is due.") % {"count": ran})
            return
        logging.getLogger("huey").setLevel(logging.INFO if options["verbosity"] > 1 else 30)
        if options["exit_with_parent"]:
            exit_with_parent(options["exit_with_parent"])
        consumer = HUEY.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=not options["no_scheduler"],
            check_worker_health=True,
        )
        consumer.run()
