"""Writes: loading a plan, approving (freezing) a statement, recording a milestone reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import Forbidden, TiejunError
from tiejun.money import money
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person
from tiejun.org.selectors import units_by_codes
from tiejun.workdays import month_end, month_start

from .models import (
    ExceptionStatus,
    MilestoneException,
    MilestoneReached,
    Plan,
    PlanMilestone,
    Statement,
    StatementLine,
)
from .selectors import access_exception, can_decide_exception, exception_approvers
from .spec import PlanSpec, parse_plan


def _tiers_json(spec: PlanSpec) -> list[dict[str, Any]]:
    return [
        {
            "from": str(t.lower),
            "to": None if t.upper is None else str(t.upper),
            "rate": str(t.rate),
        }
        for t in spec.tiers
    ]


@transaction.atomic
def plan_load(*, data: Any, by: Person | None = None) -> Plan:
    """Load the plan in ``data`` (the parsed JSON file). The same code again replaces the plan
    from its ``effective_from``: versions starting then or later go, the one before ends the
    day before. Nothing is written when anything in the file is wrong."""
    spec = parse_plan(data)
    units = units_by_codes(spec.units)
    missing = [code for code in spec.units if code not in units]
    if missing:
        raise TiejunError(
            "units: " + _("unknown unit %(code)s") % {"code": missing[0]}, field="units"
        )
    replaced = list(
        Plan.objects.select_for_update().filter(
            code=spec.code, effective_from__gte=spec.effective_from
        )
    )
    before = {p.effective_from.isoformat(): p.source for p in replaced}
    Plan.objects.filter(pk__in=[p.pk for p in replaced]).delete()
    previous_day = spec.effective_from - dt.timedelta(days=1)
    Plan.objects.filter(code=spec.code, effective_from__lt=spec.effective_from).filter(
        effective_to__isnull=True
    ).update(effective_to=previous_day)
    Plan.objects.filter(
        code=spec.code,
        effective_from__lt=spec.effective_from,
        effective_to__gte=spec.effective_from,
    ).update(effective_to=previous_day)
    plan = Plan.objects.create(
        code=spec.code,
        name=spec.name,
        effective_from=spec.effective_from,
        roles=spec.roles,
        metric=spec.metric,
        channels=spec.channels,
        tiers=_tiers_json(spec),
        cap=spec.cap,
        override_rate=spec.override_rate,
        clawback=spec.clawback,
        exception_allowed=spec.exception_allowed,
        source=data,
        loaded_by=by,
    )
    plan.units.set([units[code] for code in spec.units])
    PlanMilestone.objects.bulk_create(
        PlanMilestone(
            plan=plan,
            code=m.code,
            metric=m.metric,
            period=m.period,
            threshold=m.threshold,
            reward=m.reward,
            roles=m.roles,
            forfeit_on_promotion=m.forfeit_on_promotion,
            forfeit_on_leaving=m.forfeit_on_leaving,
        )
        for m in spec.milestones
    )
    audit_record(
        action="update" if replaced else "create",
        object_type="incentive_plan",
        object_id=spec.code,
        object_repr=f"{spec.code} {spec.name} {spec.effective_from}",
        before=before or None,
        after=data,
        actor=by,
    )
    return plan


def month_closed(month: dt.date, today: dt.date) -> bool:
    """A month's statements may be approved once the month is over."""
    return today > month_end(month)


@transaction.atomic
def statement_approve(
    *, viewer: Person, employee_no: str, month: dt.date, today: dt.date | None = None
) -> Statement:
    """Freeze ``employee_no``'s statement of ``month`` as computed now. A manager or supervisor
    above the person (or admin) approves, never their own, and only once the month is over."""
    from .selectors import access_statement_person, can_approve, statement_for

    today = today or timezone.localdate()
    month = month_start(month)
    person = access_statement_person(viewer, employee_no, today=today)
    if not can_approve(viewer, person, today=today):
        raise TiejunError(_("Only a manager above this person may approve their statement."))
    if not month_closed(month, today):
        raise TiejunError(
            _("%(month)s is not over yet; approve it once the month has closed.")
            % {"month": f"{month:%Y-%m}"}
        )
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if Statement.objects.filter(person=person, month=month).exists():
        raise TiejunError(_("This statement is already approved."))
    view = statement_for(person, month, today=today)
    if view.plan is None:
        raise TiejunError(
            _("No incentive plan applies to this person in %(month)s.")
            % {"month": f"{month:%Y-%m}"}
        )
    statement = Statement.objects.create(
        person=person,
        month=month,
        plan=view.plan,
        plan_code=view.plan.code,
        target=view.figures.target,
        achieved=view.figures.achieved,
        clawback=view.figures.clawback,
        adjustment=view.figures.adjustment,
        total=view.figures.total,
        approved_by=viewer,
        approved_at=timezone.now(),
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            position=i,
            kind=line.kind,
            lower=line.lower,
            upper=line.upper,
            base=line.base,
            rate=line.rate,
            amount=line.amount,
            note=line.note,
        )
        for i, line in enumerate(view.lines)
    )
    audit_record(
        action="approve",
        object_type="incentive_statement",
        object_id=f"{person.employee_no}/{month:%Y-%m}",
        object_repr=f"{person.name} {month:%Y-%m}",
        after={"total": statement.total, "plan": statement.plan_code},
        actor=viewer,
    )
    return statement


