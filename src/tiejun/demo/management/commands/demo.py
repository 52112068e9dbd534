"""``tiejun demo``: load the realistic demo company."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.demo.company import ADMIN_NO, DEMO_PASSWORD
from tiejun.demo.generator import demo_build
from tiejun.errors import TiejunError
from tiejun.org.models import Unit


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("--today must be a date YYYY-MM-DD")) from None


class Command(BaseCommand):
    help = _("Load a realistic demo company: org tree, people, targets and months of daily deals.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reps", type=int, default=150, help=_("number of sales reps"))
        parser.add_argument("--months", type=int, default=6, help=_("months of deals up to today"))
        parser.add_argument("--seed", type=int, default=2026, help=_("random seed"))
        parser.add_argument(
            "--history-years",
            type=int,
            default=2,
            help=_("years of sales-model history (touches, and deals before --months)"),
        )
        parser.add_argument(
            "--if-empty", action="store_true", help=_("do nothing when the database has units")
        )
        parser.add_argument("--today", help=_("the demo's today, YYYY-MM-DD (default: today)"))

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options["today"]) if options["today"] else timezone.localdate()
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("The database already has an org tree; demo not loaded."))
                return
            raise CommandError(
                _("The database already has an org tree; the demo loads into an empty database.")
            )
        started = time.perf_counter()
        try:
            summary = demo_build(
                reps=options["reps"],
                months=options["months"],
                seed=options["seed"],
                today=today,
                history_years=options["history_years"],
            )
        except TiejunError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Built %(units)d units, %(people)d people (%(reps)d reps), %(customers)d "
                "customers, %(deals)d deals from %(first)s to %(today)s in %(seconds).1f s."
            )
            % {
                "units": summary.units,
                "people": summary.people,
                "reps": summary.reps,
                "customers": summary.customers,
                "deals": summary.deals,
                "first": summary.first_month.isoformat(),
                "today": summary.today.isoformat(),
                "seconds": time.perf_counter() - started,
            }
        )
        self.stdout.write(
            _(
                "Demo ready: `tiejun serve` prints the address to open — log in as %(admin)s / "
                "%(password)s "
                "(or any employee number with the same password, e.g. a rep '%(rep)s', "
                "a supervisor '%(supervisor)s', a branch manager '%(manager)s')."
            )
            % {
                "admin": ADMIN_NO,
                "password": DEMO_PASSWORD,
                "rep": summary.sample_rep,
                "supervisor": summary.sample_supervisor,
                "manager": summary.sample_manager,
            }
        )
