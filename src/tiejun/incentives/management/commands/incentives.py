"""``tiejun incentives plan load FILE.json`` loads a plan (the same code again replaces it from
its ``effective_from``); ``tiejun incentives statement EMPLOYEE_NO --month YYYY-MM [--json]``
prints a month's statement; ``tiejun incentives milestones --unit UNIT --year YYYY [--json]``
prints everyone's milestone progress in a unit's subtree."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.context import acting
from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.money import money
from tiejun.org.models import Person, Unit
from tiejun.workdays import parse_month

from ...selectors import milestone_progress_many, statement_for, unit_people
from ...services import plan_load

EXIT_USAGE = 2


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_USAGE)


class Command(TiejunCommand):
    help = _(
        "Incentives: load a plan from a JSON file, print a person's monthly statement, or the "
        "milestone progress of a unit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help=_("Incentive plans."))
        plan_sub = plan.add_subparsers(dest="plan_action", required=True)
        load = plan_sub.add_parser("load", help=_("Load a plan from a JSON file."))
        load.add_argument("file", help=_("the plan file (JSON)"))
        statement = sub.add_parser("statement", help=_("A person's statement of a month."))
        statement.add_argument("employee_no", help=_("employee number"))
        statement.add_argument("--month", required=True, help=_("the month, YYYY-MM"))
        statement.add_argument("--json", action="store_true", help=_("print JSON"))
        milestones = sub.add_parser("milestones", help=_("Milestone progress of a unit."))
        milestones.add_argument("--unit", required=True, help=_("unit code (with its subtree)"))
        milestones.add_argument("--year", type=str, help=_("the year, YYYY (default: this year)"))
        milestones.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "plan":
            self._load(options["file"])
        elif action == "statement":
            self._statement(options["employee_no"], options["month"], options["json"])
        else:
            self._milestones(options["unit"], options.get("year"), options["json"])

    def _load(self, path: str) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise _usage(
                _("cannot read %(file)s: %(error)s") % {"file": path, "error": error}
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise _usage(
                _("%(file)s is not valid JSON (line %(line)d, column %(col)d): %(msg)s")
                % {"file": path, "line": error.lineno, "col": error.colno, "msg": error.msg}
            ) from None
        try:
            with acting(None, "cli"):
                plan = plan_load(data=data)
        except TiejunError as error:
            raise _usage(str(error)) from None
        self.stdout.write(
            _("plan %(code)s loaded, effective from %(day)s (%(n)d milestone(s))")
            % {"code": plan.code, "day": plan.effective_from, "n": plan.milestones.count()}
        )

    def _statement(self, employee_no: str, month_text: str, as_json: bool) -> None:
        try:
            month = parse_month(month_text)
        except ValueError:
            raise _usage(
                _("--month must be YYYY-MM, not %(value)r") % {"value": month_text}
            ) from None
        person = Person.objects.filter(employee_no=employee_no).first()
        if person is None:
            raise _usage(_("unknown employee %(no)s") % {"no": employee_no})
        view = statement_for(person, month, today=timezone.localdate())
        if as_json:
            self.stdout.write(json.dumps(view.as_json(), ensure_ascii=False, indent=2))
            return
        f = view.figures
        self.stdout.write(
            f"{person.name} ({person.employee_no})  {month:%Y-%m}  "
            + (_("plan %(code)s") % {"code": view.plan.code} if view.plan else _("no plan applies"))
        )
        self.stdout.write(
            _("target %(target)s, achieved %(achieved)s")
            % {"target": money(f.target), "achieved": money(f.achieved)}
        )
        for line in view.lines:
            self.stdout.write(
                f"  {line.label():<12} {line.note or _bounds(line)}  "
                f"{money(line.base):>16} × {line.rate}  = {money(line.amount)}"
            )
        self.stdout.write(_("total %(total)s") % {"total": money(f.total)})

    def _milestones(self, unit_code: str, year_text: str | None, as_json: bool) -> None:
        today = timezone.localdate()
        try:
            year = int(year_text) if year_text else today.year
            dt.date(year, 1, 1)
        except ValueError:
            raise _usage(_("--year must be YYYY, not %(value)r") % {"value": year_text}) from None
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise _usage(_("unknown unit %(code)s") % {"code": unit_code})
        rows = milestone_progress_many(unit_people(unit.pk, year), today=today, year=year)
        if as_json:
            self.stdout.write(
                json.dumps(
                    [dict(row.as_json().items()) for row in rows],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        for row in rows:
            state = (
                _("reached %(day)s") % {"day": row.reached_on}
                if row.reached
                else _("forfeited")
                if row.forfeited
                else _("projected %(day)s") % {"day": row.projected_on or "—"}
            )
            self.stdout.write(
                f"{row.person.employee_no}  {row.person.name}  {row.milestone.code}  "
                f"{money(row.ytd, 0)} / {money(row.threshold, 0)}  {state}"
            )


def _bounds(line: Any) -> str:
    if line.lower is None:
        return ""
    upper = "∞" if line.upper is None else f"{line.upper * 100:.0f}%"
    return f"{line.lower * 100:.0f}%–{upper}"
