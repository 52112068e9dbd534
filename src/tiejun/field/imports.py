"""Import kind ``visits`` (visit history):
``visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel``.

``outcome`` is an interest level (none, low, medium, high) or free text kept as the visit's
notes. A row whose visit id is already stored changes only its outcome and channel.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.crm.models import Customer, SalesChannel
from tiejun.errors import TiejunError
from tiejun.imports.engine import Kind
from tiejun.imports.registry import register
from tiejun.org.imports import OrgCells, admin_or_manager

from .models import Interest, Visit
from .selectors.visits import parse_id, visit_stored
from .services.checkins import visit_checkin
from .services.visits import coordinate

_DATETIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
CREATED, UPDATED = "created", "updated"


def _datetime(value: str) -> dt.datetime | None:
    match = _DATETIME.match(value.strip())
    if match is None:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return timezone.make_aware(dt.datetime(y, mo, d, h, mi, s))
    except ValueError:
        return None


def _outcome(text: str) -> tuple[str, str]:
    """(interest, notes) from the outcome cell."""
    key = text.strip().lower()
    if key in Interest.values:
        return key, ""
    for value, label in Interest.choices:
        if key == str(label).lower():
            return value, ""
    return "", text.strip()


def apply_visit_row(c: Any, ctx: Any) -> str | None:
    raw_id = c.text("visit_id", max_length=36)
    visit_id = None
    if raw_id:
        try:
            visit_id = parse_id(raw_id)
        except TiejunError as exc:
            c.fail("visit_id", str(exc))
    person = c.person("employee_no")
    code = c.text("customer_code", max_length=32)
    customer = Customer.objects.filter(code=code).first() if code else None
    if code and customer is None:
        c.fail("customer_code", _("unknown customer %(code)s") % {"code": code})
    when = c.text("checkin_at")
    checkin_at = _datetime(when) if when else None
    if when and checkin_at is None:
        c.fail(
            "checkin_at",
            _("%(value)s is not a date and time YYYY-MM-DD HH:MM") % {"value": when},
        )
    coords = {}
    for column in ("lat", "lon"):
        value = c.text(column)
        if value:
            try:
                coords[column] = coordinate(value, field=column)
            except TiejunError as exc:
                c.fail(column, str(exc))
    outcome = c.text("outcome", required=False, max_length=2000)
    channel = c.text("channel", required=False).lower() or SalesChannel.VISIT
    if channel not in SalesChannel.values:
        c.fail(
            "channel",
            _("unknown channel %(channel)s; use one of %(choices)s")
            % {"channel": channel, "choices": ", ".join(SalesChannel.values)},
        )
    c.check()
    assert visit_id and person and customer and checkin_at
    interest, notes = _outcome(outcome)
    stored = visit_stored(visit_id, person)
    if stored is None:
        visit, _created = visit_checkin(
            id=visit_id,
            person=person,
            customer=customer,
            at=checkin_at,
            lat=coords["lat"],
            lon=coords["lon"],
            channel=channel,
            source="import",
            check_visibility=False,
            # The file comes from admin or a leader of the rep (the import is scoped): that is
            # the approval a late check-in needs, unless the leader imports their own visits.
            hold=None if ctx.by is not None and ctx.by.pk == person.pk else False,
        )
        Visit.objects.filter(pk=visit.pk).update(interest=interest, notes=notes)
        return CREATED
    if (stored.interest, stored.notes, stored.channel) == (interest, notes, channel):
        return None
    Visit.objects.filter(pk=stored.pk).update(interest=interest, notes=notes, channel=channel)
    return UPDATED


def register_kinds() -> None:
    register(
        Kind(
            "visits",
            (
                "visit_id",
                "employee_no",
                "customer_code",
                "checkin_at",
                "lat",
                "lon",
                "outcome",
                "channel",
            ),
            "visit_id",
            label=gettext_lazy("Visit history"),
            position=55,
            aliases={"id": "visit_id"},
            may_import=admin_or_manager,
            cells=OrgCells,
            apply=apply_visit_row,
        )
    )
