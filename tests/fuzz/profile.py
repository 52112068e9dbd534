"""How hard the fuzzers try. ``TIEJUN_FUZZ=ci`` (the default): a fixed sequence of examples, the
same on every run, so CI is reproducible; ``TIEJUN_FUZZ=deep``: four times as many, from a fresh
random seed each run, to look for what the fixed sequence misses."""

from __future__ import annotations

import os

_PROFILE = os.environ.get("TIEJUN_FUZZ", "ci")
_SCALE = 4 if _PROFILE == "deep" else 1


def deterministic() -> bool:
    return _PROFILE != "deep"


def api_examples() -> int:
    """Generated requests per API operation and caller (the coverage phase adds its own)."""
    return 25 * _SCALE


def import_examples() -> int:
    """Generated files per import property."""
    return 100 * _SCALE
