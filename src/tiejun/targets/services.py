"""Writes to targets: set one, split a unit's over its children. Every change is audited."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import Forbidden, TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Person, Unit
from tiejun.org.selectors import is_admin, membership_on, work_calendar
from tiejun.workdays import month_start

from .allocation import allocate
from .models import ChangeRequestStatus, Target, TargetChange, TargetChangeRequest
from .selectors import cascade_for_unit

ChildKey = tuple[str, int]  # ("unit", id) or ("person", id)


def month_is_locked(month: dt.date, today: dt.date | None = None) -> bool:
    """Targets lock on the month's first working day."""
    today = today or timezone.localdate()
    return today >= work_calendar().first_workday(month_start(month))


# A locked target changes only with a reason someone can act on: a few words, counted as this
# many letters or digits, a Chinese character counting two (a Chinese reason has no spaces, and
# "新客户大单" says as much as "new big account").
MIN_REASON_CHARS = 10


def reason_length(reason: str) -> int:
    """The weight of the letters and digits in ``reason``: 2 for a wide (CJK) character, 1 for
    others; spaces and punctuation count nothing."""
    return sum(
        2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in reason
        if unicodedata.category(ch)[0] in "LN"
    )


def _check_locked_change(
    *,
    month: dt.date,
    unit: Unit | None,
    person: Person | None,
    by: Person | None,
    reason: str,
    today: dt.date | None,
) -> None:
    """A locked target changes with a real reason, and never by its own holder: a leader's own
    unit, or their own target, is changed by the level above (admin sits at the top)."""
    if by is not None and not is_admin(by):
        own = person is not None and person.pk == by.pk
        if unit is not None:
            membership = membership_on(by, today or timezone.localdate())
            own = membership is not None and membership.unit_id == unit.pk
        if own:
            raise Forbidden(
                _(
                    "targets for %(month)s are locked; a change to your own unit's target or "
                    "your own must be made by the level above you"
                )
                % {"month": f"{month:%Y-%m}"},
                field="code",
            )
    if not reason:
        raise TiejunError(
            _("targets for %(month)s are locked; a change needs a reason")
            % {"month": f"{month:%Y-%m}"},
            field="reason",
        )
    if reason_length(reason) < MIN_REASON_CHARS:
        raise TiejunError(
            _(
                "targets for %(month)s are locked; give a reason of at least %(min)s letters or "
                "digits, or half as many Chinese characters (characters are counted, not words; "
                "spaces and punctuation do not count)"
            )
            % {"month": f"{month:%Y-%m}", "min": MIN_REASON_CHARS},
            field="reason",
        )


def _heads(by: Person, unit: Unit, today: dt.date | None) -> bool:
    membership = membership_on(by, today or timezone.localdate())
    return membership is not None and membership.unit_id == unit.pk and not is_admin(by)


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
    from_request: bool = False,
) -> Target:
    """Set one target; all is audited. Changing a target of a locked month needs a reason of
    ``MIN_REASON_CHARS`` and, for the changer's own unit or self, the level above them.

    After the lock every change is a change request: one the level above makes itself (or a
    move makes) is recorded as a request it decided at once, so the queue's history holds every
    change to a locked month; ``from_request`` is set when an approval writes the change."""
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
    if old is not None and locked:
        _check_locked_change(
            month=month, unit=unit, person=person, by=by, reason=reason, today=today
        )
    elif locked and unit is not None and by is not None and _heads(by, unit, today):
        # A unit with no target of its own stands at its children's sum: a head setting one
        # after the lock would cut that locked figure, so it is the level above's to set.
        from_children = cascade_for_unit(unit, month, metric).children_sum
        if from_children is not None and from_children != value:
            _check_locked_change(
                month=month, unit=unit, person=None, by=by, reason=reason, today=today
            )
    if target is None:
        target = Target.objects.create(month=month, metric=metric, value=value, **owner)
    else:
        target.value = value
        target.save(update_fields=["value", "updated_at"])
    if locked and old is not None and not from_request:
        _record_direct_change(
            month=month, metric=metric, old=old, value=value, by=by, reason=reason, owner=owner
        )
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


def _record_direct_change(
    *,
    month: dt.date,
    metric: str,
    old: Decimal,
    value: Decimal,
    by: Person | None,
    reason: str,
    owner: Mapping[str, Unit | Person | None],
) -> None:
    """A locked target changed by the level above it (or by a move) without a request: the
    queue's history shows it as a request asked and approved at once by the same person."""
    now = timezone.now()
    TargetChangeRequest.objects.create(
        month=month,
        metric=metric,
        old_value=old,
        new_value=value,
        reason=reason[:500],
        status=ChangeRequestStatus.APPROVED,
        requested_by=by,
        requested_at=now,
        decided_by=by,
        decided_at=now,
        **owner,
    )


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
