"""Writes of the red-line register: opening a case, attaching evidence, deciding, applying a
dismissal, reviewing a flag. Each checks that the actor is in the person's management chain
(``selectors``), runs in one transaction and records the audit trail in it. A decision is told
to the person through the outbox on commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.crm.services.ownership import customers_reassign_leaver
from tiejun.dateinput import check_day
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person
from tiejun.org.selectors import current_or_last_membership
from tiejun.org.services import person_deactivate
from tiejun.text import has_control_characters

from .models import Case, CaseStatus, Category, Decision, Evidence, Flag, FlagStatus
from .selectors import can_decide, people_in_chain

log = logging.getLogger(__name__)

MAX_FACTS = 10_000
MAX_REASON = 2_000
MAX_NOTE = 300
MAX_EFFECTIVE_AHEAD_DAYS = 90


def _text(value: Any, *, field: str, limit: int, required: str | None = None) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise TiejunError(_("text may not contain NUL characters (\\u0000)"), field=field)
    if required is not None and not text:
        raise TiejunError(required, field=field)
    if len(text) > limit:
        raise TiejunError(_("at most %(n)d characters, please") % {"n": limit}, field=field)
    return text


def _case_repr(case: Case) -> str:
    return f"{case.person.name} ({case.person.employee_no}) · {case.category.label}"


# --- cases -----------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    by: Person,
    person: Person,
    category: Category,
    occurred_on: dt.date,
    facts: str,
    flag: Flag | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case about ``person``; ``flag`` (one ``by`` may see, still to review) is marked as
    the case's origin."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if person.pk == by.pk or not people_in_chain(by, today).filter(pk=person.pk).exists():
        raise NotFound(
            _("unknown employee %(no)s") % {"no": person.employee_no}, field="employee_no"
        )
    if not category.active:
        raise TiejunError(_("this category is no longer in use"), field="category")
    occurred_on = check_day(occurred_on, field="occurred_on")
    if occurred_on > today:
        raise TiejunError(_("the day it happened cannot be in the future"), field="occurred_on")
    facts = _text(
        facts, field="facts", limit=MAX_FACTS, required=_("describe the facts of the case")
    )
    membership = current_or_last_membership(person, today)
    if membership is None:
        raise TiejunError(
            _("%(name)s has no membership") % {"name": person.name}, field="employee_no"
        )
    if flag is not None:
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if flag.person_id != person.pk:
            raise TiejunError(_("the flag is about someone else"), field="flag")
        if flag.status != FlagStatus.OPEN:
            raise TiejunError(_("this flag has already been reviewed"), field="flag")
    case = Case.objects.create(
        person=person,
        unit_id=membership.unit_id,
        role=membership.role,
        category=category,
        occurred_on=occurred_on,
        facts=facts,
        opened_by=by,
        opened_at=now,
    )
    audit_record(
        action="create",
        object_type="redline_case",
        object_id=case.number,
        object_repr=_case_repr(case),
        after={
            "employee_no": person.employee_no,
            "category": category.code,
            "occurred_on": occurred_on,
            "flag": flag.pk if flag is not None else None,
        },
        actor=by,
    )
    if flag is not None:
        flag.status = FlagStatus.CASE
        flag.case = case
        flag.reviewed_by = by
        flag.reviewed_at = now
        flag.save(update_fields=["status", "case", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(
            action="open_case",
            object_type="redline_flag",
            object_id=flag.pk,
            object_repr=f"{person.name} · {flag.get_kind_display()} · {flag.day}",
            before={"status": FlagStatus.OPEN},
            after={"status": FlagStatus.CASE, "case": case.number},
            actor=by,
        )
    return case


@transaction.atomic
def case_decide(
    *,
    case: Case,
    by: Person,
    decision: str,
    reason: str,
    effective_date: dt.date | None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Decide an open case. A dismissal effective today or earlier deactivates the person at once
    and hands their customers over; a later one takes effect on its day (``cases_apply_due``)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("person", "category")
        .get(pk=case.pk)
    )
    if not case.is_open:
        raise TiejunError(_("this case has already been decided"), field="decision")
    if decision not in Decision.values:
        raise TiejunError(_("choose a decision"), field="decision")
    if not can_decide(by, case, decision, today):
        raise Forbidden(
            _("a demotion or a dismissal is decided by a manager above the person, or an admin")
            if decision in (Decision.DEMOTION, Decision.DISMISSAL)
            else _("you may not decide this case"),
        )
    reason = _text(
        reason,
        field="reason",
        limit=MAX_REASON,
        required=_("give the reason for the decision"),
    )
    if decision == Decision.CLEARED:
        effective_date = effective_date or today
    if effective_date is None:
        raise TiejunError(_("give the date the decision takes effect"), field="effective_date")
    effective_date = check_day(effective_date, field="effective_date")
    if effective_date < case.occurred_on:
        raise TiejunError(
            _("the decision cannot take effect before the day it happened (%(day)s)")
            % {"day": case.occurred_on.isoformat()},
            field="effective_date",
        )
    if effective_date > today + dt.timedelta(days=MAX_EFFECTIVE_AHEAD_DAYS):
        raise TiejunError(
            _("the decision must take effect within %(n)d days") % {"n": MAX_EFFECTIVE_AHEAD_DAYS},
            field="effective_date",
        )
    case.status = CaseStatus.DECIDED
    case.decision = decision
    case.decision_reason = reason
    case.effective_date = effective_date
    case.decided_by = by
    case.decided_at = now
    case.save(
        update_fields=[
            "status",
            "decision",
            "decision_reason",
            "effective_date",
            "decided_by",
            "decided_at",
        ]
    )
    audit_record(
        action="decide",
        object_type="redline_case",
        object_id=case.number,
        object_repr=_case_repr(case),
        before={"status": CaseStatus.OPEN},
        after={"status": case.status, "decision": decision, "effective_date": effective_date},
        reason=reason,
        actor=by,
    )
    if decision == Decision.DISMISSAL and effective_date <= today:
        _dismissal_apply(case, by=by, today=today, now=now)
    if decision != Decision.CLEARED:
        transaction.on_commit(lambda: _notify_decided(case))
    return case


def _language(person: Person) -> str:
    codes = dict(settings.LANGUAGES)
    return person.language if person.language in codes else settings.LANGUAGE_CODE


def _notify_decided(case: Case) -> None:
    """Tell the person the decision on their case: by e-mail, else SMS, in their language. The
    message names the case, the red line, the decision and its day, and points to their record;
    never the facts or the evidence, which a mailbox or a phone may show to someone else."""
    person = case.person
    if person.email:
        channel, address = "email", person.email
    elif person.phone:
        channel, address = "sms", person.phone
    else:
        return
    with translation.override(_language(person)):
        values = {
            "name": person.name,
            "number": case.number,
            "red_line": case.category.label,
            "decision": Decision(case.decision).label,
            "day": case.effective_date.isoformat() if case.effective_date else "—",
            "url": settings.PUBLIC_URL + reverse("redlines:mine"),
        }
        subject = _("Red-line case %(number)s: %(decision)s") % values
        text = (
            _(
                "%(name)s, the red-line case %(number)s about you (%(red_line)s) has been "
                "decided: %(decision)s, effective %(day)s. The decision and its reason are on "
                "your record: %(url)s"
            )
            % values
        )
    message_enqueue(
        channel=channel,
        address=address,
        key=f"redline_case:{case.pk}:decided",
        subject=subject,
        text=text,
        payload={"kind": "redline_decision"},
    )


def _dismissal_apply(case: Case, *, by: Person | None, today: dt.date, now: dt.datetime) -> None:
    """The usual leaver's path: no more sign-in (sessions and tokens end), customers handed to
    the team's supervisor or the open pool (``LEAVER_CUSTOMERS_TO``)."""
    person = Person.objects.get(pk=case.person_id)
    membership = current_or_last_membership(person, today)
    if person.is_active:
        person_deactivate(person=person)
    handed = customers_reassign_leaver(
        person=person,
        from_unit_id=membership.unit_id if membership is not None else None,
        effective=today,
        by=by,
    )
    case.applied_at = now
    case.customers_handed_over = handed
    case.save(update_fields=["applied_at", "customers_handed_over"])
    audit_record(
        action="dismissal",
        object_type="redline_case",
        object_id=case.number,
        object_repr=_case_repr(case),
        after={"is_active": False, "customers_handed_over": handed},
        actor=by,
    )


