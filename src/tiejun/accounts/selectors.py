"""Reads of the accounts app."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from tiejun.access import is_admin
from tiejun.org.models import Person
from tiejun.org.selectors import can_move_person, current_or_last_membership

from .models import Platform


def may_manage_account(viewer: Person, person: Person) -> bool:
    """Who may re-invite someone or send them a reset link: admin, or a manager for the people
    of the subtree they lead (the rule of transfers and promotions), never for themself."""
    if not viewer.is_authenticated:
        return False
    if is_admin(viewer):
        return True
    membership = current_or_last_membership(person, timezone.localdate())
    if membership is None:
        return False
    return can_move_person(viewer, person, membership.unit, membership.unit, None)


def never_signed_in() -> QuerySet[Person]:
    """Active people who have never signed in (``tiejun invite --new``)."""
    return Person.objects.filter(is_active=True, last_login__isnull=True).order_by("employee_no")


def people_by_employee_nos(numbers: Iterable[str]) -> tuple[list[Person], list[str]]:
    """The people with these employee numbers, in the order given, and the numbers not found."""
    numbers = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    found = {p.employee_no: p for p in Person.objects.filter(employee_no__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


def configured_platforms() -> list[str]:
    """The platforms whose id and secret are set, in a fixed order."""
    configured = {
        Platform.WECOM: settings.WECOM_CORP_ID and settings.WECOM_SECRET,
        Platform.DINGTALK: settings.DINGTALK_CLIENT_ID and settings.DINGTALK_CLIENT_SECRET,
        Platform.FEISHU: settings.FEISHU_APP_ID and settings.FEISHU_APP_SECRET,
    }
    return [p.value for p, on in configured.items() if on]


def person_for_login(login: str) -> Person | None:
    """The one active person with this employee number, e-mail or mobile; None if no one, or if
    it names more than one."""
    typed = (login or "").strip()
    if not typed:
        return None
    found = list(
        Person.objects.filter(is_active=True).filter(
            Q(employee_no__iexact=typed) | (Q(email__iexact=typed) & ~Q(email=""))
        )[:2]
    )
    digits = mainland_mobile(typed)
    if not found and len(digits) >= 8 and digits.isdigit():
        found = [
            p
            for p in Person.objects.filter(is_active=True, phone__endswith=digits[-4:])
            if mainland_mobile(p.phone) == digits
        ]
    return found[0] if len(found) == 1 else None


def mainland_mobile(text: str) -> str:
    """A phone number as its digits, a mainland number without its +86/0086/86 prefix."""
    digits = re.sub(r"\D", "", text or "")
    for prefix in ("0086", "86"):
        if len(digits) == len(prefix) + 11 and digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits
