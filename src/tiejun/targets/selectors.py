"""Reads of targets for the cascade page: a unit, its children and every allocation gap."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from tiejun.metrics import Metric
from tiejun.metrics import metric as get_metric
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.workdays import month_start

from .models import Target, TargetChange

ZERO = Decimal(0)


def allocation_gap(own: Decimal | None, children_sum: Decimal | None) -> Decimal:
    """Own target minus the sum of the children's, when positive; 0 when there is no own target."""
    if own is None:
        return ZERO
    return max(ZERO, own - (children_sum or ZERO))


@dataclass
class CascadeRow:
    """One child of the unit: a child unit or (for a team) a rep."""

    key: tuple[str, int]
    code: str
    name: str
    target: Decimal | None
    children_sum: Decimal | None = None
    gap: Decimal = ZERO
    unit_kind: str = ""

    @property
    def kind(self) -> str:
        return self.key[0]


@dataclass
class Cascade:
    unit: Unit
    month: dt.date
    metric: Metric
    own: Decimal | None
    children_sum: Decimal | None
    gap: Decimal
    rows: list[CascadeRow] = field(default_factory=list)

    @property
    def effective(self) -> Decimal | None:
        return self.own if self.own is not None else self.children_sum


def cascade_for_unit(unit: Unit, month: dt.date, metric: str) -> Cascade:
    """``unit``'s own target for ``month``, its children's and the allocation gap of each.

    The children are those a split goes to (child units; for a team, its reps on the month's
    first day). A unit's children sum counts each child's effective target: its own, else the
    sum of its own children's. Four queries, whatever the size of the subtree.
    """
    m = get_metric(metric)
    month = month_start(month)
    units = {
        u.pk: u
        for u in Unit.objects.filter(
            pk__in=UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
        ).only("id", "code", "name", "kind", "parent_id", "sort")
    }
    units[unit.pk] = unit
    own = dict(
        Target.objects.filter(month=month, metric=m.code, unit_id__in=list(units)).values_list(
            "unit_id", "value"
        )
    )
    team_ids = [pk for pk, u in units.items() if u.kind == UnitKind.TEAM]
    reps: dict[int, list[Person]] = defaultdict(list)
    for ms in (
        Membership.objects.on(month)
        .filter(unit_id__in=team_ids, role=Role.REP)
        .select_related("person")
        .order_by("person__employee_no")
    ):
        reps[ms.unit_id].append(ms.person)
    rep_ids = [p.pk for people in reps.values() for p in people]
    person_targets = dict(
        Target.objects.filter(month=month, metric=m.code, person_id__in=rep_ids).values_list(
            "person_id", "value"
        )
    )
    kids: dict[int, list[Unit]] = defaultdict(list)
    for u in units.values():
        if u.parent_id in units and u.pk != unit.pk:
            kids[u.parent_id].append(u)  # type: ignore[index]
    for children in kids.values():
        children.sort(key=lambda u: (u.sort, u.code))

    children_sums: dict[int, Decimal | None] = {}
    effective: dict[int, Decimal | None] = {}

    def resolve(unit_id: int) -> Decimal | None:
        if unit_id in effective:
            return effective[unit_id]
        if units[unit_id].kind == UnitKind.TEAM:
            values = [person_targets.get(p.pk) for p in reps.get(unit_id, [])]
        else:
            values = [resolve(child.pk) for child in kids.get(unit_id, [])]
        given = [v for v in values if v is not None]
        children_sums[unit_id] = sum(given, ZERO) if given else None
        effective[unit_id] = own.get(unit_id, children_sums[unit_id])
        return effective[unit_id]

    resolve(unit.pk)
    rows: list[CascadeRow] = []
    if unit.kind == UnitKind.TEAM:
        for person in reps.get(unit.pk, []):
            rows.append(
                CascadeRow(
                    key=("person", person.pk),
                    code=person.employee_no,
                    name=person.name,
                    target=person_targets.get(person.pk),
                )
            )
    else:
        for child in kids.get(unit.pk, []):
            rows.append(
                CascadeRow(
                    key=("unit", child.pk),
                    code=child.code,
                    name=child.name,
                    target=own.get(child.pk),
                    children_sum=children_sums.get(child.pk),
                    gap=allocation_gap(own.get(child.pk), children_sums.get(child.pk)),
                    unit_kind=child.kind,
                )
            )
    return Cascade(
        unit=unit,
        month=month,
        metric=m,
        own=own.get(unit.pk),
        children_sum=children_sums.get(unit.pk),
        gap=allocation_gap(own.get(unit.pk), children_sums.get(unit.pk)),
        rows=rows,
    )


def target_changes_for(
    unit: Unit, month: dt.date, metric: str, keys: list[tuple[str, int]], limit: int = 200
) -> QuerySet[TargetChange]:
    """The audit trail of ``unit`` and the given children for ``month`` and ``metric``, newest first."""
    unit_ids = [unit.pk] + [pk for kind, pk in keys if kind == "unit"]
    person_ids = [pk for kind, pk in keys if kind == "person"]
    return (
        TargetChange.objects.filter(month=month_start(month), metric=metric)
        .filter(Q(unit_id__in=unit_ids) | Q(person_id__in=person_ids))
        .select_related("unit", "person", "changed_by")
        .order_by("-changed_at", "-id")[:limit]
    )
