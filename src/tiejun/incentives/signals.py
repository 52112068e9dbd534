"""Signals incentives sends to the apps above it, and its receivers of the crm's signals."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

# A person reached a milestone (recorded once a year; sent after commit). kwargs: person_id,
# milestone_id, reached_on. The broadcast app may turn it into a milestone flash.
milestone_reached = Signal()


def record_reached(person_ids: set[int], *, today: Any = None) -> int:
    """Record the milestones ``person_ids`` have newly reached (counting roles only) and tell
    the apps above; returns how many are new."""
    from tiejun.org.models import Person

    from .selectors import milestone_progress_many
    from .services import milestone_reached_record

    today = today or timezone.localdate()
    people = list(Person.objects.filter(pk__in=person_ids))
    new = 0
    for row in milestone_progress_many(people, today=today):
        if (
            row.reached
            and row.reached_on is not None
            and milestone_reached_record(
                milestone=row.milestone, person=row.person, reached_on=row.reached_on
            )
        ):
            new += 1
            transaction.on_commit(
                partial(
                    milestone_reached.send,
                    sender=None,
                    person_id=row.person.pk,
                    milestone_id=row.milestone.pk,
                    reached_on=row.reached_on,
                )
            )
    return new


def on_deal_won(sender: Any, deal_id: int, **kwargs: Any) -> None:
    from tiejun.crm.models import Deal

    person_id = Deal.objects.filter(pk=deal_id).values_list("person_id", flat=True).first()
    if person_id is not None:
        record_reached({person_id})


def on_deals_imported(sender: Any, won_today: Any = (), **kwargs: Any) -> None:
    from tiejun.crm.models import Deal

    person_ids = set(
        Deal.objects.filter(pk__in=list(won_today)).values_list("person_id", flat=True)
    )
    if person_ids:
        record_reached(person_ids)
