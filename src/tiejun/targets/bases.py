"""Where the base period's results come from, for a cascade "by share".

The results are the scoreboard's facts, and the scoreboard sits above targets: it hands its
reader in when it starts (``ScoreboardConfig.ready`` calls ``base_results_set``), the way sources
register with the scoreboard, so targets never import it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from decimal import Decimal

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

# (metric, first day, last day, unit ids, person ids) → (result per unit and everything under
# it, result per person), both over the days given.
BaseResults = Callable[
    [str, dt.date, dt.date, Collection[int], Collection[int]],
    tuple[dict[int, Decimal], dict[int, Decimal]],
]
_reader: BaseResults | None = None


def base_results_set(reader: BaseResults | None) -> None:
    global _reader
    _reader = reader


def base_results(
    metric: str,
    start: dt.date,
    end: dt.date,
    unit_ids: Collection[int],
    person_ids: Collection[int],
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    if _reader is None:
        raise TiejunError(_("results of past months are not available to split by share"))
    return _reader(metric, start, end, unit_ids, person_ids)