def cases_apply_due(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Apply the dismissals whose effective date has come (the nightly job); returns how many."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    due = list(
        Case.objects.filter(
            decision=Decision.DISMISSAL, applied_at__isnull=True, effective_date__lte=today
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in due:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("person", "category", "decided_by")
                .get(pk=pk)
            )
            if case.applied_at is None:
                _dismissal_apply(case, by=case.decided_by, today=today, now=now)
    return len(due)


# --- evidence --------------------------------------------------------------------------------

# Accepted evidence by extension: the type it is served as and the bytes it must start with
# (checked, so a renamed program is refused). Text files must be UTF-8 without NUL.
ZIP = (b"PK\x03\x04",)
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ZIP,
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "m4a": ("audio/mp4", ()),
    "mp4": ("video/mp4", ()),
    "txt": ("text/plain; charset=utf-8", ()),
    "csv": ("text/csv; charset=utf-8", ()),
}
INLINE_TYPES = frozenset({"image/jpeg", "image/png"})


def _file_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if not has_control_characters(ch))
    return base[-200:] or "evidence"


def check_evidence(upload: Any) -> tuple[str, str, bytes]:
    """The file's clean name, the type it is served as and its bytes; ``TiejunError`` for a file
    that is empty, too large, of a type not accepted, or whose content does not match its type."""
    limit = settings.REDLINE_EVIDENCE_MAX_BYTES
    if upload is None:
        raise TiejunError(_("choose a file"), field="file")
    size = getattr(upload, "size", None)
    too_large = _("the file is %(size)s MB; at most %(max)s MB is accepted")
    if size is not None and size > limit:
        raise TiejunError(
            too_large % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:.1f}"},
            field="file",
        )
    try:
        data: bytes = upload.read(limit + 1)
    except (AttributeError, OSError):
        raise TiejunError(_("the file could not be read"), field="file") from None
    if len(data) > limit:
        raise TiejunError(
            too_large % {"size": f"> {limit / 1048576:.1f}", "max": f"{limit / 1048576:.1f}"},
            field="file",
        )
    if not data:
        raise TiejunError(_("the file is empty"), field="file")
    name = _file_name(getattr(upload, "name", ""))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        raise TiejunError(
            _("accepted files: %(types)s") % {"types": ", ".join(sorted(EVIDENCE_TYPES))},
            field="file",
        )
    content_type, magic = EVIDENCE_TYPES[extension]
    if extension in ("txt", "csv"):
        try:
            ok = "\x00" not in data.decode("utf-8-sig")
        except UnicodeDecodeError:
            ok = False
    elif extension in ("m4a", "mp4"):
        ok = data[4:8] == b"ftyp"
    else:
        ok = data.startswith(magic)
    if not ok:
        raise TiejunError(
            _("the file's content is not a %(ext)s file") % {"ext": extension}, field="file"
        )
    return name, content_type, data


