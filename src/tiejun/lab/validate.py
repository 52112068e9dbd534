"""``tiejun lab validate``: fit a synthetic company with known response curves and score the lab.

The company lives in memory (see ``tiejun.labmath.synthetic_company``): 40 units × 24 months,
four models with known power curves and multiplicative noise. The fit and the planner run exactly
as on real data; the report compares them with the truth.
"""

from __future__ import annotations

import json
from typing import TextIO

from django.utils.translation import gettext as _

from tiejun import labmath

AIM_ERROR = 0.10
AIM_REGRET = 0.05


def run(*, seed: int = 1, stdout: TextIO, as_json: bool = False, draws: int = 200) -> dict:
    """Run the validation for ``seed``, print it (text or JSON) and return the result."""
    result = labmath.validate(seed=seed, draws=draws)
    result["aims"] = {
        "ranking_correct": result["ranking_correct"],
        "error_within_10_percent": result["max_error"] <= AIM_ERROR,
        "regret_within_5_percent": result["regret"] <= AIM_REGRET,
    }
    if as_json:
        stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return result
    w = stdout.write
    w(
        _("Synthetic company (seed %(seed)d): %(cells)d unit-months observed.")
        % {"seed": seed, "cells": result["cells_observed"]}
        + "\n"
    )
    w(_("Revenue per rep-hour at the current mix, fitted vs true:") + "\n")
    header = (
        f"  {_('model'):<10}{_('hours'):>10}{_('true'):>10}{_('fitted'):>10}"
        f"{_('90% interval'):>22}{_('error'):>9}{_('true b'):>8}{_('fit b'):>8}"
    )
    w(header + "\n")
    for r in result["rows"]:
        low, high = r["interval"]
        w(
            f"  {r['model']:<10}{r['hours']:>10.0f}{r['true_revenue_per_hour']:>10.2f}"
            f"{r['fitted_revenue_per_hour']:>10.2f}{f'{low:.2f} – {high:.2f}':>22}"
            f"{r['error']:>9.1%}{r['true_b']:>8.2f}{r['fitted_b']:>8.3f}\n"
        )
    w(
        _("Ranking: true %(true)s, fitted %(fitted)s — %(verdict)s")
        % {
            "true": " > ".join(result["true_ranking"]),
            "fitted": " > ".join(result["fitted_ranking"]),
            "verdict": _("correct") if result["ranking_correct"] else _("WRONG"),
        }
        + "\n"
    )
    w(_("Largest per-model error: %(e).1f %%") % {"e": 100 * result["max_error"]} + "\n")
    w(_("Hours next quarter, recommended vs true optimum:") + "\n")
    for r in result["rows"]:
        w(f"  {r['model']:<10}{r['recommended_hours']:>12.0f}{r['optimal_hours']:>12.0f}\n")
    w(
        _(
            "True revenue: current mix ¥%(current).0f, recommended ¥%(rec).0f, "
            "true optimum ¥%(opt).0f; regret %(regret).2f %%"
        )
        % {
            "current": result["current_true_revenue"],
            "rec": result["recommended_true_revenue"],
            "opt": result["optimal_true_revenue"],
            "regret": 100 * result["regret"],
        }
        + "\n"
    )
    met = all(result["aims"].values())
    w(
        (_("Aims met: ranking correct, error ≤ 10 %, regret ≤ 5 %.") if met else _("Aims NOT met."))
        + "\n"
    )
    return result
