"""``tiejun targets cascade UNIT --month YYYY-MM --total AMOUNT [--metric revenue]
[--method even|share] [--base YYYY-MM] [--base-months N] [--round 1000] [--reason TEXT]
[--dry-run] [--json]`` and ``tiejun targets remind``.

One subcommand per use case; each parses its flags, calls the targets' own services and prints.
Bad input prints one line and exits 2, writing nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.dateinput import parse_day, parse_month
from tiejun.errors import NotFound, TiejunError
from tiejun.metrics import METRICS
from tiejun.money import grouped, money
from tiejun.org.selectors import unit_by_code
from tiejun.targets.allocation import EVEN, SHARE
from tiejun.targets.cascade import CascadePlan, cascade_plan, cascade_save
from tiejun.targets.signoff import signoff_remind

BAD_INPUT = 2


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def _amount(text: str, flag: str) -> Decimal:
    cleaned = text.replace(",", "").replace("¥", "").replace("，", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise _bad(
            _("%(flag)s must be a number, not %(value)s") % {"flag": flag, "value": text}
        ) from None
    if not value.is_finite():
        raise _bad(_("%(flag)s must be a number, not %(value)s") % {"flag": flag, "value": text})
    return value


def _figure(plan: CascadePlan, value: Decimal | None) -> str:
    if value is None:
        return "-"
    return money(value) if plan.metric.money else grouped(value, 0)


def render_plan(plan: CascadePlan, *, written: bool) -> str:
    """The plan as an indented table: every unit and rep, old → new, the base share."""
    lines = [
        f"{plan.root.name} ({plan.root.code})  {plan.month:%Y-%m}  {plan.metric.label}  "
        f"{_('total')} {_figure(plan, plan.total)}",
        f"{_('methods')} {', '.join(plan.methods)}  {_('base')} "
        f"{plan.base_start:%Y-%m}..{plan.base_end:%Y-%m}  {_('round')} {plan.rounding:g}",
    ]
    for node in plan.nodes:
        share = f"{node.base_share * 100:5.1f}%" if node.base_share is not None else "     -"
        mark = "*" if node.changed else " "
        lines.append(
            f"{mark} {'  ' * node.depth}{node.name} ({node.code})\t"
            f"{_figure(plan, node.current)} → {_figure(plan, node.value)}\t{share}"
        )
    for unit in plan.skipped:
        lines.append(
            "  "
            + _("skipped %(unit)s (%(code)s): no active reps")
            % {"unit": unit.name, "code": unit.code}
        )
    summary = _("%(units)s units, %(people)s reps, %(changed)s changed") % {
        "units": len(plan.nodes) - len(plan.people),
        "people": len(plan.people),
        "changed": len(plan.changed),
    }
    lines.append(
        summary + (" — " + _("saved") if written else " — " + _("dry run: nothing written"))
    )
    return "\n".join(lines)


class Command(TiejunCommand):
    help = _("Targets: split a month's target down to every rep in one pass; remind to confirm.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cascade = sub.add_parser(
            "cascade",
            help=_("Split a unit's target of a month down through every level to every rep."),
        )
        cascade.add_argument("unit", metavar="UNIT", help=_("unit code"))
        cascade.add_argument("--month", required=True, help="YYYY-MM")
        cascade.add_argument("--total", required=True, help=_("the unit's target, e.g. 3000000"))
        cascade.add_argument("--metric", default="revenue", choices=sorted(METRICS))
        cascade.add_argument(
            "--method",
            default=EVEN,
            choices=[EVEN, SHARE],
            help=_("even, or by each child's share of the base period's results"),
        )
        cascade.add_argument(
            "--base",
            help=_("first month of the base period, YYYY-MM (default: the last complete month)"),
        )
        cascade.add_argument(
            "--base-months", type=int, default=1, help=_("months in the base period (default 1)")
        )
        cascade.add_argument(
            "--round", default="1", help=_("round shares to 1, 100 or 1000 (0.01 for cents)")
        )
        cascade.add_argument("--reason", default="", help=_("needed in a locked month"))
        cascade.add_argument("--today", help=_("today, YYYY-MM-DD (default: today)"))
        cascade.add_argument("--dry-run", action="store_true", help=_("show, write nothing"))
        cascade.add_argument("--json", action="store_true", help=_("print JSON"))
        remind = sub.add_parser(
            "remind", help=_("Queue today's reminders to confirm targets (the daily job does it).")
        )
        remind.add_argument("--today", help=_("today, YYYY-MM-DD (default: today)"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            today = self._today(options.pop("today", None))
            if action == "remind":
                queued = signoff_remind(today=today)
                self.stdout.write(_("%(n)s reminders queued") % {"n": queued})
                return
            self._cascade(today=today, **options)
        except (TiejunError, NotFound) as error:
            raise _bad(str(error)) from None

    @staticmethod
    def _today(text: str | None) -> dt.date:
        if not text:
            return timezone.localdate()
        return parse_day(text, field="--today") or timezone.localdate()

    def _cascade(self, *, today: dt.date, **options: Any) -> None:
        unit = unit_by_code(options["unit"])
        month = parse_month(options["month"], field="--month")
        if month is None:
            raise _bad(_("--month must be YYYY-MM"))
        base = parse_month(options["base"], field="--base") if options.get("base") else None
        plan = cascade_plan(
            unit=unit,
            month=month,
            metric=options["metric"],
            total=_amount(options["total"], "--total"),
            methods=[options["method"]],
            base=base,
            base_months=options["base_months"],
            rounding=_amount(options["round"], "--round"),
            today=today,
        )
        written = False
        if not options["dry_run"]:
            # The command line is the server's operator: no person, as an administrator.
            cascade_save(plan=plan, by=None, reason=options["reason"], today=today)
            written = True
        if options["json"]:
            data = plan.to_json(dry_run=options["dry_run"], written=written)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_plan(plan, written=written))
