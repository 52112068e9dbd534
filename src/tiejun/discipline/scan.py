"""The suspicious-pattern scan of one day (``tiejun redlines scan`` and the nightly job).

Reads that day's check-ins and deal changes with a handful of queries, hands plain data to the
pure core (``patterns``) and writes one flag per (kind, person, day). Run again for the same day it
gives the same flags: an open flag is updated in place, a reviewed one is left as it is, and an
open flag whose pattern is gone (a visit corrected since) is withdrawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tiejun.audit.services import audit_record
from tiejun.crm.models import DealChange
from tiejun.field.models import Visit
from tiejun.org.models import Membership, Person

from .models import Flag, FlagKind, FlagStatus
from .patterns import Fix, closed_month_reversal, impossible_legs, position_clusters


@dataclass
class Found:
    kind: str
    person_id: int
    unit_id: int | None
    score: float
    evidence: dict[str, Any]


@dataclass
class ScanResult:
    day: dt.date
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    flags: list[Flag] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "flags": [flag_json(f) for f in self.flags],
        }


def flag_json(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.pk,
        "kind": flag.kind,
        "employee_no": flag.person.employee_no,
        "name": flag.person.name,
        "unit": flag.unit.code,
        "day": flag.day.isoformat(),
        "score": flag.score,
        "status": flag.status,
        "evidence": flag.evidence,
    }


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _visit_json(v: dict[str, Any]) -> dict[str, Any]:
    at = timezone.localtime(v["checkin_at"])
    return {
        "visit": str(v["id"]),
        "at": at.isoformat(timespec="minutes"),
        "customer_code": v["customer__code"],
        "customer_name": v["customer__name"],
        "lat": float(v["lat"]) if v["lat"] is not None else None,
        "lon": float(v["lon"]) if v["lon"] is not None else None,
        "accuracy_m": v["accuracy_m"],
        "distance_m": v["distance_m"],
    }


VISIT_FIELDS = (
    "id",
    "person_id",
    "unit_id",
    "checkin_at",
    "lat",
    "lon",
    "accuracy_m",
    "distance_m",
    "outside_geofence",
    "customer_id",
    "customer__code",
    "customer__name",
)


def _outside_geofence(day: dt.date) -> list[Found]:
    days = max(settings.REDLINE_OUTSIDE_DAYS, 1)
    least = max(settings.REDLINE_OUTSIDE_MIN, 1)
    start, end = _bounds(day - dt.timedelta(days=days - 1), day)
    rows = (
        Visit.objects.filter(checkin_at__gte=start, checkin_at__lt=end, outside_geofence=True)
        .order_by("person_id", "checkin_at", "id")
        .values(*VISIT_FIELDS)
    )
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_person[row["person_id"]].append(row)
    # One flag a window: none when an earlier day of the same window was flagged already.
    earlier = set(
        Flag.objects.filter(
            kind=FlagKind.OUTSIDE_GEOFENCE,
            person_id__in=list(by_person),
            day__gte=day - dt.timedelta(days=days - 1),
            day__lt=day,
        ).values_list("person_id", flat=True)
    )
    found = []
    for person_id, visits in by_person.items():
        on_day = [v for v in visits if timezone.localdate(v["checkin_at"]) == day]
        if len(visits) < least or not on_day or person_id in earlier:
            continue
        found.append(
            Found(
                FlagKind.OUTSIDE_GEOFENCE,
                person_id,
                on_day[-1]["unit_id"],
                float(len(visits)),
                {
                    "window_days": days,
                    "count": len(visits),
                    "geofence_m": settings.GEOFENCE_M,
                    "visits": [_visit_json(v) for v in visits],
                },
            )
        )
    return found


def _day_visits(day: dt.date) -> dict[int, list[dict[str, Any]]]:
    start, end = _bounds(day, day)
    rows = (
        Visit.objects.filter(
            checkin_at__gte=start, checkin_at__lt=end, lat__isnull=False, lon__isnull=False
        )
        .order_by("person_id", "checkin_at", "id")
        .values(*VISIT_FIELDS)
    )
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_person[row["person_id"]].append(row)
    return by_person


def _fix(v: dict[str, Any]) -> Fix:
    return Fix(str(v["id"]), v["checkin_at"], float(v["lat"]), float(v["lon"]), v["customer__code"])


def _speeds(by_person: dict[int, list[dict[str, Any]]]) -> list[Found]:
    found = []
    for person_id, visits in by_person.items():
        rows = {str(v["id"]): v for v in visits}
        bad = impossible_legs(
            [_fix(v) for v in visits],
            max_kmh=settings.REDLINE_MAX_SPEED_KMH,
            min_distance_m=settings.REDLINE_MIN_JUMP_M,
        )
        if not bad:
            continue
        worst = max(leg.speed_kmh for leg in bad)
        found.append(
            Found(
                FlagKind.IMPOSSIBLE_SPEED,
                person_id,
                visits[-1]["unit_id"],
                round(min(worst, 99_999.0), 1),
                {
                    "max_kmh": settings.REDLINE_MAX_SPEED_KMH,
                    "legs": [
                        {
                            "from": _visit_json(rows[leg.start.key]),
                            "to": _visit_json(rows[leg.end.key]),
                            "distance_m": round(leg.distance_m),
                            "minutes": round(leg.seconds / 60, 1),
                            "speed_kmh": None
                            if math.isinf(leg.speed_kmh)
                            else round(leg.speed_kmh, 1),
                        }
                        for leg in bad
                    ],
                },
            )
        )
    return found


def _clusters(by_person: dict[int, list[dict[str, Any]]]) -> list[Found]:
    """Check-ins at customers the rep was not at (outside the geofence, or a customer without a
    position) made from one spot."""
    found = []
    for person_id, visits in by_person.items():
        away = [v for v in visits if v["outside_geofence"] or v["distance_m"] is None]
        rows = {str(v["id"]): v for v in away}
        clusters = position_clusters(
            [_fix(v) for v in away],
            radius_m=settings.REDLINE_CLUSTER_RADIUS_M,
            min_customers=settings.REDLINE_CLUSTER_MIN_CUSTOMERS,
        )
        if not clusters:
            continue
        found.append(
            Found(
                FlagKind.SHARED_POSITION,
                person_id,
                visits[-1]["unit_id"],
                float(max(len(c.customers) for c in clusters)),
                {
                    "radius_m": settings.REDLINE_CLUSTER_RADIUS_M,
                    "clusters": [
                        {
                            "lat": c.centre.lat,
                            "lon": c.centre.lon,
                            "customers": len(c.customers),
                            "visits": [_visit_json(rows[f.key]) for f in c.members],
                        }
                        for c in clusters
                    ],
                },
            )
        )
    return found


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _reversal(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """What the change did to the deal, if it took revenue out of its month."""
    if not after:
        return "deleted"
    old, new = _amount(before.get("amount")), _amount(after.get("amount"))
    if str(after.get("won_date", ""))[:7] != str(before.get("won_date", ""))[:7]:
        return "moved"
    if old is not None and new is not None and new < old:
        return "reduced"
    if after.get("employee_no") != before.get("employee_no"):
        return "reassigned"
    return None


def _reversals(day: dt.date) -> list[Found]:
    start, end = _bounds(day, day)
    changes = (
        DealChange.objects.filter(changed_at__gte=start, changed_at__lt=end, before__isnull=False)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )
    by_no: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        before = change.before or {}
        try:
            won = dt.date.fromisoformat(str(before.get("won_date")))
        except ValueError:
            continue
        what = _reversal(before, change.after or {})
        if what is None or not closed_month_reversal(
            won, day, within_days=settings.REDLINE_REVERSAL_DAYS
        ):
            continue
        by_no[str(before.get("employee_no"))].append(
            {
                "deal_no": change.deal_no,
                "what": what,
                "customer_name": before.get("customer_name", ""),
                "won_date": before.get("won_date"),
                "amount_before": before.get("amount"),
                "amount_after": (change.after or {}).get("amount"),
                "won_date_after": (change.after or {}).get("won_date"),
                "reason": change.reason,
                "changed_at": timezone.localtime(change.changed_at).isoformat(timespec="minutes"),
                "changed_by": change.changed_by.name if change.changed_by else "",
            }
        )
    people = dict(
        Person.objects.filter(employee_no__in=list(by_no)).values_list("employee_no", "pk")
    )
    found = []
    for employee_no, items in by_no.items():
        if employee_no not in people:
            continue
        lost = Decimal(0)
        for i in items:
            kept = _amount(i["amount_after"]) if i["what"] == "reduced" else None
            lost += (_amount(i["amount_before"]) or Decimal(0)) - (kept or Decimal(0))
        found.append(
            Found(
                FlagKind.REVERSAL,
                people[employee_no],
                None,
                float(lost),
                {"within_days": settings.REDLINE_REVERSAL_DAYS, "changes": items},
            )
        )
    return found


def _memberships(person_ids: list[int], day: dt.date) -> dict[int, Membership]:
    """Each person's membership on ``day``, else their latest (one query)."""
    result: dict[int, Membership] = {}
    rows = Membership.objects.filter(person_id__in=person_ids, valid_from__lte=day).order_by(
        "person_id", "valid_from"
    )
    for m in rows:
        result[m.person_id] = m  # the latest that began by ``day``
    return result


