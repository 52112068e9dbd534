"""A rep's targets when they move (a move check, ``org.checks``): the months from the effective
date on count for the team they belong to on each month's first day, so a transfer takes them
out of the old team's split and a promotion out of every split.

The options: ``leave`` them as they are (the old team shows an allocation gap), ``move`` them
with the person (the own targets of the units between the old team and the new one follow, so
both sides still add up), or ``resplit`` them over the old team's remaining reps (by their
current shares) and clear the person's.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.metrics import metric as get_metric
from tiejun.money import money
from tiejun.org.checks import MoveProposal, MoveWarning
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure
from tiejun.workdays import add_months, month_start

from .allocation import allocate
from .models import Target
from .services import target_set, targets_set_many

LEAVE, MOVE, RESPLIT = "leave", "move", "resplit"


def _affected(p: MoveProposal) -> list[Target]:
    """The person's targets that this move takes out of the old team's split."""
    if p.current.role != Role.REP or (not p.changes_unit and p.role == Role.REP):
        return []
    first = month_start(p.effective)
    if first < p.effective:  # the effective month still counts for the old team
        first = add_months(first, 1)
    return list(
        Target.objects.filter(person=p.person, month__gte=first).order_by("month", "metric")
    )


def _shown(target: Target) -> str:
    m = get_metric(target.metric)
    value = money(target.value) if m.money else f"{int(target.value):,}"
    return f"{target.month:%Y-%m} {m.label} {value}"


def check_targets(p: MoveProposal) -> Iterable[MoveWarning]:
    targets = _affected(p)
    if not targets:
        return
    options = (LEAVE, MOVE, RESPLIT) if p.role == Role.REP and p.changes_unit else (LEAVE, RESPLIT)
    yield MoveWarning(
        "target.next_month",
        _(
            "%(name)s's targets (%(targets)s) leave the split of %(team)s: leave them, move them "
            "with %(name)s, or re-split them over the team"
        )
        % {
            "name": p.person.name,
            "targets": "; ".join(_shown(t) for t in targets),
            "team": p.old_unit.name,
        },
        options=options,
        detail={
            "targets": [
                {
                    "month": f"{t.month:%Y-%m}",
                    "metric": t.metric,
                    "value": get_metric(t.metric).to_json(t.value),
                }
                for t in targets
            ]
        },
    )


def _reason(p: MoveProposal) -> str:
    return _("Move of %(name)s (%(no)s) from %(old)s to %(new)s on %(day)s") % {
        "name": p.person.name,
        "no": p.person.employee_no,
        "old": p.old_unit.name,
        "new": p.unit.name,
        "day": p.effective.isoformat(),
    }


def _path_up(unit: Unit, stop_at: set[int]) -> list[int]:
    """``unit`` and its ancestors, nearest first, up to (not including) the first in ``stop_at``."""
    chain = list(
        UnitClosure.objects.filter(descendant=unit)
        .order_by("depth")
        .values_list("ancestor_id", flat=True)
    )
    out = []
    for unit_id in chain:
        if unit_id in stop_at:
            break
        out.append(unit_id)
    return out


def _move_with(p: MoveProposal, targets: list[Target], by: Person | None) -> None:
    old_chain = set(
        UnitClosure.objects.filter(descendant=p.old_unit).values_list("ancestor_id", flat=True)
    )
    new_chain = set(
        UnitClosure.objects.filter(descendant=p.unit).values_list("ancestor_id", flat=True)
    )
    common = old_chain & new_chain
    losing, gaining = _path_up(p.old_unit, common), _path_up(p.unit, common)
    reason = _reason(p)
    for t in targets:
        owned = {
            u.unit_id: u
            for u in Target.objects.filter(
                month=t.month, metric=t.metric, unit_id__in=losing + gaining
            ).select_related("unit")
        }
        for unit_id, sign in [(u, -1) for u in losing] + [(u, 1) for u in gaining]:
            own = owned.get(unit_id)
            if own is None:
                continue
            value = max(Decimal(0), own.value + sign * t.value)
            target_set(
                month=t.month,
                metric=t.metric,
                value=value,
                unit=own.unit,
                by=by,
                reason=reason,
            )


def _resplit(p: MoveProposal, targets: list[Target], by: Person | None) -> None:
    reason = _reason(p)
    for t in targets:
        reps = list(
            Membership.objects.on(t.month)
            .filter(unit=p.old_unit, role=Role.REP)
            .exclude(person=p.person)
            .values_list("person_id", flat=True)
        )
        if not reps:
            raise TiejunError(
                _("%(team)s has no rep left in %(month)s to re-split the target over")
                % {"team": p.old_unit.name, "month": f"{t.month:%Y-%m}"},
                field="target",
            )
        current = dict(
            Target.objects.filter(month=t.month, metric=t.metric, person_id__in=reps).values_list(
                "person_id", "value"
            )
        )
        step = Decimal("0.01") if get_metric(t.metric).money else Decimal(1)
        shares = allocate(t.value, {pk: current.get(pk, Decimal(0)) for pk in reps}, step)
        targets_set_many(
            month=t.month,
            metric=t.metric,
            values={("person", pk): current.get(pk, Decimal(0)) + v for pk, v in shares.items()},
            by=by,
            reason=reason,
        )
        target_set(
            month=t.month,
            metric=t.metric,
            value=Decimal(0),
            person=p.person,
            by=by,
            reason=reason,
        )


def resolve_targets(p: MoveProposal, choice: str, by: Person | None) -> None:
    """Carry out ``choice`` for the targets ``check_targets`` warned about."""
    targets = _affected(p)
    if not targets or choice == LEAVE:
        return
    if choice == MOVE:
        _move_with(p, targets, by)
    elif choice == RESPLIT:
        _resplit(p, targets, by)
