"""What the daily rhythm stores: the forecast's recalibration, refitted monthly."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ForecastCalibration(models.Model):
    """One fitted recalibration of the month-end forecast (isotonic, from the company's own
    backtest), with the track record of the months it was fitted on. Never edited: each
    refit is a new version; the review uses the newest of its metric."""

    metric = models.CharField(_("metric"), max_length=32)
    version = models.PositiveIntegerField(_("version"))
    fitted_on = models.DateField(_("fitted on"))
    months = models.CharField(_("months"), max_length=200)  # "2026-06 … 2026-11"
    count = models.PositiveIntegerField(_("forecasts"))
    person_map = models.JSONField(_("rep map"), default=dict)
    unit_map = models.JSONField(_("unit map"), default=dict)
    # the pipeline's blend per as-of working day ("5": {"pipeline": …, "run": …, …}), learned
    # from the same backtest; empty: the pipeline joins the run-rate as the larger of the two
    blends = models.JSONField(_("pipeline blends"), default=dict)
    # the backtest's figures: Brier scores and the calibration of the last quarter's forecasts
    scores = models.JSONField(_("scores"), default=dict)
    track_record = models.JSONField(_("track record"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric", "-version"]
        verbose_name = _("forecast calibration")
        verbose_name_plural = _("forecast calibrations")
        constraints = [
            models.UniqueConstraint(fields=["metric", "version"], name="forecast_calib_version")
        ]

    def __str__(self) -> str:
        return f"{self.metric} v{self.version} ({self.fitted_on})"
