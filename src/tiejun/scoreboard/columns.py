"""Extra columns of the board page that higher apps provide (the incentives app: year to date
against a plan milestone). The scoreboard imports none of them: an app registers a provider in
its ``ready()``; a provider reads what it needs in a fixed number of queries and returns a
column, or None when it does not apply to the board (then the page shows no such column)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .selectors import Board


@dataclass(frozen=True)
class Cell:
    text: str
    title: str = ""  # the longer reading, shown on hover
    state: str = ""  # a CSS hint: "reached", "near", "forfeited" or ""


@dataclass(frozen=True)
class ExtraColumn:
    key: str
    label: str
    cells: dict[str, Cell] = field(default_factory=dict)  # by the row's code


ColumnProvider = Callable[["Board"], "ExtraColumn | None"]
_providers: list[ColumnProvider] = []


def register_board_column(provider: ColumnProvider) -> None:
    """Called by the app that provides the column, in its ``ready()``."""
    if provider not in _providers:
        _providers.append(provider)


def board_columns(board: Board) -> list[ExtraColumn]:
    """The extra columns that apply to ``board``, in the order they were registered."""
    return [column for provider in _providers if (column := provider(board)) is not None]