def milestone_reached_record(
    *, milestone: PlanMilestone, person: Person, reached_on: dt.date
) -> bool:
    """Record that ``person`` reached ``milestone`` (once a year); True when it is new."""
    _row, created = MilestoneReached.objects.get_or_create(
        milestone=milestone,
        person=person,
        year=reached_on.year,
        defaults={"reached_on": reached_on},
    )
    return created


NOTE_MAX = 500


@transaction.atomic
def milestone_exception_decide(
    *,
    viewer: Person,
    exception_id: int,
    approve: bool,
    note: str = "",
    today: dt.date | None = None,
) -> MilestoneException:
    """Approve (the person keeps the milestone whatever the move) or refuse (it is forfeited) a
    pending exception: a manager a level above the person's unit, never the one who asked."""
    today = today or timezone.localdate()
    exception = access_exception(viewer, exception_id, today=today)
    if not can_decide_exception(viewer, exception, today=today):
        raise Forbidden(
            _("only a manager a level above %(unit)s decides, and never the one who asked")
            % {"unit": exception.unit.name}
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise TiejunError(_("the note is at most %(n)d characters") % {"n": NOTE_MAX}, field="note")
    if not approve and not note:
        raise TiejunError(_("give a reason for refusing"), field="note")
    exception = MilestoneException.objects.select_for_update().get(pk=exception.pk)
    if exception.status != ExceptionStatus.PENDING:
        raise TiejunError(
            _("this exception was already %(status)s") % {"status": exception.get_status_display()}
        )
    exception.status = ExceptionStatus.APPROVED if approve else ExceptionStatus.REFUSED
    exception.decided_by = viewer
    exception.decided_at = timezone.now()
    exception.decision_note = note
    exception.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action="approve" if approve else "refuse",
        object_type="milestone_exception",
        object_id=exception.pk,
        object_repr=f"{exception.person.employee_no}/{exception.milestone.plan.code}/"
        f"{exception.milestone.code}",
        before={"status": ExceptionStatus.PENDING},
        after={"status": exception.status},
        reason=note,
        actor=viewer,
    )
    return exception


def exception_request_notify(exception: MilestoneException, *, today: dt.date) -> int:
    """Tell those who may decide a milestone exception that one waits (e-mail, else SMS), in
    their own language, once per exception and approver. Returns how many were queued."""
    queued = 0
    url = settings.PUBLIC_URL + reverse("incentives:exceptions")
    milestone = exception.milestone
    for approver in exception_approvers(exception, today=today):
        if approver.email:
            channel, address = "email", approver.email
        elif approver.phone:
            channel, address = "sms", approver.phone
        else:
            continue
        language = approver.language or settings.LANGUAGE_CODE
        with translation.override(language):
            subject = _("Milestone exception to decide: %(name)s") % {"name": exception.person.name}
            text = _(
                "%(asker)s asks to keep %(name)s's milestone %(threshold)s (%(reward)s, plan "
                "%(plan)s) though %(event)s from %(day)s. Reason: %(reason)s. Approve or refuse "
                "it here: %(url)s"
            ) % {
                "asker": exception.requested_by.name if exception.requested_by else "—",
                "name": exception.person.name,
                "threshold": money(milestone.threshold, 0),
                "reward": milestone.reward,
                "plan": milestone.plan.code,
                "event": _("they leave") if exception.leaving else _("they move"),
                "day": exception.effective.isoformat(),
                "reason": exception.reason,
                "url": url,
            }
        _message, created = message_enqueue(
            channel=channel,
            address=address,
            key=f"milestone-exception:{exception.pk}:{approver.pk}",
            subject=subject,
            text=text,
            payload={"kind": "milestone_exception", "exception": exception.pk},
        )
        queued += created
    return queued
