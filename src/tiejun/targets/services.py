"""Writes to targets: set one, split a unit's over its children. Every change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import work_calendar
from tiejun.workdays import month_start

from .allocation import allocate
from .models import Target, TargetChange

ChildKey = tuple[str, int]  # ("unit", id) or ("person", id)


def month_is_locked(month: dt.date, today: dt.date | None = None) -> bool:
    """Targets lock on the month's first working day."""
    today = today or timezone.localdate()
    return today >= work_calendar().first_workday(month_start(month))


MAX_TARGET = Decimal("99999999999999.99")  # the column holds 16 digits, 2 after the point


def _check_value(metric_code: str, value: Decimal) -> Decimal:
    metric = get_metric(metric_code)
    if not value.is_finite():
        raise TiejunError(_("a target must be a number"), field="value")
    if value > MAX_TARGET:
        raise TiejunError(
            _("a target cannot exceed %(max)s") % {"max": f"{MAX_TARGET:,.0f}"}, field="value"
        )
    if value < 0:
        raise TiejunError(_("a target cannot be negative"), field="value")
    if not metric.money and value != value.to_integral_value():
        raise TiejunError(
            _("a %(metric)s target is a whole number") % {"metric": metric.label}, field="value"
        )
    return metric.quantize(value)


@transaction.atomic
def target_set(
    *,
    month: dt.date,
    metric: str,
    value: Decimal,
    unit: Unit | None = None,
    person: Person | None = None,
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> Target:
    """Set one target. Changing a target of a locked month needs a reason; all is audited."""
    if (unit is None) == (person is None):
        raise TiejunError(_("a target belongs to a unit or a person"), field="scope")
    month = month_start(month)
    value = _check_value(metric, Decimal(value))
    owner = {"unit": unit} if unit is not None else {"person": person}
    target = Target.objects.select_for_update().filter(month=month, metric=metric, **owner).first()
    old = target.value if target is not None else None
    if old is not None and old == value:
        return target  # type: ignore[return-value]
    locked = month_is_locked(month, today)
    reason = reason.strip()
    if old is not None and locked and not reason:
        raise TiejunError(
            _("targets for %(month)s are locked; a change needs a reason")
            % {"month": f"{month:%Y-%m}"},
            field="reason",
        )
    if target is None:
        target = Target.objects.create(month=month, metric=metric, value=value, **owner)
    else:
        target.value = value
        target.save(update_fields=["value", "updated_at"])
    TargetChange.objects.create(
        month=month,
        metric=metric,
        old_value=old,
        new_value=value,
        locked=locked,
        reason=reason,
        changed_by=by,
        **owner,
    )
    audit_record(
        action="create" if old is None else "update",
        object_type="target",
        object_id=_audit_id(month, metric, unit, person),
        object_repr=f"{(unit or person).name} {month:%Y-%m} {metric}",  # type: ignore[union-attr]
        before={"value": old} if old is not None else None,
        after={"value": value, "month_locked": True} if locked else {"value": value},
        reason=reason,
        actor=by,
    )
    return target


def _audit_id(month: dt.date, metric: str, unit: Unit | None, person: Person | None) -> str:
    """``2026-11:revenue:unit:HZ1`` or ``…:person:R1``: searchable by month, metric or code."""
    if unit is not None:
        return f"{month:%Y-%m}:{metric}:unit:{unit.code}"
    return f"{month:%Y-%m}:{metric}:person:{person.employee_no}"  # type: ignore[union-attr]


@transaction.atomic
def target_split(
    *,
    unit: Unit,
    month: dt.date,
    metric: str,
    total: Decimal,
    weights: Mapping[ChildKey, Decimal],
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> dict[ChildKey, Decimal]:
    """Set ``unit``'s target to ``total`` and split it over its children by ``weights``.

    The shares add up to the total exactly (largest remainder), so the split leaves no gap.
    """
    step = Decimal("0.01") if get_metric(metric).money else Decimal(1)
    total = _check_value(metric, Decimal(total))
    if not weights:
        raise TiejunError(_("%(unit)s has no one to split the target over") % {"unit": unit.name})
    shares = allocate(total, weights, step)
    target_set(
        month=month, metric=metric, value=total, unit=unit, by=by, reason=reason, today=today
    )
    targets_set_many(month=month, metric=metric, values=shares, by=by, reason=reason, today=today)
    audit_record(
        action="split",
        object_type="target",
        object_id=_audit_id(month_start(month), metric, unit, None),
        object_repr=f"{unit.name} {month:%Y-%m} {metric}",
        after={"total": total, "shares": _share_codes(shares)},
        reason=reason,
        actor=by,
    )
    return shares


def _share_codes(shares: Mapping[ChildKey, Decimal]) -> dict[str, Decimal]:
    units = dict(
        Unit.objects.filter(pk__in=[i for k, i in shares if k == "unit"]).values_list("pk", "code")
    )
    people = dict(
        Person.objects.filter(pk__in=[i for k, i in shares if k == "person"]).values_list(
            "pk", "employee_no"
        )
    )
    return {
        (units.get(i) if kind == "unit" else people.get(i)) or f"{kind}:{i}": value
        for (kind, i), value in shares.items()
    }


@transaction.atomic
def targets_set_many(
    *,
    month: dt.date,
    metric: str,
    values: Mapping[ChildKey, Decimal],
    by: Person | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> int:
    """Set a target for each (scope, id); returns how many changed."""
    units = Unit.objects.in_bulk([i for kind, i in values if kind == "unit"])
    people = Person.objects.in_bulk([i for kind, i in values if kind == "person"])
    changed = 0
    for (kind, pk), value in values.items():
        unit = units[pk] if kind == "unit" else None
        person = people[pk] if kind == "person" else None
        before = Target.objects.filter(
            month=month_start(month), metric=metric, unit=unit, person=person
        ).first()
        target_set(
            month=month,
            metric=metric,
            value=value,
            unit=unit,
            person=person,
            by=by,
            reason=reason,
            today=today,
        )
        changed += before is None or before.value != get_metric(metric).quantize(value)
    return changed