def evidence_add(
    *,
    case: Case,
    by: Person,
    upload: Any,
    note: str = "",
    now: dt.datetime | None = None,
) -> Evidence:
    """Attach a file to an open case (``case`` comes from ``access_case`` for ``by``)."""
    now = now or timezone.now()
    closed = TiejunError(_("the case is decided: no more evidence can be added"), field="file")
    if not Case.objects.filter(pk=case.pk, status=CaseStatus.OPEN).exists():
        raise closed  # said before the file is looked at
    name, content_type, data = check_evidence(upload)
    note = _text(note, field="note", limit=MAX_NOTE)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise closed
        evidence = Evidence(
            case=locked,
            name=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            note=note,
            uploaded_by=by,
            uploaded_at=now,
        )
        evidence.file.save(name, ContentFile(data), save=False)
        stored = evidence.file.name or ""
        try:
            evidence.save()
            audit_record(
                action="attach",
                object_type="redline_case",
                object_id=case.number,
                object_repr=_case_repr(case),
                after={"file": name, "size": len(data), "sha256": evidence.sha256},
                actor=by,
            )
        except Exception:
            evidence.file.storage.delete(stored)
            raise
    return evidence


def evidence_viewed(*, evidence: Evidence, by: Person) -> None:
    """Reading evidence is recorded too: who opened which file of which case."""
    audit_record(
        action="download",
        object_type="redline_case",
        object_id=evidence.case.number,
        object_repr=_case_repr(evidence.case),
        after={"file": evidence.name, "sha256": evidence.sha256},
        actor=by,
    )


# --- flags -----------------------------------------------------------------------------------


@transaction.atomic
def flag_dismiss(*, flag: Flag, by: Person, reason: str, now: dt.datetime | None = None) -> Flag:
    """Dismiss a flag (``flag`` from ``access_flag`` for ``by``) with the reason it is no
    concern; it stays on record and a scan run again leaves it dismissed."""
    now = now or timezone.now()
    reason = _text(
        reason, field="reason", limit=MAX_REASON, required=_("say why the flag is dismissed")
    )
    locked = Flag.objects.select_for_update(of=("self",)).select_related("person").get(pk=flag.pk)
    if locked.status != FlagStatus.OPEN:
        raise TiejunError(_("this flag has already been reviewed"), field="reason")
    locked.status = FlagStatus.DISMISSED
    locked.review_reason = reason
    locked.reviewed_by = by
    locked.reviewed_at = now
    locked.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at"])
    audit_record(
        action="dismiss",
        object_type="redline_flag",
        object_id=locked.pk,
        object_repr=f"{locked.person.name} · {locked.get_kind_display()} · {locked.day}",
        before={"status": FlagStatus.OPEN},
        after={"status": FlagStatus.DISMISSED},
        reason=reason,
        actor=by,
    )
    return locked
