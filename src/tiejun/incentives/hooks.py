"""What the incentives app hands the apps below it through their registries: the board's
"YTD / milestone" column (``scoreboard.columns``). The apps above (the nightly personal message)
import ``headline_milestones`` (a read, in ``selectors``) from here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tiejun.money import money
from tiejun.scoreboard.columns import Cell, ExtraColumn

from .selectors import (
    MilestoneProgress,
    any_year_milestone,
    headline_milestones,
    people_by_employee_no,
)

__all__ = ["headline_milestones", "milestone_cell", "ytd_milestone_column"]

if TYPE_CHECKING:
    from tiejun.scoreboard.selectors import Board

YTD_COLUMN = "ytd_milestone"
NEAR = 0.9  # from 90 % of the threshold a rep is "near" it on the board


def milestone_cell(row: MilestoneProgress) -> Cell:
    ytd, threshold = money(row.ytd, 0), money(row.threshold, 0)
    title = _("%(reward)s (plan %(plan)s)") % {"reward": row.reward, "plan": row.plan.code}
    if row.reached and row.reached_on is not None:
        return Cell(
            text=_("%(threshold)s reached %(date)s")
            % {"threshold": threshold, "date": f"{row.reached_on:%m-%d}"},
            title=title,
            state="reached",
        )
    text = f"{ytd} / {threshold}"
    if row.projected_on is not None:
        text += " · " + _("≈%(date)s") % {"date": f"{row.projected_on:%m-%d}"}
    return Cell(text=text, title=title, state="near" if row.share >= NEAR else "")


def ytd_milestone_column(board: Board) -> ExtraColumn | None:
    """The board's "YTD / milestone" column: each rep's year to date against their plan's
    milestone, as of the board's day; None on a board of units, or when no plan milestone
    applies to anyone on it. One query when no plan has a yearly milestone; a fixed few else."""
    codes = [row.code for row in board.rows if row.kind == "person"]
    if not codes or not any_year_milestone(board.as_of.year):
        return None
    people = people_by_employee_no(codes)
    chosen = headline_milestones(people, today=board.as_of)
    if not chosen:
        return None
    return ExtraColumn(
        key=YTD_COLUMN,
        label=_("YTD / milestone"),
        cells={row.person.employee_no: milestone_cell(row) for row in chosen.values()},
    )
