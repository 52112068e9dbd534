"""Run an import (the engine's entry point, for pages, the CLI, the API and tests)."""

from __future__ import annotations

from .engine import Feedback, ImportResult, Kind, run_import
from .readers import RowError
from .registry import KINDS

__all__ = ["KINDS", "Feedback", "ImportResult", "Kind", "RowError", "run_import"]
