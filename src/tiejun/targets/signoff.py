"""Sign-off of a month's targets (目标确认): each rep confirms their own target and each unit head
their unit's, in one tap. A confirmation keeps what was confirmed; a target changed afterwards
(an approved change request, a new cascade) asks for it again. The month's lock is unchanged."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import TiejunError
from tiejun.metrics import METRICS
from tiejun.money import grouped, money
from tiejun.notify.services import message_enqueue
from tiejun.org.models import (
    LEADER_ROLES,
    Membership,
    MembershipQuerySet,
    Person,
    Role,
    Unit,
    UnitClosure,
)
from tiejun.workdays import add_months, month_end, month_start

from .models import Target, TargetConfirmation

log = logging.getLogger(__name__)

SIGNOFF_ROLES = LEADER_ROLES | {Role.REP}


@dataclass
class OwedTarget:
    """One target a person confirms: their own (scope person) or their unit's (scope unit)."""

    scope: str
    code: str
    name: str
    metric: str
    value: Decimal

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.code}:{self.metric}"

    @property
    def text(self) -> str:
        m = METRICS[self.metric]
        return money(self.value) if m.money else grouped(self.value, 0)


@dataclass
class SignoffRow:
    person: Person
    role: str
    unit: Unit
    month: dt.date
    owed: list[OwedTarget] = field(default_factory=list)
    confirmed_at: dt.datetime | None = None
    stale: bool = False  # confirmed, but a target has changed since

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None and not self.stale


@dataclass
class Signoff:
    month: dt.date
    rows: list[SignoffRow]

    @property
    def pending(self) -> list[SignoffRow]:
        return [r for r in self.rows if not r.confirmed]

    @property
    def confirmed_count(self) -> int:
        return sum(1 for r in self.rows if r.confirmed)


def _snapshot(owed: list[OwedTarget]) -> dict[str, str]:
    return {o.key: f"{o.value:.2f}" for o in owed}


def _signoff(memberships: list[Membership], month: dt.date) -> Signoff:
    """The people of ``memberships`` who hold a target of ``month``, with their confirmations
    (two queries beyond the memberships)."""
    person_ids = [ms.person_id for ms in memberships]
    head_units = [ms.unit_id for ms in memberships if ms.role in LEADER_ROLES]
    targets: dict[tuple[str, int], list[Target]] = defaultdict(list)
    for t in Target.objects.filter(
        Q(person_id__in=person_ids) | Q(unit_id__in=head_units), month=month
    ).order_by("metric"):
        key = ("unit", t.unit_id) if t.unit_id is not None else ("person", t.person_id)
        targets[key].append(t)  # type: ignore[index]
    confirmations = {
        c.person_id: c
        for c in TargetConfirmation.objects.filter(month=month, person_id__in=person_ids)
    }
    rows: list[SignoffRow] = []
    for ms in memberships:
        person, unit = ms.person, ms.unit
        owed = [
            OwedTarget("person", person.employee_no, person.name, t.metric, t.value)
            for t in targets.get(("person", person.pk), [])
        ]
        if ms.role in LEADER_ROLES:
            owed += [
                OwedTarget("unit", unit.code, unit.name, t.metric, t.value)
                for t in targets.get(("unit", unit.pk), [])
            ]
        if not owed:
            continue
        row = SignoffRow(person=person, role=ms.role, unit=unit, month=month, owed=owed)
        confirmation = confirmations.get(person.pk)
        if confirmation is not None:
            row.confirmed_at = confirmation.confirmed_at
            row.stale = confirmation.values != _snapshot(owed)
        rows.append(row)
    return Signoff(month=month, rows=rows)


def _memberships(month: dt.date) -> MembershipQuerySet:
    return (
        Membership.objects.on(month_start(month))
        .filter(role__in=SIGNOFF_ROLES, person__is_active=True)
        .select_related("person", "unit")
        .order_by("unit__sort", "unit__code", "person__employee_no")
    )


def signoff_for_unit(unit: Unit, month: dt.date) -> Signoff:
    """Who in ``unit``'s subtree holds a target of ``month`` and whether they have confirmed
    it: reps (their own) and unit heads (their unit's). Three queries."""
    month = month_start(month)
    subtree = UnitClosure.objects.filter(ancestor=unit).values("descendant_id")
    return _signoff(list(_memberships(month).filter(unit_id__in=subtree)), month)


