"""The move checks of the apps above org, registered with ``org.checks`` when the app starts:
the person's next-month targets (targets), their customers (crm), their visit plans (field)
and their open transfer orders (this app)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiejun.crm.models import Customer
from tiejun.field.models import VisitPlan
from tiejun.org.checks import MoveProposal, MoveWarning, register
from tiejun.org.models import Role
from tiejun.targets.moves import check_targets, resolve_targets

from .models import TransferOrder


def check_customers(p: MoveProposal) -> Iterable[MoveWarning]:
    """A transfer hands the person's customers on (crm, on the move's save)."""
    if not p.changes_unit:
        return
    count = Customer.objects.filter(owner=p.person).count()
    if not count:
        return
    if settings.LEAVER_CUSTOMERS_TO == "supervisor":
        where = _("the head of %(unit)s, else the open pool") % {"unit": p.old_unit.name}
    else:
        where = _("the open pool")
    yield MoveWarning(
        "customers.handover",
        ngettext(
            "%(name)s's %(n)d customer is handed over to %(where)s",
            "%(name)s's %(n)d customers are handed over to %(where)s",
            count,
        )
        % {"name": p.person.name, "n": count, "where": where},
        detail={"customers": count},
    )


def check_plans(p: MoveProposal) -> Iterable[MoveWarning]:
    """Visit plans from the effective date on belong to a team the person leaves."""
    if not p.changes_unit and p.role == Role.REP:
        return
    plans = list(
        VisitPlan.objects.filter(person=p.person, date__gte=p.effective, stops__isnull=False)
        .distinct()
        .order_by("date")
        .values_list("date", flat=True)
    )
    if not plans:
        return
    yield MoveWarning(
        "plans.open",
        ngettext(
            "%(name)s has %(n)d visit plan from %(day)s on to hand over or clear",
            "%(name)s has %(n)d visit plans from %(day)s on to hand over or clear",
            len(plans),
        )
        % {"name": p.person.name, "n": len(plans), "day": plans[0].isoformat()},
        detail={"plans": [d.isoformat() for d in plans]},
    )


def check_open_orders(p: MoveProposal) -> Iterable[MoveWarning]:
    """An order the person has not reported on yet: this move changes what it said."""
    order = (
        TransferOrder.objects.filter(person=p.person, reported_at__isnull=True)
        .select_related("to_unit")
        .order_by("-issued_at")
        .first()
    )
    if order is None:
        return
    yield MoveWarning(
        "orders.open",
        _("%(name)s has an open transfer order to %(unit)s from %(day)s, not reported yet")
        % {"name": p.person.name, "unit": order.to_unit.name, "day": order.effective.isoformat()},
        detail={"order": order.pk},
    )


def register_checks() -> None:
    register("target", check_targets, resolve=resolve_targets, choice="target")
    register("customers", check_customers)
    register("plans", check_plans)
    register("orders", check_open_orders)
