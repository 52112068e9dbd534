"""Writes of the accounts app: invitations, passwords set by oneself or by someone else, the
links to the platforms' user ids, and the sign-in by a platform's user."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_batch, audit_record
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.notify.models import DeliveryChannel
from tiejun.notify.services import message_enqueue
from tiejun.org.models import Person

from .models import ExternalIdentity, Invitation, PasswordMark, Platform
from .selectors import mainland_mobile, may_manage_account

INVITE_DAYS = 7
CHUNK = 500  # rows per statement of a bulk write, ids per ``IN (…)``
TOKEN_BYTES = 32
# The session key that makes every page send the person to the password change first.
MUST_CHANGE_KEY = "tiejun_must_change_password"
# Ways an activation link leaves Tiejun: the outbox by e-mail or SMS, or printed by the command.
PRINT = "print"
INVITE_CHANNELS = (DeliveryChannel.EMAIL.value, DeliveryChannel.SMS.value, PRINT)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` as a link to send: the request's own host, else ``settings.PUBLIC_URL``."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PUBLIC_URL + path


def activation_path(token: str) -> str:
    return reverse("accounts:activate", kwargs={"token": token})


# --- invitations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    """One person invited: the link (shown once, never stored), when it expires, and the outbox
    message that carries it (``None`` when printed)."""

    person: Person
    invitation: Invitation
    url: str
    message_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "employee_no": self.person.employee_no,
            "name": self.person.name,
            "url": self.url,
            "expires_at": self.invitation.expires_at.isoformat(),
        }


def address_for(person: Person, channel: str) -> str:
    """The person's address on ``channel``, or a ``TiejunError`` naming what is missing."""
    if channel == DeliveryChannel.EMAIL:
        if not person.email:
            raise TiejunError(
                _("%(person)s has no e-mail address") % {"person": person}, field="channel"
            )
        return person.email
    if channel == DeliveryChannel.SMS:
        if not person.phone:
            raise TiejunError(
                _("%(person)s has no mobile number") % {"person": person}, field="channel"
            )
        return person.phone
    return ""


def _language(person: Person) -> str:
    codes = dict(settings.LANGUAGES)
    return person.language if person.language in codes else settings.LANGUAGE_CODE


def _send_link(
    person: Person, channel: str, key: str, url: str, *, reset: bool, expires: dt.datetime
) -> int | None:
    """Queue the link in the outbox (sent on commit); ``None`` when it is printed instead."""
    if channel == PRINT:
        return None
    with translation.override(_language(person)):
        when = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")
        if reset:
            subject = _("Tiejun: reset your password")
            text = _(
                "%(name)s, open this link to choose a new password for Tiejun (valid until "
                "%(when)s): %(url)s — if you did not ask for it, ignore this message."
            ) % {"name": person.name, "url": url, "when": when}
        else:
            subject = _("Tiejun: set your password")
            text = _(
                "%(name)s, you are invited to Tiejun. Open this link to set your password and "
                "sign in (valid until %(when)s, once): %(url)s — your login is %(login)s."
            ) % {"name": person.name, "url": url, "when": when, "login": person.employee_no}
    message, _created = message_enqueue(
        channel=channel,
        address=address_for(person, channel),
        key=key,
        subject=subject,
        text=text,
    )
    return message.pk


def _check_channel(channel: str) -> None:
    if channel not in INVITE_CHANNELS:
        raise TiejunError(
            _("Unknown channel “%(channel)s”: use one of %(choices)s.")
            % {"channel": channel, "choices": ", ".join(INVITE_CHANNELS)},
            field="channel",
        )


