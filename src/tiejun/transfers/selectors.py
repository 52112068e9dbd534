"""Reads of transfer orders: who may see and issue them, a region's list and its on-time rate.

Who sees an order: the person it moves, whoever issued it, the supervisors and managers of
either unit (the one left and the one joined) or above them, and admin. Who issues one: whoever
may move the person (``org.selectors.can_move_person``: a manager over both units, or admin).
Who confirms the arrival: the receiving manager (a leader of the new unit or above), never the
person themself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from tiejun.access import is_admin
from tiejun.errors import NotFound
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import can_manage_unit, led_unit_ids, subtree_ids

from .models import Office, TransferOrder


def _orders() -> QuerySet[TransferOrder]:
    return TransferOrder.objects.select_related(
        "person", "from_unit", "to_unit", "office", "issued_by", "confirmed_by"
    )


def visible_orders(viewer: Person) -> QuerySet[TransferOrder]:
    if is_admin(viewer):
        return _orders()
    led = led_unit_ids(viewer, coordinators=False)
    return _orders().filter(
        Q(person=viewer) | Q(issued_by=viewer) | Q(from_unit_id__in=led) | Q(to_unit_id__in=led)
    )


def access_order(viewer: Person, pk: int) -> TransferOrder:
    """The order if ``viewer`` may see it, else ``NotFound`` (the same for a missing one)."""
    order = visible_orders(viewer).filter(pk=pk).first()
    if order is None:
        raise NotFound(f"unknown transfer order {pk}")
    return order


def may_confirm_arrival(viewer: Person, order: TransferOrder) -> bool:
    return viewer.pk != order.person_id and can_manage_unit(viewer, order.to_unit)


def my_orders(person: Person) -> QuerySet[TransferOrder]:
    return _orders().filter(person=person)


def region_orders(viewer: Person, region: Unit) -> QuerySet[TransferOrder]:
    """The orders into or out of ``region``'s subtree that ``viewer`` may see."""
    inside = subtree_ids(region)
    return visible_orders(viewer).filter(Q(to_unit_id__in=inside) | Q(from_unit_id__in=inside))


@dataclass(frozen=True)
class OnTime:
    due: int  # orders reported, or whose report-by time has passed
    on_time: int
    open: int
    overdue: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def on_time(orders: list[TransferOrder], now: dt.datetime | None = None) -> OnTime:
    now = now or timezone.now()
    due = on = open_ = overdue = 0
    for order in orders:
        if order.reported_at is not None:
            due += 1
            on += order.reported_at <= order.report_by
        else:
            open_ += 1
            if order.report_by < now:
                due += 1
                overdue += 1
    return OnTime(due=due, on_time=on, open=open_, overdue=overdue)


def status_of(order: TransferOrder, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if order.reported_at is not None:
        return "reported" if order.reported_at <= order.report_by else "reported_late"
    if order.report_by < now:
        return "overdue"
    return "acknowledged" if order.acknowledged_at is not None else "issued"


def offices_for(viewer: Person) -> QuerySet[Office]:
    """The offices an order of ``viewer`` may name: all for admin, else those of the subtree
    they lead."""
    offices = Office.objects.select_related("unit").order_by("unit__code", "name")
    if is_admin(viewer):
        return offices
    return offices.filter(unit_id__in=led_unit_ids(viewer, coordinators=False))
