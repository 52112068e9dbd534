"""Changes to a locked month's targets as requests: asked with a reason, decided by the level
above the unit or person whose target changes — never by that person, that unit's head, or the
one who asked. Every request and decision is audited; an approval writes the target through
``target_set``, so its own trail and the audit trail show it like any change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.money import money
from tiejun.org.models import LEADER_ROLES, Membership, Person, Unit
from tiejun.org.selectors import can_manage_unit, is_admin, membership_on, subtree_ids
from tiejun.workdays import month_start

from .models import ChangeRequestStatus, Target, TargetChangeRequest
from .services import (
    MIN_REASON_CHARS,
    _audit_id,
    _check_value,
    month_is_locked,
    reason_length,
    target_set,
)

Status = ChangeRequestStatus


def _holders(
    requests: list[TargetChangeRequest], day: dt.date
) -> dict[int, tuple[int, bool] | None]:
    """For each person's request: the unit the person is in (on the month's first day, else on
    ``day``) and whether they lead it. One query."""
    people = {r.person_id for r in requests if r.person_id is not None}
    spans: dict[int, list[Membership]] = {}
    for ms in Membership.objects.filter(person_id__in=people).order_by("-valid_from"):
        spans.setdefault(ms.person_id, []).append(ms)

    def on(person_id: int, when: dt.date) -> Membership | None:
        for ms in spans.get(person_id, []):
            if ms.valid_from <= when and (ms.valid_to is None or ms.valid_to >= when):
                return ms
        return None

    found: dict[int, tuple[int, bool] | None] = {}
    for r in requests:
        if r.person_id is None:
            continue
        held = on(r.person_id, r.month) or on(r.person_id, day)
        found[r.pk] = (held.unit_id, held.role in LEADER_ROLES) if held is not None else None
    return found


def _decider(by: Person, requests: list[TargetChangeRequest], day: dt.date) -> dict[int, bool]:
    """Which of ``requests`` ``by`` may decide: the level above the unit or person whose target
    changes — admin, or a supervisor/manager whose unit is above the target's unit (for a rep's
    target, the rep's unit or above; for a head's own, above their unit). Never the person,
    never the one who asked (admin excepted). Three queries, whatever the number of requests."""
    if not by.is_authenticated:
        return dict.fromkeys((r.pk for r in requests), False)
    if is_admin(by):
        return {r.pk: r.person_id != by.pk for r in requests}
    membership = membership_on(by, day)
    if membership is None or membership.role not in LEADER_ROLES:
        return dict.fromkeys((r.pk for r in requests), False)
    own = membership.unit_id
    below = set(subtree_ids(own))
    holders = _holders(requests, day)
    result: dict[int, bool] = {}
    for r in requests:
        if by.pk in (r.person_id, r.requested_by_id):
            result[r.pk] = False
        elif r.unit_id is not None:
            result[r.pk] = r.unit_id in below and r.unit_id != own
        else:
            holder = holders.get(r.pk)
            result[r.pk] = (
                holder is not None and holder[0] in below and not (holder[1] and holder[0] == own)
            )
    return result


def may_decide(by: Person, request: TargetChangeRequest, day: dt.date | None = None) -> bool:
    """Whether ``by`` may approve or reject ``request`` (see ``_decider``)."""
    return _decider(by, [request], day or timezone.localdate())[request.pk]


def _may_request(by: Person, *, unit: Unit | None, person: Person | None, month: dt.date) -> bool:
    """The target's holder (a rep for themselves, a head for their unit) or anyone who manages
    the unit it sits in."""
    if person is not None:
        if person.pk == by.pk:
            return True
        membership = membership_on(person, month) or membership_on(person, timezone.localdate())
        return membership is not None and can_manage_unit(by, membership.unit)
    assert unit is not None
    return can_manage_unit(by, unit)


@transaction.atomic
def change_request_create(
    *,
    by: Person,
    month: dt.date,
    metric: str,
    value: Decimal,
    reason: str,
    unit: Unit | None = None,
    person: Person | None = None,
    today: dt.date | None = None,
) -> TargetChangeRequest:
    """Ask to change a target of a locked month."""
    if (unit is None) == (person is None):
        raise TiejunError(_("a target belongs to a unit or a person"), field="scope")
    month = month_start(month)
    m = get_metric(metric)
    value = _check_value(m.code, Decimal(value))
    if not _may_request(by, unit=unit, person=person, month=month):
        raise Forbidden(
            _("you may not ask to change the target of %(name)s") % {"name": (unit or person).name}  # type: ignore[union-attr]
        )
    if not month_is_locked(month, today):
        raise TiejunError(
            _("targets for %(month)s are not locked yet: change them directly")
            % {"month": f"{month:%Y-%m}"},
            field="month",
        )
    reason = (reason or "").strip()
    if reason_length(reason) < MIN_REASON_CHARS:
        raise TiejunError(
            _(
                "give a reason of at least %(min)s letters or digits, or half as many Chinese "
                "characters"
            )
            % {"min": MIN_REASON_CHARS},
            field="reason",
        )
    owner = {"unit": unit} if unit is not None else {"person": person}
    current = Target.objects.filter(month=month, metric=m.code, **owner).first()
    old = current.value if current is not None else None
    if old == value:
        raise TiejunError(_("the target is already %(value)s") % {"value": value}, field="value")
    try:
        with transaction.atomic():
            request = TargetChangeRequest.objects.create(
                month=month,
                metric=m.code,
                old_value=old,
                new_value=value,
                reason=reason,
                requested_by=by,
                requested_at=timezone.now(),
                **owner,
            )
    except IntegrityError:
        raise TiejunError(
            _("there is already an open request for this target; wait for its decision"),
            field="code",
        ) from None
    audit_record(
        action="request",
        object_type="target",
        object_id=_audit_id(month, m.code, unit, person),
        object_repr=f"{(unit or person).name} {month:%Y-%m} {m.code}",  # type: ignore[union-attr]
        before={"value": old} if old is not None else None,
        after={"value": value, "request": request.pk},
        reason=reason,
        actor=by,
    )
    return request


def _locked_pending(request_id: int) -> TargetChangeRequest:
    request = (
        TargetChangeRequest.objects.select_for_update(of=("self",))
        .select_related("unit", "person", "requested_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound(_("unknown request"))
    if request.status != Status.PENDING:
        raise TiejunError(
            _("this request was already %(status)s") % {"status": request.get_status_display()},
            field="status",
        )
    return request


def _check_still_current(request: TargetChangeRequest) -> None:
    """A request asked to change the target from the figure it had then; if the target has
    changed since (the level above changed it, or a move did), approving would overwrite that
    change unseen: it is refused, and the one who asked asks again from the new figure."""
    owner = {"unit": request.unit} if request.unit is not None else {"person": request.person}
    now = (
        Target.objects.filter(month=request.month, metric=request.metric, **owner)
        .values_list("value", flat=True)
        .first()
    )
    if now != request.old_value:
        m = get_metric(request.metric)

        def shown(v: Decimal | None) -> str:
            return "—" if v is None else (money(v) if m.money else str(m.to_json(v)))

        raise TiejunError(
            _(
                "the target has changed since this request was made (it is now %(now)s, the "
                "request started from %(old)s): reject it and ask again from the new figure"
            )
            % {
                "now": shown(now),
                "old": shown(request.old_value),
            },
            field="status",
        )


def _decision_audit(request: TargetChangeRequest, by: Person, note: str) -> None:
    audit_record(
        action=request.status,
        object_type="target",
        object_id=_audit_id(request.month, request.metric, request.unit, request.person),
        object_repr=(
            f"{(request.unit or request.person).name} {request.month:%Y-%m} {request.metric}"  # type: ignore[union-attr]
        ),
        before={"value": request.old_value, "status": Status.PENDING},
        after={"value": request.new_value, "status": request.status, "request": request.pk},
        reason=note or request.reason,
        actor=by,
    )


@transaction.atomic
def change_request_decide(
    *,
    request_id: int,
    by: Person,
    approve: bool,
    note: str = "",
    today: dt.date | None = None,
) -> TargetChangeRequest:
    """Approve (the target changes now) or reject (with a note) a pending request."""
    request = _locked_pending(request_id)
    if not may_decide(by, request, today):
        raise Forbidden(
            _(
                "this request is decided by the level above the unit or person whose target "
                "changes, not by them, their unit's head or the one who asked"
            )
        )
    note = (note or "").strip()
    if not approve and not note:
        raise TiejunError(_("say why the request is rejected"), field="note")
    if approve:
        _check_still_current(request)
        target_set(
            month=request.month,
            metric=request.metric,
            value=request.new_value,
            unit=request.unit,
            person=request.person,
            by=by,
            reason=request.reason,
            today=today,
            from_request=True,
        )
    request.status = Status.APPROVED if approve else Status.REJECTED
    request.decided_by, request.decided_at, request.decision_note = by, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _decision_audit(request, by, note)
    return request


@transaction.atomic
def change_request_withdraw(*, request_id: int, by: Person) -> TargetChangeRequest:
    """The one who asked takes a pending request back."""
    request = _locked_pending(request_id)
    if request.requested_by_id != by.pk:
        raise Forbidden(_("only the one who asked may withdraw a request"))
    request.status = Status.WITHDRAWN
    request.decided_by, request.decided_at = by, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _decision_audit(request, by, "")
    return request


# --- reads ------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    request: TargetChangeRequest
    can_decide: bool
    can_withdraw: bool


def _visible(viewer: Person, day: dt.date) -> QuerySet[TargetChangeRequest]:
    qs = TargetChangeRequest.objects.select_related("unit", "person", "requested_by", "decided_by")
    if is_admin(viewer):
        return qs
    mine = Q(requested_by=viewer) | Q(person=viewer)
    membership = membership_on(viewer, day)
    if membership is None or membership.role not in LEADER_ROLES:
        return qs.filter(mine)
    below = subtree_ids(membership.unit_id)
    people_below = Membership.objects.filter(unit_id__in=below).values("person_id")
    return qs.filter(mine | Q(unit_id__in=below) | Q(person_id__in=people_below))


def change_requests_for(
    viewer: Person, *, status: str | None = Status.PENDING, day: dt.date | None = None
) -> list[QueueRow]:
    """The requests ``viewer`` may see — their own, and those of the units and people they lead
    — newest first, each marked whether ``viewer`` may decide it."""
    day = day or timezone.localdate()
    qs = _visible(viewer, day)
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-requested_at", "-id")[:500])
    decides = _decider(viewer, [r for r in rows if r.status == Status.PENDING], day)
    return [
        QueueRow(
            request=r,
            can_decide=decides.get(r.pk, False),
            can_withdraw=r.status == Status.PENDING and r.requested_by_id == viewer.pk,
        )
        for r in rows
    ]


def access_change_request(
    viewer: Person, request_id: int, day: dt.date | None = None
) -> TargetChangeRequest:
    """The request if ``viewer`` may see it, else ``NotFound`` (unknown and unseen alike)."""
    found = _visible(viewer, day or timezone.localdate()).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("unknown request"))
    return found
