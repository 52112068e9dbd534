"""``tiejun demo``: load the realistic demo company."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.demo.company import ADMIN_NO, DEMO_PASSWORD
from tiejun.demo.generator import demo_build
from tiejun.demo.shapes import SHAPES, build_shape
from tiejun.errors import TiejunError
from tiejun.org.models import Unit


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("--today must be a date YYYY-MM-DD")) from None


class Command(TiejunCommand):
    help = _("Load a realistic demo company: org tree, people, targets and months of daily deals.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reps", type=int, default=None, help=_("number of sales reps"))
        parser.add_argument(
            "--months", type=int, default=None, help=_("months of deals up to today")
        )
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
        parser.add_argument(
            "--shape",
            choices=sorted(SHAPES),
            help=_(
                "instead of the demo company, a small generated sales history of another shape "
                "(for forecast backtests): lumpy, festival, push or drift"
            ),
        )

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
        if options["shape"]:
            self._shape(options, today, started)
            return
        try:
            summary = demo_build(
                reps=150 if options["reps"] is None else options["reps"],
                months=6 if options["months"] is None else options["months"],
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
        screens = ", ".join(f"{s.name} /tv/s/{s.code}/" for s in summary.screens)
        self.stdout.write(
            _(
                "Wall screens, one per region (or type the code at /tv/s/): %(screens)s. "
                "%(confirmed)d of %(owing)d people have confirmed this month's targets; "
                "%(offices)d branch offices have their coordinates."
            )
            % {
                "screens": screens,
                "confirmed": summary.confirmed,
                "owing": summary.owing,
                "offices": summary.offices,
            }
        )

    def _shape(self, options: dict[str, Any], today: dt.date, started: float) -> None:
        try:
            summary = build_shape(
                options["shape"],
                reps=48 if options["reps"] is None else options["reps"],
                months=12 if options["months"] is None else options["months"],
                seed=options["seed"],
                today=today,
            )
        except TiejunError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Built a %(shape)s history: %(units)d units, %(reps)d reps, %(months)d months "
                "from %(first)s to %(today)s, %(facts)d days with sales, in %(seconds).1f s."
            )
            % {
                "shape": summary.shape,
                "units": summary.units,
                "reps": summary.reps,
                "months": summary.months,
                "first": summary.first_month.isoformat(),
                "today": summary.today.isoformat(),
                "facts": summary.facts,
                "seconds": time.perf_counter() - started,
            }
        )
