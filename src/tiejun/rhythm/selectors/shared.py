"""What the kickoff, the review and the risks share: number formats and the reps of teams."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tiejun.metrics import Metric
from tiejun.org.models import Membership, Role
from tiejun.targets.models import Target

ZERO = Decimal(0)
HISTORY_WORKDAYS = 60  # the rep's own past the forecast draws from


def ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def rate(m: Metric, value: Decimal | None) -> str | float | None:
    if value is None:
        return None
    return m.to_json(value) if m.money else round(float(value), 2)  # type: ignore[return-value]


def dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 2)))


def reps_on(team_ids: list[int], day: dt.date) -> list[Membership]:
    """The memberships of the teams on ``day``, with their people, by employee number."""
    return list(
        Membership.objects.on(day)
        .filter(unit_id__in=team_ids)
        .select_related("person")
        .order_by("person__employee_no")
    )


def person_targets(month: dt.date, metric: str, person_ids: list[int]) -> dict[int, Decimal]:
    return dict(
        Target.objects.filter(month=month, metric=metric, person_id__in=person_ids).values_list(
            "person_id", "value"
        )
    )


def with_target_or_rep(members: list[Membership], targets: dict[int, Decimal]) -> list[Membership]:
    """The reps, and anyone else in the team with a personal target."""
    return [ms for ms in members if ms.role == Role.REP or ms.person_id in targets]
