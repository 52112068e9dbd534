"""Writes on transfer orders (调令): issue (the move is saved at once and takes effect on its
date), acknowledge, report in at the office (a check-in inside its geofence, or the receiving
manager's word), and the sweep that flags overdue orders to their issuer. Every write is
audited; messages go through the outbox on commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.dateinput import MAX_DAY, MIN_DAY
from tiejun.errors import Forbidden, TiejunError
from tiejun.field.services.visits import coordinate
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person, Role, Unit
from tiejun.org.selectors import can_move_person, membership_on
from tiejun.org.services import membership_move_checked
from tiejun.routing import haversine_m
from tiejun.text import check_name

from .models import Office, ReportedHow, TransferOrder
from .selectors import may_confirm_arrival

NOTE_MAX = 2000


def _language(person: Person) -> str:
    codes = dict(settings.LANGUAGES)
    return person.language if person.language in codes else settings.LANGUAGE_CODE


def _send(person: Person | None, key: str, subject: str, text: str, kind: str) -> None:
    """Queue a message to ``person`` on their channel: e-mail, else SMS; none without either."""
    if person is None:
        return
    if person.email:
        channel, address = "email", person.email
    elif person.phone:
        channel, address = "sms", person.phone
    else:
        return
    message_enqueue(
        channel=channel,
        address=address,
        key=key,
        subject=subject,
        text=text,
        payload={"kind": kind},
    )


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _notify_issued(order: TransferOrder) -> None:
    person = order.person
    with translation.override(_language(person)):
        subject = _("Transfer order: %(unit)s from %(day)s") % {
            "unit": order.to_unit.name,
            "day": order.effective.isoformat(),
        }
        text = _(
            "%(name)s, you are transferred to %(unit)s as %(role)s from %(day)s. Report at "
            "%(office)s (%(address)s) by %(by)s. %(note)s Acknowledge it here: %(url)s"
        ) % {
            "name": person.name,
            "unit": order.to_unit.name,
            "role": Role(order.to_role).label,
            "day": order.effective.isoformat(),
            "office": order.office.name,
            "address": order.office.address or "—",
            "by": _local(order.report_by),
            "note": order.note,
            "url": settings.PUBLIC_URL + reverse("transfers:detail", args=[order.pk]),
        }
    _send(person, f"transfer_order:{order.pk}:issued", subject, text, "transfer_order")


def _check_issue(
    *,
    person: Person,
    unit: Unit,
    role: str,
    effective: dt.date,
    report_by: dt.datetime,
    office: Office,
    note: str,
    by: Person,
    now: dt.datetime,
) -> tuple[str, dt.datetime]:
    """The note and the report-by time, checked (the time in the current time zone if naive)."""
    current = membership_on(person, timezone.localdate(now)) or (
        person.memberships.filter(valid_to__isnull=True).select_related("unit").first()
    )
    if current is None:
        raise TiejunError(_("%(name)s has no current membership") % {"name": person.name})
    if not person.is_active:
        raise TiejunError(_("%(person)s is deactivated") % {"person": person})
    if not can_move_person(by, person, current.unit, unit, role):
        raise Forbidden(_("you may not move people between these units"), field="unit_code")
    if not MIN_DAY <= report_by.date() <= MAX_DAY:
        raise TiejunError(_("the report-by time must be in the future"), field="report_by")
    if timezone.is_naive(report_by):
        report_by = timezone.make_aware(report_by)
    if report_by <= now:
        raise TiejunError(_("the report-by time must be in the future"), field="report_by")
    if timezone.localdate(report_by) > effective + dt.timedelta(days=31):
        raise TiejunError(
            _("the report-by time must be within a month of the effective date"),
            field="report_by",
        )
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise TiejunError(
            _("the note is longer than %(n)d characters") % {"n": NOTE_MAX}, field="note"
        )
    if office.unit_id not in (unit.pk, *_ancestor_ids(unit)):
        raise TiejunError(
            _("%(office)s is not an office of %(unit)s or a unit above it")
            % {"office": office.name, "unit": unit.name},
            field="office",
        )
    return note, report_by


def _ancestor_ids(unit: Unit) -> list[int]:
    from tiejun.org.models import UnitClosure

    return list(UnitClosure.objects.filter(descendant=unit).values_list("ancestor_id", flat=True))


@transaction.atomic
def order_issue(
    *,
    person: Person,
    unit: Unit,
    role: str | None,
    effective: dt.date,
    report_by: dt.datetime,
    office: Office,
    note: str = "",
    by: Person,
    confirm: bool = False,
    choices: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> TransferOrder:
    """Issue a transfer or promotion as an order: the move is saved now (after the move checks:
    ``MoveNeedsConfirmation`` unless ``confirm``) and takes effect on ``effective``; the person
    is told at once on their channel and finds it on their page."""
    now = now or timezone.now()
    current = person.memberships.filter(valid_to__isnull=True).select_related("unit").first()
    new_role = role or (current.role if current else "")
    note, report_by = _check_issue(
        person=person,
        unit=unit,
        role=new_role,
        effective=effective,
        report_by=report_by,
        office=office,
        note=note,
        by=by,
        now=now,
    )
    assert current is not None
    membership, warnings = membership_move_checked(
        person=person,
        effective=effective,
        unit=unit,
        role=role,
        by=by,
        confirm=confirm,
        choices=choices,
    )
    order = TransferOrder.objects.create(
        person=person,
        from_unit=current.unit,
        from_role=current.role,
        to_unit=unit,
        to_role=membership.role,
        membership=membership,
        effective=membership.valid_from,  # the advisor's postpone may have moved it
        report_by=report_by,
        office=office,
        note=note,
        issued_by=by,
        issued_at=now,
    )
    audit_record(
        action="issue",
        object_type="transfer_order",
        object_id=order.pk,
        object_repr=person.name,
        after={
            "person": person.employee_no,
            "from": current.unit.code,
            "to": unit.code,
            "role": membership.role,
            "effective": membership.valid_from,
            "report_by": report_by,
            "office": office.name,
            "warnings": [w.code for w in warnings],
        },
        actor=by,
    )
    transaction.on_commit(lambda: _notify_issued(order))
    return order


def _own(order: TransferOrder, by: Person) -> None:
    if order.person_id != by.pk:
        raise Forbidden(_("only %(name)s may do this") % {"name": order.person.name})


@transaction.atomic
def order_acknowledge(
    *, order: TransferOrder, by: Person, now: dt.datetime | None = None
) -> TransferOrder:
    """The person has read the order (a second tap changes nothing)."""
    _own(order, by)
    order = TransferOrder.objects.select_for_update().get(pk=order.pk)
    if order.acknowledged_at is not None:
        return order
    order.acknowledged_at = now or timezone.now()
    order.save(update_fields=["acknowledged_at"])
    audit_record(
        action="acknowledge",
        object_type="transfer_order",
        object_id=order.pk,
        object_repr=by.name,
        after={"acknowledged_at": order.acknowledged_at},
        actor=by,
    )
    return order


def _mark_reported(
    order: TransferOrder,
    *,
    at: dt.datetime,
    how: str,
    by: Person,
    distance: int | None = None,
) -> TransferOrder:
    order.reported_at = at
    order.reported_how = how
    order.reported_distance_m = distance
    order.confirmed_by = by if how == ReportedHow.MANAGER else None
    if order.acknowledged_at is None:  # reporting in is acknowledging too
        order.acknowledged_at = at
    order.save(
        update_fields=[
            "reported_at",
            "reported_how",
            "reported_distance_m",
            "confirmed_by",
            "acknowledged_at",
        ]
    )
    audit_record(
        action="report",
        object_type="transfer_order",
        object_id=order.pk,
        object_repr=order.person.name,
        after={"reported_at": at, "how": how, "distance_m": distance, "on_time": order.on_time},
        actor=by,
    )
    return order


def _distance(office: Office, lat: Any, lon: Any) -> int:
    here = (float(coordinate(lat, field="lat")), float(coordinate(lon, field="lon")))
    return round(haversine_m(*here, float(office.lat), float(office.lon)))


@transaction.atomic
def order_report_checkin(
    *,
    order: TransferOrder,
    by: Person,
    lat: Any,
    lon: Any,
    accuracy_m: Any = None,
    now: dt.datetime | None = None,
) -> TransferOrder:
    """The person reports in from their phone: it counts inside the office's geofence."""
    _own(order, by)
    order = (
        TransferOrder.objects.select_for_update()
        .select_related("office", "person")
        .get(pk=order.pk)
    )
    if order.reported_at is not None:
        return order
    distance = _distance(order.office, lat, lon)
    try:
        accuracy = float(accuracy_m) if accuracy_m not in (None, "") else None
    except (TypeError, ValueError):
        raise TiejunError(
            _("the accuracy must be a number of metres"), field="accuracy_m"
        ) from None
    if accuracy is not None and accuracy > settings.POOR_ACCURACY_M:
        raise TiejunError(
            _("the position is too imprecise (±%(m)d m): try again outdoors or by a window")
            % {"m": round(accuracy)},
            field="accuracy_m",
        )
    if distance > order.office.radius_m:
        raise TiejunError(
            _("you are %(d)d m from %(office)s; report in within %(r)d m of it")
            % {"d": distance, "office": order.office.name, "r": order.office.radius_m},
            field="lat",
        )
    return _mark_reported(
        order, at=now or timezone.now(), how=ReportedHow.CHECKIN, by=by, distance=distance
    )


