"""Writes: loading a plan, approving (freezing) a statement, recording a milestone reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import TiejunError
from tiejun.org.models import Person
from tiejun.org.selectors import units_by_codes
from tiejun.workdays import month_end, month_start

from .models import MilestoneReached, Plan, PlanMilestone, Statement, StatementLine
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