@transaction.atomic
def invitation_create(
    *,
    person: Person,
    channel: str,
    by: Person | None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Invited:
    """A new single-use activation link for ``person`` (valid ``INVITE_DAYS`` days), voiding the
    ones before it, sent by ``channel`` (``email``, ``sms``) or returned to print. ``by`` (None:
    the command line) must manage the person."""
    _check_channel(channel)
    if by is not None and not may_manage_account(by, person):
        raise NotFound(_("unknown employee %(no)s") % {"no": person.employee_no})
    if not person.is_active:
        raise TiejunError(_("%(person)s is deactivated") % {"person": person})
    address_for(person, channel)  # before anything is written
    now = now or timezone.now()
    open_ones = Invitation.objects.filter(person=person, used_at__isnull=True, voided_at=None)
    voided = open_ones.update(voided_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        person=person,
        token_hash=_hash(token),
        channel=channel,
        created_by=by,
        expires_at=now + dt.timedelta(days=INVITE_DAYS),
    )
    url = absolute_url(activation_path(token), request)
    message_id = _send_link(
        person,
        channel,
        f"invite:{invitation.pk}",
        url,
        reset=False,
        expires=invitation.expires_at,
    )
    audit_record(
        action="invite",
        object_type="person",
        object_id=person.employee_no,
        object_repr=person.name,
        after={"channel": channel, "expires_at": invitation.expires_at, "voided": voided},
        actor=by,
    )
    return Invited(person, invitation, url, message_id)


def invite_people(
    people: Iterable[Person],
    *,
    channel: str,
    by: Person | None,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> list[Invited]:
    """Invite each of ``people`` (one transaction): the import's ``--invite`` calls this for the
    people it created. ``channel`` is ``email``, ``sms`` or ``print``; a person without the
    address raises ``TiejunError`` before anything is written. ``today`` is accepted for the
    callers that pass the import's day; links are valid ``INVITE_DAYS`` from now."""
    del today  # the link's clock is the wall clock: it expires 7 days after it is sent
    _check_channel(channel)
    people = list(people)
    problems = []
    for person in people:
        try:
            address_for(person, channel)
        except TiejunError as error:
            problems.append(str(error))
    if problems:
        raise TiejunError("; ".join(problems), field="channel")
    with transaction.atomic():
        return [
            invitation_create(person=p, channel=channel, by=by, request=request) for p in people
        ]


class InvitationState:
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def _state(invitation: Invitation | None, now: dt.datetime) -> str:
    if invitation is None or not invitation.person.is_active:
        return InvitationState.UNKNOWN
    if invitation.used_at is not None or invitation.voided_at is not None:
        return InvitationState.USED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    return InvitationState.VALID


def invitation_lookup(token: str, now: dt.datetime | None = None) -> tuple[str, Invitation | None]:
    """The invitation behind ``token`` and whether it may still be used."""
    invitation = (
        Invitation.objects.select_related("person").filter(token_hash=_hash(token or "")).first()
    )
    return _state(invitation, now or timezone.now()), invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> Person:
    """Use the link once: the person's own password is set. The caller validated the password
    (Django's validators through ``SetPasswordForm``); two sends of one form set it once."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("person")
        .filter(token_hash=_hash(token or ""))
        .first()
    )
    now = timezone.now()
    if invitation is None or _state(invitation, now) != InvitationState.VALID:
        raise TiejunError(_("This link has been used or has expired."))
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    person = invitation.person
    password_set(person=person, password=password, by=person)
    audit_record(
        action="activate",
        object_type="person",
        object_id=person.employee_no,
        object_repr=person.name,
        actor=person,
    )
    return person


# --- passwords ----------------------------------------------------------------------------


@transaction.atomic
def password_set(*, person: Person, password: str, by: Person | None) -> Person:
    """Set ``person``'s password. Set by anyone else (``by`` another person, or None: the command
    line), it must be changed at the next sign-in. Audited without the password."""
    own = by is not None and by.pk == person.pk
    person.set_password(password)
    person.save(update_fields=["password"])
    PasswordMark.objects.update_or_create(
        person=person,
        defaults={"must_change": not own, "set_by": by, "set_at": timezone.now()},
    )
    audit_record(
        action="password_change" if own else "password_set",
        object_type="person",
        object_id=person.employee_no,
        object_repr=person.name,
        after={"must_change": not own},
        actor=by,
    )
    return person


def must_change_password(person: Person) -> bool:
    return PasswordMark.objects.filter(person=person, must_change=True).exists()


def on_logged_in(sender: object, request: HttpRequest | None, user: Any, **_kwargs: Any) -> None:
    """At sign-in, note in the session whether the password must be changed first."""
    if request is None or not hasattr(request, "session") or not isinstance(user, Person):
        return
    if getattr(request, "tiejun_platform_sign_in", False):
        return  # signed in by a platform: no password was typed
    if must_change_password(user):
        request.session[MUST_CHANGE_KEY] = True
    else:
        request.session.pop(MUST_CHANGE_KEY, None)


def reset_send(
    *, person: Person, url: str, channel: str, expires: dt.datetime, by: Person | None = None
) -> int | None:
    """Queue a password-reset link (Django's token, made by the caller) to ``person``."""
    if by is not None and not may_manage_account(by, person):
        raise NotFound(_("unknown employee %(no)s") % {"no": person.employee_no})
    with transaction.atomic():
        key = f"reset:{person.pk}:{_hash(url)[:16]}"
        message_id = _send_link(person, channel, key, url, reset=True, expires=expires)
        audit_record(
            action="password_reset",
            object_type="person",
            object_id=person.employee_no,
            object_repr=person.name,
            after={"channel": channel},
            actor=by,
        )
    return message_id


# --- platform identities ------------------------------------------------------------------


def _check_platform(platform: str) -> None:
    if platform not in Platform.values:
        raise TiejunError(
            _("Unknown platform “%(platform)s”: use one of %(choices)s.")
            % {"platform": platform, "choices": ", ".join(Platform.values)},
            field="platform",
        )


@transaction.atomic
def link_external_id(
    person: Person, platform: str, external_id: str, by: Person | None
) -> ExternalIdentity:
    """Link ``person`` to their user id on ``platform`` (the import's ``wecom_userid``,
    ``dingtalk_userid``, ``feishu_user_id`` columns). An id already linked to someone else is a
    ``TiejunError``; relinking the person replaces their old id. Audited."""
    _check_platform(platform)
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 128:
        raise TiejunError(_("The user id is empty or too long."), field="external_id")
    if by is not None and not may_manage_account(by, person):
        raise NotFound(_("unknown employee %(no)s") % {"no": person.employee_no})
    taken = ExternalIdentity.objects.filter(platform=platform, external_id=external_id).first()
    if taken is not None and taken.person_id != person.pk:
        raise TiejunError(
            _("%(platform)s user %(id)s is already linked to another person")
            % {"platform": Platform(platform).label, "id": external_id},
            field="external_id",
        )
    link, created = ExternalIdentity.objects.get_or_create(
        person=person, platform=platform, defaults={"external_id": external_id}
    )
    before = None if created else link.external_id
    if not created and link.external_id != external_id:
        link.external_id = external_id
        link.save(update_fields=["external_id"])
    if created or before != external_id:
        audit_record(
            action="link",
            object_type="person",
            object_id=person.employee_no,
            object_repr=person.name,
            before={platform: before},
            after={platform: external_id},
            actor=by,
        )
    return link


def external_ids_link(*, links: Sequence[tuple[str, str, str]], by: Person | None) -> int:
    """Link many people to their platform user ids at once (the people import's id columns):
    ``links`` holds (employee number, platform, user id). A few statements whatever their number:
    the people, their current links, one insert, one update, the audit entries in one batch.

    The caller checked what ``links`` touch: every person is one ``by`` may import (the import's
    scope), and no id is linked to someone else (the import's check; a race that links one
    meanwhile fails on the unique constraint and rolls the import back). Returns the links
    created or changed."""
    if not links:
        return 0
    for _no, platform, _id in links:
        _check_platform(platform)
    numbers = list(dict.fromkeys(no for no, _p, _id in links))
    people: dict[str, Person] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        people.update(
            (p.employee_no, p)
            for p in Person.objects.filter(employee_no__in=chunk).only("pk", "employee_no", "name")
        )
    missing = [no for no in numbers if no not in people]
    if missing:
        raise NotFound(_("unknown employee %(no)s") % {"no": ", ".join(missing[:5])})
    current: dict[tuple[int, str], ExternalIdentity] = {}
    ids = [p.pk for p in people.values()]
    for start in range(0, len(ids), CHUNK):
        for found in ExternalIdentity.objects.filter(person_id__in=ids[start : start + CHUNK]):
            current[(found.person_id, found.platform)] = found
    created: list[ExternalIdentity] = []
    changed: dict[int, ExternalIdentity] = {}
    with transaction.atomic(), audit_batch():
        for no, platform, external_id in links:
            person = people[no]
            link = current.get((person.pk, platform))
            before = link.external_id if link is not None else None
            if before == external_id:
                continue
            if link is None:
                link = ExternalIdentity(person=person, platform=platform, external_id=external_id)
                current[(person.pk, platform)] = link
                created.append(link)
            else:
                link.external_id = external_id
                if link.pk is not None:
                    changed[link.pk] = link
            audit_record(
                action="link",
                object_type="person",
                object_id=person.employee_no,
                object_repr=person.name,
                before={platform: before},
                after={platform: external_id},
                actor=by,
            )
        ExternalIdentity.objects.bulk_create(created, batch_size=CHUNK)
        ExternalIdentity.objects.bulk_update(
            list(changed.values()), ["external_id"], batch_size=CHUNK
        )
    return len(created) + len(changed)


def person_for_platform_user(
    *, platform: str, user_id: str, mobile: str = "", email: str = ""
) -> Person:
    """The person a platform user signs in as: by the linked user id, else by mobile, else by
    e-mail (each must name exactly one person). Nobody is created; an unknown or deactivated
    user is refused with a message to show."""
    link = (
        ExternalIdentity.objects.select_related("person")
        .filter(platform=platform, external_id=user_id)
        .first()
        if user_id
        else None
    )
    person = link.person if link is not None else None
    if person is None and mobile_digits(mobile):
        wanted = mainland_mobile(mobile)
        found = [
            p
            for p in Person.objects.filter(phone__endswith=wanted[-4:])
            if mainland_mobile(p.phone) == wanted
        ]
        person = found[0] if len(found) == 1 else None
    if person is None and email:
        found = list(Person.objects.filter(~Q(email=""), email__iexact=email.strip())[:2])
        person = found[0] if len(found) == 1 else None
    if person is None:
        raise Forbidden(
            _(
                "Your %(platform)s account is not linked to anyone in Tiejun. Ask your "
                "coordinator to add you, or sign in with your employee number."
            )
            % {"platform": Platform(platform).label}
        )
    if not person.is_active:
        raise Forbidden(_("Your Tiejun account is deactivated. Ask your coordinator."))
    if link is None and user_id:
        taken = ExternalIdentity.objects.filter(person=person, platform=platform).exists()
        if not taken:  # remember the match: the next sign-in goes by the id
            link_external_id(person, platform, user_id, None)
    return person


def mobile_digits(text: str) -> bool:
    return len(re.sub(r"\D", "", text or "")) >= 8
