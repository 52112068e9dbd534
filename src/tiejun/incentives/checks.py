"""The promotion advisor, a move check (``org.checks``): a move, promotion or leaver that would
take a person out of a milestone's roles or units before they reach it (under a plan that
forfeits it) is refused until someone chooses what to do:

- ``postpone``: the move takes effect on the suggested date instead (the next working day after
  the projected one, so the person still holds the role that counts on the day it is reached);
- ``exception`` (only when the plan allows it): the move goes ahead and the person keeps the
  milestone once a manager a level above their unit approves (a reason is required);
- ``proceed``: the move goes ahead and the milestone is forfeited (a reason is required).

Every choice is audited. Pages, the API, the ``moves`` import, transfer orders, the directory
sync and ``tiejun person deactivate`` all reach it through ``org.checks.settle``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiejun.audit.services import audit_record
from tiejun.errors import TiejunError
from tiejun.imports.engine import Extension
from tiejun.imports.registry import extend
from tiejun.money import money
from tiejun.org import checks
from tiejun.org.checks import MoveProposal, MoveWarning
from tiejun.org.models import Person, UnitClosure
from tiejun.org.selectors import work_calendar

from .models import MilestoneException
from .selectors import MilestoneProgress, milestone_progress
from .services import exception_request_notify

CHOICE, REASON = "milestone", "milestone_reason"
POSTPONE, EXCEPTION, PROCEED = "postpone", "exception", "proceed"
LOOK_AHEAD_DAYS = 40  # a working day is always found within this many days after a date


@dataclass(frozen=True)
class AtStake:
    """A milestone the proposal forfeits and the first effective date that keeps it (None when
    no date this year is projected to)."""

    progress: MilestoneProgress
    suggested: dt.date | None

    @property
    def options(self) -> tuple[str, ...]:
        return (
            *((POSTPONE,) if self.suggested else ()),
            *((EXCEPTION,) if self.progress.plan.exception_allowed else ()),
            PROCEED,
        )


def _next_workday_after(day: dt.date) -> dt.date:
    found = work_calendar().workdays(
        day + dt.timedelta(days=1), day + dt.timedelta(days=LOOK_AHEAD_DAYS)
    )
    return found[0] if found else day + dt.timedelta(days=1)


def _still_counts(proposal: MoveProposal, progress: MilestoneProgress) -> bool:
    if proposal.leaving or proposal.role not in progress.milestone.roles:
        return False
    return UnitClosure.objects.filter(
        ancestor_id__in=[u.pk for u in progress.plan.units.all()], descendant_id=proposal.unit.pk
    ).exists()


# Below this chance of reaching a milestone this year (and no projected date), a move does not
# warn about it: a rep at ¥0 of ¥1,000,000 in December forfeits nothing by leaving.
OUT_OF_REACH = 0.05


def milestones_at_stake(proposal: MoveProposal) -> list[AtStake]:
    """The milestones of this year that ``proposal`` forfeits, with the date that keeps each."""
    today = timezone.localdate()
    if proposal.effective.year != today.year:
        return []
    found = []
    for progress in milestone_progress(proposal.person, today=today):
        if progress.reached or progress.forfeited or progress.excepted:
            continue
        forfeits = (
            progress.forfeit_on_leaving if proposal.leaving else progress.forfeit_on_promotion
        )
        if not forfeits or _still_counts(proposal, progress):
            continue
        projected = progress.projected_on
        chance = progress.probability
        if projected is None and chance is not None and chance < OUT_OF_REACH:
            continue  # not reachable this year at any pace seen: nothing real is forfeited
        if projected is not None and proposal.effective > projected:
            continue  # still in the role that counts on the day it is projected to be reached
        suggested = _next_workday_after(projected) if projected is not None else None
        found.append(AtStake(progress, suggested))
    return found


def _message(proposal: MoveProposal, stake: AtStake) -> str:
    progress = stake.progress
    values: dict[str, str | int] = {
        "ytd": money(progress.ytd, 0),
        "threshold": money(progress.threshold, 0),
        "effective": f"{proposal.effective:%m-%d}",
        "reward": progress.reward,
        "plan": f"{progress.plan.code} {progress.plan.name}",
    }
    if progress.projected_on is not None and progress.probability is not None:
        values |= {
            "day": f"{progress.projected_on:%m-%d}",
            "p": round(progress.probability * 100),
        }
        if proposal.leaving:
            return (
                _(
                    "%(ytd)s of %(threshold)s this year; at current pace reached around "
                    "%(day)s (probability %(p)d %%); leaving from %(effective)s forfeits "
                    "%(reward)s under plan %(plan)s"
                )
                % values
            )
        return (
            _(
                "%(ytd)s of %(threshold)s this year; at current pace reached around %(day)s "
                "(probability %(p)d %%); promoting from %(effective)s forfeits %(reward)s under "
                "plan %(plan)s"
            )
            % values
        )
    if proposal.leaving:
        return (
            _(
                "%(ytd)s of %(threshold)s this year; leaving from %(effective)s forfeits "
                "%(reward)s under plan %(plan)s"
            )
            % values
        )
    return (
        _(
            "%(ytd)s of %(threshold)s this year; promoting from %(effective)s forfeits "
            "%(reward)s under plan %(plan)s"
        )
        % values
    )


def check_milestones(proposal: MoveProposal) -> Iterator[MoveWarning]:
    for stake in milestones_at_stake(proposal):
        progress = stake.progress
        yield MoveWarning(
            "milestone.forfeit",
            _message(proposal, stake),
            options=stake.options,
            detail={
                "milestone": progress.milestone.code,
                "plan": progress.plan.code,
                "plan_name": progress.plan.name,
                "reward": progress.reward,
                "ytd": f"{progress.ytd:.2f}",
                "threshold": f"{progress.threshold:.2f}",
                "projected_on": progress.projected_on.isoformat()
                if progress.projected_on
                else None,
                "probability": None
                if progress.probability is None
                else round(progress.probability, 2),
                "effective": proposal.effective.isoformat(),
                "suggested_effective_date": stake.suggested.isoformat()
                if stake.suggested
                else None,
                "leaving": proposal.leaving,
                "options": list(stake.options),
            },
        )


def _reason_required(reason: str) -> None:
    if not reason.strip():
        raise TiejunError(_("give a reason for this choice"), field=REASON)


def prepare_choice(proposal: MoveProposal, option: str, reason: str) -> dt.date | None:
    """Before anything is written: refuse a choice that cannot be carried out; for
    ``postpone``, the date that keeps every milestone at stake."""
    stakes = milestones_at_stake(proposal)
    if option == POSTPONE:
        stuck = [s for s in stakes if s.suggested is None]
        if stuck:
            raise TiejunError(
                _("%(milestone)s is not projected to be reached this year: no date keeps it")
                % {"milestone": stuck[0].progress.milestone.code},
                field=CHOICE,
            )
        return max((s.suggested for s in stakes if s.suggested), default=None)
    _reason_required(reason)
    if option == EXCEPTION:
        closed = [s for s in stakes if not s.progress.plan.exception_allowed]
        if closed:
            raise TiejunError(
                _("plan %(plan)s allows no exception") % {"plan": closed[0].progress.plan.code},
                field=CHOICE,
            )
    return None


def _object_id(progress: MilestoneProgress) -> str:
    return f"{progress.person.employee_no}/{progress.plan.code}/{progress.milestone.code}"


def resolve_choice(
    proposal: MoveProposal, option: str, by: Person | None, *, reason: str = ""
) -> None:
    """After the move is saved (same transaction): record the choice, and for ``exception``
    the pending request."""
    if option == POSTPONE:  # the proposal carries the later date now: nothing is at stake
        audit_record(
            action="postpone",
            object_type="milestone",
            object_id=proposal.person.employee_no,
            object_repr=proposal.person.name,
            after={
                "effective": proposal.effective,
                "leaving": proposal.leaving,
                "unit": proposal.unit.code,
                "role": proposal.role,
            },
            actor=by,
        )
        return
    for stake in milestones_at_stake(proposal):
        progress = stake.progress
        after = {
            "milestone": progress.milestone.code,
            "plan": progress.plan.code,
            "reward": progress.reward,
            "ytd": f"{progress.ytd:.2f}",
            "threshold": f"{progress.threshold:.2f}",
            "effective": proposal.effective,
            "leaving": proposal.leaving,
        }
        if option == EXCEPTION:
            request = MilestoneException.objects.create(
                milestone=progress.milestone,
                person=proposal.person,
                year=proposal.effective.year,
                unit=proposal.old_unit,
                effective=proposal.effective,
                leaving=proposal.leaving,
                reason=reason,
                requested_by=by,
            )
            exception_request_notify(request, today=timezone.localdate())
            audit_record(
                action="request",
                object_type="milestone_exception",
                object_id=request.pk,
                object_repr=_object_id(progress),
                after={**after, "status": request.status},
                reason=reason,
                actor=by,
            )
        else:
            audit_record(
                action="forfeit",
                object_type="milestone",
                object_id=_object_id(progress),
                object_repr=proposal.person.name,
                after=after,
                reason=reason,
                actor=by,
            )


def register_checks() -> None:
    from tiejun.audit.kinds import ACTIONS, OBJECT_TYPES

    OBJECT_TYPES.setdefault("milestone", gettext_lazy("Milestone"))
    OBJECT_TYPES.setdefault("milestone_exception", gettext_lazy("Milestone exception"))
    ACTIONS.setdefault("postpone", gettext_lazy("moved to a later date"))
    ACTIONS.setdefault("forfeit", gettext_lazy("forfeited"))
    ACTIONS.setdefault("refuse", gettext_lazy("refused"))
    ACTIONS.setdefault("confirm_leave", gettext_lazy("left despite warnings"))
    # The ``moves`` import (org's kind) takes the choice and its reason as optional columns.
    extend(
        "moves",
        Extension(
            "milestone",
            columns=(CHOICE, REASON),
            headers={"里程碑处理": CHOICE, "里程碑原因": REASON, "milestone_choice": CHOICE},
        ),
    )
    checks.register(
        "milestone",
        check_milestones,
        resolve=resolve_choice,
        choice=CHOICE,
        reason=REASON,
        prepare=prepare_choice,
        required=True,
        leavers=True,
    )
