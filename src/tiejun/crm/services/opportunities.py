"""Writes to a customer's opportunities: open, edit, close as won or lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.org.models import Person

from ..models import Customer, Opportunity, OpportunityStage, OpportunityStageChange

OPPORTUNITY_FIELDS = ("title", "amount", "stage", "expected_close", "probability")


MAX_AMOUNT = Decimal("1e14")


def _opportunity_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Checked opportunity fields: amount ≥ 0 with two decimals, probability 0–1, a stage."""
    unknown = set(fields) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise TiejunError(
            _("unknown opportunity fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    out = dict(fields)
    # In this order: the first bad field is the one reported.
    for name, clean in _CLEANERS.items():
        if name in out:
            out[name] = clean(out[name])
    return out


def _title(value: Any) -> str:
    title = (value or "").strip()
    if not title:
        raise TiejunError(_("an opportunity needs a title"), field="title")
    if len(title) > 200:
        raise TiejunError(_("longer than %(n)d characters") % {"n": 200}, field="title")
    if "\x00" in title:
        raise TiejunError(_("contains a NUL character"), field="title")
    return title


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TiejunError(_("the amount is not a number"), field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise TiejunError(_("the amount must be zero or more"), field="amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise TiejunError(_("the amount has more than two decimals"), field="amount")
    return amount


def _probability(value: Any) -> Decimal:
    try:
        probability = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TiejunError(_("the probability is not a number"), field="probability") from None
    if not probability.is_finite() or not 0 <= probability <= 1:
        raise TiejunError(_("the probability lies between 0 and 1"), field="probability")
    return probability.quantize(Decimal("0.001"))


def _stage(value: Any) -> Any:
    if value not in OpportunityStage.values:
        raise TiejunError(
            _("unknown stage %(value)s; use one of %(choices)s")
            % {"value": value, "choices": ", ".join(OpportunityStage.values)},
            field="stage",
        )
    return value


def _expected_close(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise TiejunError(_("give a date as YYYY-MM-DD"), field="expected_close") from None


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": _title,
    "amount": _amount,
    "probability": _probability,
    "stage": _stage,
    "expected_close": _expected_close,
}


@transaction.atomic
def opportunity_create(
    *,
    customer: Customer,
    title: str,
    amount: Decimal | str | int,
    stage: str = OpportunityStage.LEAD,
    expected_close: dt.date | None = None,
    probability: Decimal | str | float = 0,
    owner: Person | None = None,
    by: Person | None = None,
) -> Opportunity:
    """An opportunity on ``customer``, held by ``owner`` or else the customer's owner."""
    values = _opportunity_values(
        {
            "title": title,
            "amount": amount,
            "stage": stage,
            "expected_close": expected_close,
            "probability": probability,
        }
    )
    created = Opportunity.objects.create(
        customer=customer, owner=owner if owner is not None else customer.owner, **values
    )
    _stage_changed(created, "", by)
    return created


def _stage_changed(opportunity: Opportunity, before: str, by: Person | None) -> None:
    """Keep the stage history the pipeline's win rates are learned from, with the estimate
    (amount, expected close) as it stands after the change."""
    OpportunityStageChange.objects.create(
        opportunity=opportunity,
        from_stage=before,
        to_stage=opportunity.stage,
        by=by,
        amount=opportunity.amount,
        expected_close=opportunity.expected_close,
    )


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: Person | None = None, **fields: Any
) -> Opportunity:
    """Change an opportunity's title, stage, amount, expected close or probability."""
    values = _opportunity_values(fields)
    changed = [k for k, v in values.items() if getattr(opportunity, k) != v]
    before_stage = opportunity.stage
    for key in changed:
        setattr(opportunity, key, values[key])
    if changed:
        opportunity.save(update_fields=changed)
    if "stage" in changed or {"amount", "expected_close"} & set(changed):
        # a revised estimate is history too: a replay must not see today's figures
        _stage_changed(opportunity, before_stage, by)
    return opportunity


CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


@transaction.atomic
def opportunity_close(
    *, opportunity: Opportunity, outcome: str, by: Person | None = None
) -> Opportunity:
    """Close an open opportunity as won (probability 1) or lost (0). A won opportunity records
    no deal by itself: the deal is recorded as ever, with its own number and date."""
    if outcome not in CLOSED_STAGES:
        raise TiejunError(
            _("close an opportunity as won or lost, not %(value)s") % {"value": outcome},
            field="outcome",
        )
    if opportunity.stage in CLOSED_STAGES:
        raise TiejunError(_("this opportunity is closed already"), field="stage")
    before_stage = opportunity.stage
    opportunity.stage = outcome
    opportunity.probability = Decimal(1 if outcome == OpportunityStage.WON else 0)
    opportunity.save(update_fields=["stage", "probability"])
    _stage_changed(opportunity, before_stage, by)
    return opportunity
