"""``tiejun lab efficiency --from … --to … [--unit CODE] [--attribution …] [--lookback-days 90]
[--hourly-cost X] [--json]`` and ``tiejun lab validate [--seed S]``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.lab.attribution import RULES
from tiejun.lab.selectors.columns import DEFAULT_LOOKBACK_DAYS
from tiejun.lab.selectors.efficiency import efficiency_json, efficiency_report
from tiejun.lab.validate import run, run_seeds, seeds_range
from tiejun.org.selectors import unit_by_code


def _date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(flag)s must be a date YYYY-MM-DD, not %(value)s") % {"flag": flag, "value": value}
        ) from None


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_table(data: dict[str, Any]) -> str:
    """The contract JSON as aligned text."""
    lines = [
        f"{data['from']} … {data['to']}  {_('unit')} {data['unit'] or _('company')}  "
        f"{_('attribution')} {data['attribution']}"
    ]
    columns = [
        "model",
        "touches",
        "customers_touched",
        "customers_won",
        "conversion",
        "revenue",
        "rep_hours",
        "full_cost",
        "revenue_per_hour",
        "cost_per_customer",
        "median_cycle_days",
    ]
    table = [columns] + [[_show(row[c]) for c in columns] for row in data["rows"]]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        cells = [
            cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(line)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class Command(TiejunCommand):
    help = _("The sales-model lab: efficiency per sales model, and the planner's validation.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        eff = sub.add_parser(
            "efficiency", help=_("Revenue, hours and costs per sales model for a period.")
        )
        eff.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        eff.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD")
        eff.add_argument("--unit", help=_("unit code (default: the whole company)"))
        eff.add_argument("--attribution", choices=RULES, default="last_touch")
        eff.add_argument(
            "--lookback-days", dest="lookback_days", type=int, default=DEFAULT_LOOKBACK_DAYS
        )
        eff.add_argument(
            "--hourly-cost",
            dest="hourly_cost",
            help=_("labour cost of a rep-hour (default: settings)"),
        )
        eff.add_argument("--json", action="store_true", help=_("print the contract JSON"))
        validate = sub.add_parser(
            "validate", help=_("Check the mix planner on a synthetic company with known truth.")
        )
        validate.add_argument("--seed", type=int, default=2026, help=_("random seed"))
        validate.add_argument(
            "--seeds",
            help=_("a range of seeds to validate over, e.g. 1-20 (a summary per seed and overall)"),
        )
        validate.add_argument("--json", action="store_true", help=_("print the result as JSON"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "validate" and options.get("seeds"):
            run_seeds(
                seeds_range(options["seeds"]),
                stdout=self.stdout,  # type: ignore[arg-type]
                as_json=options.get("json", False),
            )
            return
        if action == "validate":
            run(
                seed=options["seed"],
                stdout=self.stdout,  # type: ignore[arg-type]
                as_json=options.get("json", False),
            )
            return
        self._efficiency(**options)

    def _efficiency(self, **options: Any) -> None:
        start = _date(options["start"], "--from")
        end = _date(options["end"], "--to")
        hourly = None
        if options.get("hourly_cost") is not None:
            try:
                hourly = Decimal(options["hourly_cost"])
            except InvalidOperation:
                raise CommandError(_("--hourly-cost must be a number")) from None
            if not hourly.is_finite() or hourly < 0:
                raise CommandError(_("--hourly-cost must be a number of zero or more"))
        try:
            unit = unit_by_code(options["unit"]) if options.get("unit") else None
            report = efficiency_report(
                start=start,
                end=end,
                unit=unit,
                attribution=options["attribution"],
                lookback_days=options["lookback_days"],
                hourly_cost=hourly,
            )
        except TiejunError as exc:
            raise CommandError(str(exc)) from None
        data = efficiency_json(report)
        if options.get("json"):
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_table(data))
