"""``tiejun forecast backtest [--months N] [--as-of-days 5,10,15,20] [--seed S] [--json]`` and
``tiejun forecast calibrate`` (refit the stored recalibration now, as the monthly task does)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.rhythm.backtest import (
    CALIBRATION_MONTHS,
    BacktestResult,
    backtest_sections,
    forecast_backtest,
    render_sections,
)
from tiejun.rhythm.services import calibration_refit


def _days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(_("--as-of-days must be numbers like 5,10,15,20")) from None
    if not days or any(d < 1 for d in days):
        raise CommandError(_("--as-of-days must be numbers like 5,10,15,20"))
    return days


def _show(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def render_backtest(result: BacktestResult, seconds: float | None = None) -> str:
    """The backtest as text: Brier scores per as-of day, then both calibration tables."""
    data = result.to_json()
    lines = [
        _("Forecast backtest: %(n)d forecasts over %(months)s, as of working days %(days)s")
        % {
            "n": data["forecasts"],
            "months": ", ".join(data["months"]) or "-",
            "days": ", ".join(str(d) for d in data["as_of_days"]),
        },
        _("targets reached: %(rate)s; simulations %(sims)d; seed %(seed)d")
        % {
            "rate": _show(data["hit_rate"], ".1%"),
            "sims": data["simulations"],
            "seed": data["seed"],
        },
        "",
        _("Brier score (lower is better)"),
        f"  {_('as of day'):<12}{_('count'):>8}{_('forecast'):>12}{_('baseline'):>12}",
    ]
    for row in data["by_as_of_day"]:
        lines.append(
            f"  {row['as_of_day']:<12}{row['count']:>8}"
            f"{_show(row['forecast']):>12}{_show(row['baseline']):>12}"
        )
    lines.append(
        f"  {_('all'):<12}{data['forecasts']:>8}"
        f"{_show(data['brier']['forecast']):>12}{_show(data['brier']['baseline']):>12}"
    )
    for which, title in (("forecast", _("forecast")), ("baseline", _("baseline"))):
        lines += [
            "",
            _("Calibration: %(model)s") % {"model": title},
            f"  {_('probability'):<12}{_('count'):>8}{_('mean forecast'):>15}{_('hit rate'):>10}",
        ]
        for b in data["calibration"][which]:
            if b["count"]:
                lines.append(
                    f"  {b['bucket']:<12}{b['count']:>8}"
                    f"{_show(b['mean_forecast']):>15}{_show(b['hit_rate']):>10}"
                )
    error, noise = data["calibration_error"], data["calibration_noise"]
    if error is not None and noise is not None:
        lines += [
            "",
            _(
                "Worst decile gap %(error)s; a perfectly calibrated forecast shows %(median)s "
                "(median) to %(p90)s (1 in 10) on these counts by chance alone."
            )
            % {"error": _show(error), "median": _show(noise["median"]), "p90": _show(noise["p90"])},
        ]
    if seconds is not None:
        lines += ["", _("in %(seconds).1f s") % {"seconds": seconds}]
    return "\n".join(lines)


class Command(TiejunCommand):
    help = _(
        "Forecast tools: 'backtest' replays past months at several as-of working days and "
        "scores the month-end forecast against the naive pace baseline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["backtest", "calibrate"])
        parser.add_argument(
            "--months", type=int, default=6, help=_("complete past months to replay")
        )
        parser.add_argument(
            "--as-of-days",
            default="5,10,15,20",
            help=_("working days of the month to forecast on, e.g. 5,10,15,20"),
        )
        parser.add_argument("--seed", type=int, default=0, help=_("random seed"))
        parser.add_argument(
            "--simulations", type=int, default=None, help=_("simulations per forecast")
        )
        parser.add_argument("--metric", default="revenue", help=_("metric (default revenue)"))
        parser.add_argument(
            "--today", help=_("replay the months before this date, YYYY-MM-DD (default: today)")
        )
        parser.add_argument(
            "--calibration-months",
            type=int,
            default=CALIBRATION_MONTHS,
            help=_("months replayed before the scored ones to fit the recalibration (0: none)"),
        )
        parser.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = (
                dt.date.fromisoformat(options["today"])
                if options["today"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError(_("--today must be a date YYYY-MM-DD")) from None
        started = time.perf_counter()
        if options["action"] == "calibrate":
            self._calibrate(today, options)
            return
        try:
            result = forecast_backtest(
                today=today,
                months=options["months"],
                as_of_days=_days(options["as_of_days"]),
                seed=options["seed"],
                simulations=options["simulations"],
                metric=options["metric"],
                calibration_months=options["calibration_months"],
            )
        except TiejunError as error:
            raise CommandError(str(error)) from None
        sections = backtest_sections(
            today=today, seed=options["seed"], simulations=options["simulations"]
        )
        if options["json"]:
            data = {**result.to_json(), **sections}
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            text = render_backtest(result, time.perf_counter() - started)
            self.stdout.write("\n".join([text, *render_sections(sections)]))

    def _calibrate(self, today: dt.date, options: dict[str, Any]) -> None:
        try:
            code = get_metric(options["metric"]).code
            calibration = calibration_refit(
                today=today, metric=code, seed=options["seed"], simulations=options["simulations"]
            )
        except (TiejunError, LookupError, ValueError) as error:
            raise CommandError(str(error)) from None
        if calibration is None:
            raise CommandError(_("No forecasts to recalibrate on: no targets or results yet."))
        if options["json"]:
            data = {
                "metric": calibration.metric,
                "version": calibration.version,
                "fitted_on": calibration.fitted_on.isoformat(),
                "forecasts": calibration.count,
                "person_map": calibration.person_map,
                "unit_map": calibration.unit_map,
                "scores": calibration.scores,
                "track_record": calibration.track_record,
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _(
                "Forecast recalibrated: %(metric)s version %(version)d from %(count)d replayed "
                "forecasts; the review uses it from now on."
            )
            % {
                "metric": calibration.metric,
                "version": calibration.version,
                "count": calibration.count,
            }
        )
