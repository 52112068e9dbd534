"""``tiejun route``: solve a route from a CSV of points, or for a rep's saved visit plan.

    tiejun route --points FILE [--road-factor F] [--start HH:MM] [--end HH:MM]
                 [--time-limit SECONDS] [--json]
    tiejun route EMPLOYEE_NO --date YYYY-MM-DD [--time-limit SECONDS] [--json]

FILE is CSV ``id,lat,lon[,open,close,service_min]``; the first row is the depot where the route
starts and ends (a header row naming ``id`` is allowed). However short ``--time-limit`` is, every
stop that fits the day is kept: the optimiser starts from a constructive route and only improves
it (``--time-limit 0`` prints that constructive route).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun import routing
from tiejun.command import TiejunCommand
from tiejun.field.selectors.plans import plan_for, plan_solve, plan_stops, route_input, route_json
from tiejun.org.models import Person


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def read_points(path: str) -> list[routing.Point]:
    """The points of a CSV file; a clear ``CommandError`` (exit 2) for anything wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}) from None
    points: list[routing.Point] = []
    seen: set[str] = set()
    for line_no, row in enumerate(csv.reader(text.splitlines()), start=1):
        row = [cell.strip() for cell in row]
        if not row or not any(row) or row[0].startswith("#"):
            continue
        if line_no == 1 and row[0].lower() == "id":
            continue
        where = _("line %(n)s") % {"n": line_no}
        if len(row) < 3 or len(row) > 6:
            raise _bad(
                _("%(where)s: expected id,lat,lon[,open,close,service_min], got %(n)s fields")
                % {"where": where, "n": len(row)}
            )
        pid = row[0]
        if not pid or pid in seen:
            raise _bad(_("%(where)s: missing or repeated id %(id)r") % {"where": where, "id": pid})
        seen.add(pid)
        try:
            lat, lon = float(row[1]), float(row[2])
        except ValueError:
            raise _bad(
                _("%(where)s: latitude and longitude must be numbers") % {"where": where}
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _bad(_("%(where)s: coordinates out of range") % {"where": where})
        extra = row[3:] + [""] * (6 - len(row))
        try:
            opens = routing.parse_hhmm(extra[0]) if extra[0] else None
            closes = routing.parse_hhmm(extra[1]) if extra[1] else None
        except ValueError:
            raise _bad(_("%(where)s: opening hours must be HH:MM") % {"where": where}) from None
        if opens is not None and closes is not None and closes <= opens:
            raise _bad(_("%(where)s: closes before it opens") % {"where": where})
        try:
            service = int(extra[2]) if extra[2] else 30
        except ValueError:
            service = -1
        if not (0 <= service <= 600):
            raise _bad(_("%(where)s: service_min must be 0 to 600 minutes") % {"where": where})
        points.append(routing.Point(pid, lat, lon, opens, closes, service * 60))
    if len(points) < 2:
        raise _bad(_("%(file)s: need a depot and at least one stop") % {"file": path})
    return points


class Command(TiejunCommand):
    help = _("Solve a route: from a CSV of points, or for a rep's saved visit plan.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employee_no", nargs="?", help=_("the rep whose plan to solve"))
        parser.add_argument("--date", help=_("the plan's date, YYYY-MM-DD"))
        parser.add_argument("--points", help=_("CSV file id,lat,lon[,open,close,service_min]"))
        parser.add_argument("--road-factor", type=float, default=None, help=_("default 1.3"))
        parser.add_argument("--start", default="09:00", help=_("leave at HH:MM (points)"))
        parser.add_argument("--end", default="18:00", help=_("back by HH:MM (points)"))
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help=_("seconds the optimiser may spend improving the route (0: none)"),
        )
        parser.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        factor = options["road_factor"]
        if factor is not None and not (1.0 <= factor <= 5.0):
            raise _bad(_("--road-factor must lie between 1 and 5"))
        if options["time_limit"] is not None and not (0 <= options["time_limit"] <= 600):
            raise _bad(_("--time-limit must lie between 0 and 600 seconds"))
        if options["points"]:
            if options["employee_no"]:
                raise _bad(_("give either --points or an employee number, not both"))
            result, dropped = self._points(options, factor)
        elif options["employee_no"]:
            result, dropped = self._plan(options)
        else:
            raise _bad(_("give --points FILE or EMPLOYEE_NO --date YYYY-MM-DD"))
        if dropped:
            self.stderr.write(_("Left out (do not fit): %(ids)s") % {"ids": ", ".join(dropped)})
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for pid in result["order"]:
            self.stdout.write(f"{result['arrivals'].get(pid, '     ')}  {pid}")
        self.stdout.write(
            _("%(km).1f km, %(min)d min driving")
            % {"km": result["distance_m"] / 1000, "min": result["duration_s"] // 60}
        )

    def _points(self, options: dict, factor: float | None) -> tuple[dict, list[str]]:
        points = read_points(options["points"])
        try:
            start, end = routing.parse_hhmm(options["start"]), routing.parse_hhmm(options["end"])
        except ValueError:
            raise _bad(_("--start and --end must be HH:MM")) from None
        route = routing.solve(
            points[0],
            points[1:],
            start_time=start,
            end_time=end,
            lunch=None,
            time_limit_s=options["time_limit"],
            provider=routing.GreatCircleProvider(road_factor=factor or 1.3),
        )
        return route_json(route, depot_id=points[0].id), route.dropped

    def _plan(self, options: dict) -> tuple[dict, list[str]]:
        if not options["date"]:
            raise _bad(_("--date YYYY-MM-DD is required with an employee number"))
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise _bad(_("--date must be a date YYYY-MM-DD")) from None
        person = Person.objects.filter(employee_no=options["employee_no"]).first()
        if person is None:
            raise _bad(_("Unknown employee %(no)s.") % {"no": options["employee_no"]})
        plan = plan_for(person, day)
        stops = plan_stops(plan)
        if plan is None or not stops:
            raise _bad(
                _("%(no)s has no visit plan on %(date)s.") % {"no": person.employee_no, "date": day}
            )
        route = plan_solve(plan, stops, time_limit_s=options["time_limit"])
        end = route_input(plan, stops).end
        return route_json(route, depot_id="start", end_id=end.id if end else None), route.dropped
