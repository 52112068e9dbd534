"""The open pipeline as the forecast reads it: each rep's open opportunities expected to close
in a window, each with its stage's win rate learned from the stage history. One query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from tiejun import pipeline as pl

from ..models import OpportunityStageChange


@dataclass
class OpenPipeline:
    """Win rates per stage and, per rep (person id), their open (amount, win rate) pairs."""

    rates: dict[str, float]
    by_person: dict[int, list[tuple[float, float]]] = field(default_factory=dict)


def stage_changes(until: dt.date | None = None) -> list[pl.Change]:
    """Every opportunity's stage changes up to the end of ``until`` (all without), oldest first,
    each with the opportunity's owner and the estimate (amount, expected close) the change
    recorded; a row older than those fields carries the opportunity's estimate of today."""
    rows = OpportunityStageChange.objects.order_by("at", "id")
    if until is not None:
        end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
        rows = rows.filter(at__lt=end)
    return [
        pl.Change(
            opp_id,
            to_stage,
            timezone.localtime(at).date(),
            owner_id,
            float(amount if amount is not None else today_amount),
            close if amount is not None else today_close,
        )
        for opp_id, to_stage, at, owner_id, amount, close, today_amount, today_close in (
            rows.values_list(
                "opportunity_id",
                "to_stage",
                "at",
                "opportunity__owner_id",
                "amount",
                "expected_close",
                "opportunity__amount",
                "opportunity__expected_close",
            )
        )
    ]


def open_pipeline(
    person_ids: Iterable[int], *, as_of: dt.date, closing_after: dt.date, closing_until: dt.date
) -> OpenPipeline:
    """The pipeline as it stood at the end of ``as_of``: stage-wise win rates from every
    opportunity's stage changes up to then, and the reps' opportunities open then with an
    expected close in (``closing_after``, ``closing_until``]."""
    people = set(person_ids)
    rates, by_owner = pl.as_of(
        stage_changes(as_of), as_of, closing_after=closing_after, closing_until=closing_until
    )
    return OpenPipeline(rates, {p: opps for p, opps in by_owner.items() if p in people})
