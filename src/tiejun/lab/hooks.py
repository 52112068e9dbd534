"""What apps above the lab add to its pages, registered from their ``AppConfig.ready``.

The incentives app sits above the lab in the stack, so the planner cannot import it; it registers
a cost panel here instead (the pattern of the ``signals.py`` files: a lower app asks, a higher one
answers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from tiejun.org.models import Unit


class CostPanel(Protocol):
    def __call__(
        self,
        *,
        unit: Unit,
        current: Mapping[str, float],
        recommended: Mapping[str, float],
        names: Mapping[str, str],
        params: Mapping[str, str],
        today: dt.date,
    ) -> str: ...  # a rendered template (a SafeString)


_cost_panels: list[CostPanel] = []


def register_cost_model(panel: CostPanel) -> None:
    """Show ``panel`` on the planner: given the expected revenue per sales model of the current
    and the recommended mix, the GET parameters and today, it returns the panel's HTML."""
    if panel not in _cost_panels:
        _cost_panels.append(panel)


def cost_panels() -> list[CostPanel]:
    return list(_cost_panels)
