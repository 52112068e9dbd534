"""The milestone move check (``org.checks``): a move or promotion that would take a rep out of
a milestone's roles or units before they reach it, under a plan that forfeits it on promotion,
asks for a confirmation and says what is at stake."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.money import money
from tiejun.org import checks
from tiejun.org.checks import MoveProposal, MoveWarning
from tiejun.org.models import UnitClosure

from .selectors import milestone_progress


def _still_counts(proposal: MoveProposal, roles: list[str], plan_unit_ids: list[int]) -> bool:
    if proposal.role not in roles:
        return False
    return UnitClosure.objects.filter(
        ancestor_id__in=plan_unit_ids, descendant_id=proposal.unit.pk
    ).exists()


def milestones_at_stake(proposal: MoveProposal) -> Iterator[MoveWarning]:
    today = timezone.localdate()
    if proposal.effective.year != today.year:
        return
    for progress in milestone_progress(proposal.person, today=today):
        if progress.reached or progress.forfeited or not progress.forfeit_on_promotion:
            continue
        units = [u.pk for u in progress.plan.units.all()]
        if _still_counts(proposal, progress.milestone.roles, units):
            continue
        values = {
            "ytd": money(progress.ytd, 0),
            "threshold": money(progress.threshold, 0),
            "effective": f"{proposal.effective:%m-%d}",
            "reward": progress.reward,
            "plan": progress.plan.code,
        }
        if progress.projected_on is not None and progress.probability is not None:
            message = _(
                "%(ytd)s of %(threshold)s this year; at current pace reached around %(day)s "
                "(probability %(p)d %%); promoting from %(effective)s forfeits %(reward)s under "
                "plan %(plan)s"
            ) % {
                **values,
                "day": f"{progress.projected_on:%m-%d}",
                "p": round(progress.probability * 100),
            }
        else:
            message = (
                _(
                    "%(ytd)s of %(threshold)s this year; promoting from %(effective)s forfeits "
                    "%(reward)s under plan %(plan)s"
                )
                % values
            )
        yield MoveWarning(
            "milestone.forfeit",
            message,
            detail={
                "plan": progress.plan.code,
                "milestone": progress.milestone.code,
                "ytd": f"{progress.ytd:.2f}",
                "threshold": f"{progress.threshold:.2f}",
                "projected_on": progress.projected_on.isoformat()
                if progress.projected_on
                else None,
                "probability": progress.probability,
                "reward": progress.reward,
            },
        )


def register_checks() -> None:
    checks.register("milestone", milestones_at_stake)