@transaction.atomic
def flags_scan(*, day: dt.date, now: dt.datetime | None = None) -> ScanResult:
    """Find the day's suspicious patterns and write them as flags (idempotent for the day)."""
    now = now or timezone.now()
    by_person = _day_visits(day)
    found = _outside_geofence(day) + _speeds(by_person) + _clusters(by_person) + _reversals(day)
    memberships = _memberships(sorted({f.person_id for f in found}), day)
    existing = {
        (flag.kind, flag.person_id): flag
        for flag in Flag.objects.select_for_update().filter(day=day)
    }
    result = ScanResult(day=day)
    seen: set[tuple[str, int]] = set()
    for item in found:
        membership = memberships.get(item.person_id)
        if membership is None:
            continue  # someone who had not joined yet: nobody's chain to show it to
        key = (item.kind, item.person_id)
        seen.add(key)
        unit_id = item.unit_id or membership.unit_id
        flag = existing.get(key)
        if flag is None:
            Flag.objects.create(
                kind=item.kind,
                person_id=item.person_id,
                unit_id=unit_id,
                role=membership.role,
                day=day,
                score=item.score,
                evidence=item.evidence,
                created_at=now,
                updated_at=now,
            )
            result.created += 1
        elif flag.status == FlagStatus.OPEN and (
            flag.evidence != item.evidence or flag.score != item.score
        ):
            flag.evidence, flag.score, flag.updated_at = item.evidence, item.score, now
            flag.save(update_fields=["evidence", "score", "updated_at"])
            result.updated += 1
        else:
            result.unchanged += 1
    gone = [f.pk for k, f in existing.items() if k not in seen and f.status == FlagStatus.OPEN]
    if gone:
        result.withdrawn = Flag.objects.filter(pk__in=gone).delete()[0]
    if result.created or result.updated or result.withdrawn:
        audit_record(
            action="scan",
            object_type="redline_flag",
            object_id=day.isoformat(),
            object_repr=day.isoformat(),
            after={
                "created": result.created,
                "updated": result.updated,
                "withdrawn": result.withdrawn,
            },
        )
    result.flags = list(
        Flag.objects.filter(day=day)
        .select_related("person", "unit")
        .order_by("kind", "person__employee_no")
    )
    return result