@transaction.atomic
def order_confirm_arrival(
    *, order: TransferOrder, by: Person, now: dt.datetime | None = None
) -> TransferOrder:
    """The receiving manager confirms the person has reported."""
    if not may_confirm_arrival(by, order):
        raise Forbidden(_("only the receiving manager may confirm the arrival"))
    order = TransferOrder.objects.select_for_update().select_related("person").get(pk=order.pk)
    if order.reported_at is not None:
        return order
    return _mark_reported(order, at=now or timezone.now(), how=ReportedHow.MANAGER, by=by)


def orders_flag_overdue(*, now: dt.datetime | None = None) -> int:
    """Tell each issuer, once, about their orders not reported by the report-by time."""
    now = now or timezone.now()
    flagged = 0
    due = TransferOrder.objects.filter(
        reported_at__isnull=True, report_by__lt=now, overdue_flagged_at__isnull=True
    ).select_related("person", "to_unit", "office", "issued_by")
    for order in due:
        with transaction.atomic():
            updated = TransferOrder.objects.filter(
                pk=order.pk, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now)
            if not updated:
                continue
            issuer = order.issued_by
            if issuer is not None:
                with translation.override(_language(issuer)):
                    subject = _("Overdue: %(name)s has not reported at %(office)s") % {
                        "name": order.person.name,
                        "office": order.office.name,
                    }
                    text = _(
                        "%(name)s was to report at %(office)s by %(by)s (transfer to %(unit)s) "
                        "and has not. %(url)s"
                    ) % {
                        "name": order.person.name,
                        "office": order.office.name,
                        "by": _local(order.report_by),
                        "unit": order.to_unit.name,
                        "url": settings.PUBLIC_URL + reverse("transfers:detail", args=[order.pk]),
                    }
                _send(issuer, f"transfer_order:{order.pk}:overdue", subject, text, "order_overdue")
            audit_record(
                action="overdue",
                object_type="transfer_order",
                object_id=order.pk,
                object_repr=order.person.name,
                after={"report_by": order.report_by},
            )
            flagged += 1
    return flagged


@transaction.atomic
def office_create(
    *,
    unit: Unit,
    name: str,
    lat: Any,
    lon: Any,
    address: str = "",
    radius_m: int | None = None,
    by: Person | None = None,
) -> Office:
    name = check_name(name)
    radius = settings.GEOFENCE_M if radius_m is None else int(radius_m)
    if not 10 <= radius <= 10_000:
        raise TiejunError(_("the geofence is 10 to 10,000 m"), field="radius_m")
    if Office.objects.filter(unit=unit, name=name).exists():
        raise TiejunError(
            _("%(unit)s already has an office %(name)s") % {"unit": unit.name, "name": name},
            field="name",
        )
    office = Office.objects.create(
        unit=unit,
        name=name,
        address=address.strip()[:200],
        lat=coordinate(lat, field="lat"),
        lon=coordinate(lon, field="lon"),
        radius_m=radius,
    )
    audit_record(
        action="create",
        object_type="office",
        object_id=office.pk,
        object_repr=name,
        after={"unit": unit.code, "lat": office.lat, "lon": office.lon, "radius_m": radius},
        actor=by,
    )
    return office