def signoff_for_person(person: Person, month: dt.date) -> SignoffRow | None:
    """``person``'s own row of ``month``'s sign-off; ``None`` when they hold no target."""
    month = month_start(month)
    found = _signoff(list(_memberships(month).filter(person=person)), month)
    return found.rows[0] if found.rows else None


@transaction.atomic
def targets_confirm(
    *, person: Person, month: dt.date, now: dt.datetime | None = None
) -> tuple[SignoffRow, bool]:
    """``person`` confirms the targets of ``month`` they hold; returns their row and whether this
    was a new confirmation (a second tap on unchanged targets changes nothing)."""
    month = month_start(month)
    now = now or timezone.now()
    row = signoff_for_person(person, month)
    if row is None:
        raise TiejunError(
            _("you hold no target for %(month)s to confirm") % {"month": f"{month:%Y-%m}"},
            field="month",
        )
    if row.confirmed:
        return row, False
    snapshot = _snapshot(row.owed)
    before = TargetConfirmation.objects.select_for_update().filter(month=month, person=person)
    existing = before.first()
    previous = dict(existing.values) if existing is not None else None
    try:
        with transaction.atomic():
            if existing is None:
                TargetConfirmation.objects.create(
                    month=month, person=person, values=snapshot, confirmed_at=now
                )
            else:
                existing.values, existing.confirmed_at = snapshot, now
                existing.save(update_fields=["values", "confirmed_at"])
    except IntegrityError:  # a second tap raced the first: that one confirmed the same
        row.confirmed_at, row.stale = now, False
        return row, False
    audit_record(
        action="confirm",
        object_type="target",
        object_id=f"{month:%Y-%m}:confirm:{person.employee_no}",
        object_repr=f"{person.name} {month:%Y-%m}",
        before={"values": previous} if previous is not None else None,
        after={"values": snapshot},
        actor=person,
    )
    row.confirmed_at, row.stale = now, False
    return row, True


# --- reminders --------------------------------------------------------------------------------


def _address(person: Person) -> tuple[str, str] | None:
    if person.email:
        return "email", person.email
    if person.phone:
        return "sms", person.phone
    return None


def _link(month: dt.date) -> str:
    try:
        path = reverse("scoreboard:targets_mine") + f"?month={month:%Y-%m}"
    except NoReverseMatch:  # the pages are not mounted (a command without the web app)
        return ""
    return settings.PUBLIC_URL + path


def signoff_remind(*, today: dt.date) -> int:
    """Queue one reminder per person who has not confirmed this month's or next month's targets
    — one message a day whatever the number of months (the outbox key carries the person and
    the day, so a second run the same day sends nothing). Returns how many were queued."""
    pending: dict[int, list[SignoffRow]] = defaultdict(list)
    for month in (month_start(today), add_months(month_start(today), 1)):
        if month_end(month) < today or not Target.objects.filter(month=month).exists():
            continue
        for row in _signoff(list(_memberships(month)), month).pending:
            pending[row.person.pk].append(row)
    queued = 0
    for person_id, rows in pending.items():
        person = rows[0].person
        address = _address(person)
        if address is None:
            continue
        months = [f"{r.month:%Y-%m}" for r in rows]
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = _("Please confirm your targets for %(month)s") % {"month": ", ".join(months)}
            lines: list[str] = []
            for row, month_text in zip(rows, months, strict=True):
                lines.append(
                    _("%(name)s, your targets for %(month)s are waiting for your confirmation:")
                    % {"name": person.name, "month": month_text}
                )
                lines += [f"· {o.name} {METRICS[o.metric].label}: {o.text}" for o in row.owed]
                link = _link(row.month)
                if link:
                    lines.append(_("Confirm in one tap: %(link)s") % {"link": link})
            text = "\n".join(str(line) for line in lines)
        channel, to = address
        try:
            _message, created = message_enqueue(
                channel=channel,
                address=to,
                key=f"target-confirm:{today.isoformat()}:{person_id}",
                subject=subject,
                text=text,
            )
        except TiejunError:  # an address the channel refuses: skip this one, not everyone
            log.warning("no reminder for %s: bad %s address", person.employee_no, channel)
            continue
        queued += created
    return queued
