"""``tiejun office add UNIT NAME --lat LAT --lon LON [--radius M] [--address TEXT] [--json]`` and
``tiejun office list [--json]``: the offices transfer orders name as the place to report."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from tiejun.command import TiejunCommand
from tiejun.errors import TiejunError
from tiejun.org.selectors import unit_by_code
from tiejun.transfers.models import Office
from tiejun.transfers.services import office_create

EXIT_USAGE = 2


def _json(office: Office) -> dict[str, Any]:
    return {
        "id": office.pk,
        "unit": office.unit.code,
        "name": office.name,
        "address": office.address,
        "lat": f"{office.lat}",
        "lon": f"{office.lon}",
        "radius_m": office.radius_m,
    }


class Command(TiejunCommand):
    help = _("Add and list the offices people report to on a transfer order.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help=_("add an office of a unit"))
        add.add_argument("unit_code")
        add.add_argument("name")
        add.add_argument("--lat", required=True, help=_("latitude (WGS-84)"))
        add.add_argument("--lon", required=True, help=_("longitude (WGS-84)"))
        add.add_argument("--radius", type=int, default=None, help=_("geofence in metres"))
        add.add_argument("--address", default="")
        add.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help=_("list the offices"))
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            offices = Office.objects.select_related("unit").order_by("unit__code", "name")
            if options["json"]:
                self.stdout.write(json.dumps([_json(o) for o in offices], ensure_ascii=False))
                return
            for o in offices:
                self.stdout.write(
                    f"{o.pk}\t{o.unit.code}\t{o.name}\t{o.lat},{o.lon}\t{o.radius_m} m\t{o.address}"
                )
            return
        try:
            office = office_create(
                unit=unit_by_code(options["unit_code"]),
                name=options["name"],
                lat=options["lat"],
                lon=options["lon"],
                radius_m=options["radius"],
                address=options["address"],
            )
        except TiejunError as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        if options["json"]:
            self.stdout.write(json.dumps(_json(office), ensure_ascii=False))
        else:
            self.stdout.write(
                _("office %(id)d: %(name)s of %(unit)s")
                % {"id": office.pk, "name": office.name, "unit": office.unit.name}
            )
