"""Which years the working-day calendar does not know yet, though the company already plans in
them: targets, deals or visit plans in a year with neither the statutory package's data nor a
schedule the company loaded. ``tiejun calendar check`` and the nightly warning to the admins
read the same answer."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tiejun.crm.models import Deal
from tiejun.field.models import VisitPlan
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Membership, Person, Role
from tiejun.org.selectors import calendar_source
from tiejun.targets.models import Target
from tiejun.workdays import WEEKDAYS

log = logging.getLogger(__name__)

# From this month on, the nightly job also warns about the coming year, used or not.
WARN_FROM_MONTH = 11


def years_in_use() -> set[int]:
    """The years that hold a target, a deal or a visit plan (three small queries)."""
    years = {d.year for d in Target.objects.dates("month", "year")}
    years |= {d.year for d in Deal.objects.dates("won_date", "year")}
    years |= {d.year for d in VisitPlan.objects.dates("date", "year")}
    return years


def uncovered_years(*, today: dt.date | None = None) -> list[int]:
    """Years in use with no statutory or company calendar; with ``today`` in November or
    December, the coming year too."""
    years = years_in_use()
    if today is not None and today.month >= WARN_FROM_MONTH:
        years.add(today.year + 1)
    return sorted(y for y in years if calendar_source(y) == WEEKDAYS)


def warning_text(years: list[int]) -> str:
    return _(
        "No statutory holidays are loaded for %(years)s: the boards, paces and targets of those "
        'years count Monday to Friday. Load each year\'s schedule (import kind "calendar") or '
        "accept its provisional holidays on the calendar page."
    ) % {"years": ", ".join(str(y) for y in years)}


def _admins(today: dt.date) -> list[Person]:
    admin_ids = Membership.objects.on(today).filter(role=Role.ADMIN).values("person_id")
    return list(
        Person.objects.filter(Q(is_superuser=True) | Q(pk__in=admin_ids), is_active=True)
        .exclude(email="")
        .order_by("employee_no")
    )


def calendar_warn_admins(*, today: dt.date) -> int:
    """Queue one e-mail per admin naming the uncovered years (idempotent per admin and day).
    Returns how many messages were queued."""
    years = uncovered_years(today=today)
    if not years:
        return 0
    queued = 0
    for person in _admins(today):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = _("Working-day calendar missing for %(years)s") % {
                "years": ", ".join(str(y) for y in years)
            }
            text = warning_text(years)
        _message, created = message_enqueue(
            channel="email",
            address=person.email,
            key=f"calendar-missing:{today.isoformat()}:{person.pk}",
            subject=subject,
            text=text,
            payload={"kind": "calendar_missing", "years": years},
        )
        queued += int(created)
    return queued
