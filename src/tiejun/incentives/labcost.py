"""The incentive cost of a sales-model mix on the lab's mix planner, and what a change of how a
model is paid would cost. Registered with ``tiejun.lab.hooks`` from the app's ``ready``: the lab
sits below incentives and cannot import it.

Reads only; the maths is :func:`tiejun.incentives.maths.mix_cost`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tiejun.org.models import Membership, Role, Unit
from tiejun.org.selectors import subtree_ids
from tiejun.targets.models import Target
from tiejun.workdays import month_start

from .maths import MixCost, ModelTerms, fen, mix_cost
from .models import Plan
from .selectors import _plans_covering, plan_tiers

QUARTER_MONTHS = 3
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class UnitPay:
    """What the unit's reps are paid under: the plan and each rep's monthly target."""

    plan: Plan
    targets: list[Decimal]

    @property
    def counted(self) -> frozenset[str] | None:
        return frozenset(self.plan.channels) if self.plan.channels else None


def unit_pay(unit: Unit, today: dt.date) -> UnitPay | None:
    """The plan for reps of ``unit`` on ``today`` and its reps' targets of the month (None when
    no plan covers the unit's reps)."""
    plans = _plans_covering(unit.pk, Role.REP, today, today)
    if not plans:
        return None
    plan = plans[0]
    person_ids = list(
        Membership.objects.on(today)
        .filter(unit_id__in=subtree_ids(unit), role=Role.REP)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    values = dict(
        Target.objects.filter(
            person_id__in=person_ids, month=month_start(today), metric=plan.metric
        ).values_list("person_id", "value")
    )
    return UnitPay(plan, [Decimal(values.get(pid) or 0) for pid in person_ids])


def cost_of(
    pay: UnitPay, split: Mapping[str, float], terms: Mapping[str, ModelTerms] | None = None
) -> MixCost:
    """The quarter's commission on ``split`` (expected revenue per sales model) under ``pay``."""
    return mix_cost(
        {m: Decimal(str(round(v, 2))) for m, v in split.items()},
        pay.targets,
        plan_tiers(pay.plan),
        cap=pay.plan.cap,
        counted=pay.counted,
        months=QUARTER_MONTHS,
        terms=terms,
    )


class WhatIfError(ValueError):
    """A what-if the page cannot price (the message says why, fit to show)."""


def _percent(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        raise WhatIfError(_("%(field)s must be a number") % {"field": field}) from None
    if not value.is_finite() or value < 0:
        raise WhatIfError(_("%(field)s must be a number of 0 or more") % {"field": field})
    return value


def what_if(params: Mapping[str, str], models: Mapping[str, str]) -> tuple[str, ModelTerms] | None:
    """The what-if of the GET parameters: ``cost_model`` with ``cost_flat`` (a percentage of its
    revenue, outside the tiers) or ``cost_multiplier`` (times its tier pay). None when no model is
    chosen; :class:`WhatIfError` when the input is unusable."""
    model = (params.get("cost_model") or "").strip()
    if not model:
        return None
    if model not in models:
        raise WhatIfError(_("%(model)s is not a sales model of this plan") % {"model": model})
    flat = (params.get("cost_flat") or "").strip()
    multiplier = (params.get("cost_multiplier") or "").strip()
    if flat and multiplier:
        raise WhatIfError(_("give either a flat rate or a multiplier, not both"))
    if flat:
        rate = _percent(flat, _("The flat rate"))
        if rate > HUNDRED:
            raise WhatIfError(_("the flat rate is a percentage between 0 and 100"))
        return model, ModelTerms(flat=rate / HUNDRED)
    if multiplier:
        factor = _percent(multiplier, _("The multiplier"))
        if factor > 10:
            raise WhatIfError(_("the multiplier must be at most 10"))
        return model, ModelTerms(multiplier=factor)
    raise WhatIfError(_("give a flat rate or a multiplier for the model"))


def _per_100(per_yuan: Decimal | None) -> Decimal | None:
    return None if per_yuan is None else fen(per_yuan * HUNDRED)


def planner_cost_panel(
    *,
    unit: Unit,
    current: Mapping[str, float],
    recommended: Mapping[str, float],
    names: Mapping[str, str],
    params: Mapping[str, str],
    today: dt.date,
) -> str:
    """The planner's incentive-cost card (see ``tiejun.lab.hooks.CostPanel``)."""
    pay = unit_pay(unit, today)
    context: dict[str, object] = {
        "pay": pay,
        "names": names,
        "params": params,
        "keep": [(k, v) for k, v in params.items() if not k.startswith("cost_")],
    }
    if pay is None:
        return render_to_string("incentives/_labcost_panel.html", context)
    if pay.plan.metric != "revenue" and not pay.plan.channels:
        context["unpriced"] = True
        return render_to_string("incentives/_labcost_panel.html", context)
    now, best = cost_of(pay, current), cost_of(pay, recommended)
    context.update(
        now=now,
        best=best,
        rows=[
            {
                "code": m,
                "name": names.get(m, m),
                "revenue": best.revenue_by_model.get(m),
                "cost": best.by_model.get(m),
                "per_100": _per_100(best.per_yuan(m)),
            }
            for m in recommended
        ],
    )
    try:
        chosen = what_if(params, names)
    except WhatIfError as error:
        context["error"] = str(error)
        chosen = None
    if chosen is not None:
        model, terms = chosen
        changed = cost_of(pay, recommended, {model: terms})
        context["whatif"] = {
            "model": model,
            "name": names.get(model, model),
            "terms": terms,
            "flat_percent": None if terms.flat is None else terms.flat * HUNDRED,
            "cost": changed.cost,
            "model_cost": changed.by_model.get(model),
            "difference": changed.cost - best.cost,
            "net": changed.net,
        }
    return render_to_string("incentives/_labcost_panel.html", context)
