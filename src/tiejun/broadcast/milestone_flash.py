"""The milestone flash of a yearly incentive milestone (issue 16): the incentives app records the
day a person's year-to-date total first meets a plan milestone and sends ``milestone_reached``
after commit; this module announces it to the milestone subscribers of the person's unit and
every unit above it, exactly once (the outbox key names the milestone, the person and the year).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import HUEY

from tiejun.crm.models import Deal
from tiejun.incentives.models import MilestoneReached
from tiejun.org.models import Unit
from tiejun.org.selectors import membership_on
from tiejun.tasking import fresh_connections

from .models import Report, Subscription
from .selectors import subscribers_above
from .services import _money, deliver_to, message_key

YEAR = "year"


def crossing_deal(person_id: int, reached_on: dt.date, recorded_at: Any = None) -> Deal | None:
    """The deal that took the person over the threshold: their last deal won on ``reached_on``
    that was recorded by the time the milestone was (the one whose signal recorded it)."""
    deals = Deal.objects.filter(person_id=person_id, won_date=reached_on)
    if recorded_at is not None:
        deals = deals.filter(created_at__lte=recorded_at)
    return deals.select_related("unit").order_by("-pk").first()


def flash_unit(reached: MilestoneReached, deal: Deal | None) -> Unit | None:
    """The team the flash is for: the crossing deal's, else the person's on the day."""
    if deal is not None:
        return deal.unit
    membership = membership_on(reached.person_id, reached.reached_on)
    return membership.unit if membership is not None else None


def year_milestone_json(reached: MilestoneReached, deal: Deal | None, unit: Unit) -> dict[str, Any]:
    """The data of a yearly milestone flash (``scope`` "year"), for every format."""
    person, milestone = reached.person, reached.milestone
    return {
        "report": Report.MILESTONE.value,
        "scope": YEAR,
        "code": person.employee_no,
        "employee_no": person.employee_no,
        "name": person.name,
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "year": reached.year,
        "date": reached.reached_on.isoformat(),
        "milestone": milestone.code,
        "plan": milestone.plan.code,
        "threshold": _money(milestone.threshold),
        "reward": milestone.reward,
        "deal_no": deal.deal_no if deal is not None else "",
    }


def year_milestone_flash_send(*, person_id: int, milestone_id: int) -> dict[str, int]:
    """Queue the flash of a reached yearly milestone to the milestone subscribers of the
    person's unit (on the day it was reached) and every unit above it. Idempotent: a second
    call queues nothing new; a milestone not recorded as reached is skipped."""
    reached = (
        MilestoneReached.objects.select_related("person", "milestone__plan")
        .filter(person_id=person_id, milestone_id=milestone_id)
        .order_by("-year")
        .first()
    )
    if reached is None:
        return {"queued": 0, "already_queued": 0}
    deal = crossing_deal(person_id, reached.reached_on, reached.recorded_at)
    unit = flash_unit(reached, deal)
    if unit is None:
        return {"queued": 0, "already_queued": 0}
    data = year_milestone_json(reached, deal, unit)
    queued = existing = 0
    with transaction.atomic():
        for s in subscribers_above(unit.pk, Report.MILESTONE):
            key = message_key(
                Report.MILESTONE,
                s.unit.code,
                dt.date(reached.year, 1, 1),
                s,
                YEAR,
                reached.milestone.plan.code,
                reached.milestone.code,
                reached.person.employee_no,
            )
            q, e = deliver_to(s, Report.MILESTONE, data, key)
            queued += q
            existing += e
    return {"queued": queued, "already_queued": existing}


@HUEY.task(name="broadcast.year_milestone_flash", retries=3, retry_delay=10)
@fresh_connections
def year_milestone_flash_task(person_id: int, milestone_id: int) -> None:
    year_milestone_flash_send(person_id=person_id, milestone_id=milestone_id)


def on_milestone_reached(
    sender: Any, *, person_id: int, milestone_id: int, reached_on: dt.date, **kwargs: Any
) -> None:
    """A person reached a yearly milestone (sent after commit): queue its flash, unless nobody
    subscribes to milestone flashes."""
    if Subscription.objects.filter(active=True, report=Report.MILESTONE).exists():
        year_milestone_flash_task(person_id, milestone_id)
