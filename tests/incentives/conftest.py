from __future__ import annotations

import copy

import pytest

STD_2026 = {
    "code": "STD-2026",
    "name": "标准提成",
    "effective_from": "2026-01-01",
    "units": ["HQ"],
    "roles": ["rep"],
    "metric": "revenue",
    "tiers": [
        {"from": 0, "to": 0.8, "rate": 0.03},
        {"from": 0.8, "to": 1.0, "rate": 0.05},
        {"from": 1.0, "to": None, "rate": 0.08},
    ],
    "milestones": [
        {
            "code": "M1",
            "metric": "revenue",
            "period": "year",
            "threshold": "1000000",
            "reward": "期权 20,000 股",
            "roles": ["rep"],
            "forfeit_on_promotion": True,
        }
    ],
}


@pytest.fixture
def plan_data():
    return copy.deepcopy(STD_2026)
