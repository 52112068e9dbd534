"""``tiejun board UNIT_CODE [--month YYYY-MM] [--as-of YYYY-MM-DD] [--metric revenue] [--json]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.org.selectors import calendar_warning_text, unit_by_code
from tiejun.scoreboard.selectors import Board, board_for_unit, parse_board_args


def _width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1%}"
    return str(value)


def render_table(board: Board) -> str:
    """The board as aligned text: the unit's figures, then one line per row."""
    data = board.to_json()
    lines = [
        f"{data['unit']['name']} ({data['unit']['code']})  {data['metric']}  "
        f"{data['month']}  {_('as of')} {data['as_of']}",
        f"{_('working days')} {data['working_days']['elapsed']}/{data['working_days']['total']}"
        f"  {_('time progress')} {_show(data['time_progress'])}",
    ]
    if not board.progress.confirmed:
        lines.append(f"! {calendar_warning_text(board.month.year)}")
    for key, label in [
        ("target", _("Target")),
        ("achieved", _("Achieved")),
        ("today", _("Today")),
        ("remaining", _("Remaining")),
        ("completion", _("Completion")),
        ("required_daily", _("Required daily")),
        ("allocation_gap", _("Allocation gap")),
    ]:
        lines.append(f"  {_pad(label, 16, False)}{_show(data[key])}")
    columns = [
        ("rank", _("Rank"), True),
        ("code", _("Code"), False),
        ("name", _("Name"), False),
        ("target", _("Target"), True),
        ("achieved", _("Achieved"), True),
        ("today", _("Today"), True),
        ("remaining", _("Remaining"), True),
        ("completion", _("Completion"), True),
        ("required_daily", _("Required daily"), True),
    ]
    table = [[label for _key, label, _right in columns]]
    table += [[_show(row[key]) for key, _label, _right in columns] for row in data["rows"]]
    widths = [max(_width(line[i]) for line in table) for i in range(len(columns))]
    lines.append("")
    for line in table:
        cells = [_pad(cell, widths[i], columns[i][2]) for i, cell in enumerate(line)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class Command(TiejunCommand):
    help = _("Show a unit's board: the same figures as the web page and the API.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit_code")
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD")
        parser.add_argument("--metric", default="revenue")
        parser.add_argument("--json", action="store_true", help=_("print the API's JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            unit = unit_by_code(options["unit_code"])
            month, as_of = parse_board_args(options["month"], options["as_of"])
            board = board_for_unit(unit, month=month, as_of=as_of, metric=options["metric"])
        except TiejunError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(board.to_json(), ensure_ascii=False))
        else:
            self.stdout.write(render_table(board))
