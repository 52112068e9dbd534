"""Writes to customers' details: create and edit, and the idle clock a visit restarts.

Who owns a customer changes through ``services.ownership`` (the open pool, handovers, leavers).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.audit.services import audit_record
from tiejun.errors import NotFound, TiejunError
from tiejun.org.models import Person
from tiejun.org.selectors import membership_on
from tiejun.text import check_name, has_control_characters

from ..models import Customer, CustomerStatus, OwnershipChange, Priority
from ..selectors.customers import customer_visible
from .ownership import check_private_limit, set_owner

Reason = OwnershipChange.Reason


# Fields customer_create / customer_update accept besides code and owner.
EDITABLE = (
    "name",
    "industry",
    "size",
    "address",
    "lat",
    "lon",
    "phone",
    "status",
    "priority",
    "opens_at",
    "closes_at",
    "notes",
)


MAX_LENGTHS = {"name": 200, "industry": 100, "size": 50, "address": 300, "phone": 32}


TEXT_FIELDS = ("name", "industry", "size", "address", "phone", "notes")


MAX_NOTES = 5000


# A code goes into page and API paths: nothing that would break or bend a URL.
RESERVED_CODES = ("new", "map", "export")  # /customers/new/ and friends


CODE_FORBIDDEN = re.compile(r"[\s/\\?#%]")


CODE_MAX = 32


def validate_customer_code(code: str, *, field: str = "code") -> str:
    """``code`` stripped, or ``TiejunError`` saying why it cannot be a customer code.

    The one rule for every path that names a new customer (the form, the API, the import, a
    deal's customer): a code becomes part of page and API paths, so it must not break a URL.
    """
    code = (code or "").strip()
    if not code:
        raise TiejunError(_("a customer needs a customer code"), field=field)
    if len(code) > CODE_MAX:
        raise TiejunError(_("longer than %(n)d characters") % {"n": CODE_MAX}, field=field)
    if CODE_FORBIDDEN.search(code) or has_control_characters(code):
        raise TiejunError(_("a customer code has no spaces and none of / \\ ? # %"), field=field)
    if code.lower() in RESERVED_CODES:
        raise TiejunError(
            _("%(code)s is a word the pages use; pick another code") % {"code": code}, field=field
        )
    return code


def code_unusable(code: str, *, field: str = "code") -> NotFound:
    """The answer for a customer code someone else holds, out of the caller's sight: the same
    "not found" as any foreign id, saying nothing of whether or where the customer exists."""
    return NotFound(
        _("customer code %(code)s cannot be used; choose another") % {"code": code}, field=field
    )


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TiejunError(_("%(value)s is not a number") % {"value": value}, field=field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise TiejunError(
            _("%(field)s must lie between -%(limit)d and %(limit)d")
            % {"field": field, "limit": limit},
            field=field,
        )
    return number.quantize(Decimal("0.000001"))


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TiejunError(_("unknown customer fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    out = dict(fields)
    for name in TEXT_FIELDS:
        if name in out and isinstance(out[name], str) and "\x00" in out[name]:
            raise TiejunError(_("contains a NUL character"), field=name)
    for name, limit in MAX_LENGTHS.items():
        if name in out:
            out[name] = _bounded(out[name], limit, name)
    # In this order: the first bad field is the one reported.
    for name, clean in _CLEANERS.items():
        if name in out:
            out[name] = clean(out[name])
    return out


def _bounded(value: Any, limit: int, field: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise TiejunError(_("longer than %(n)d characters") % {"n": limit}, field=field)
    return text


def _name(value: str) -> str:
    if not value:
        raise TiejunError(_("a customer needs a name"), field="name")
    return check_name(value)


def _status(value: Any) -> Any:
    if value not in CustomerStatus.values:
        raise TiejunError(
            _("unknown status %(value)s; use one of %(choices)s")
            % {"value": value, "choices": ", ".join(CustomerStatus.values)},
            field="status",
        )
    return value


def _priority(value: Any) -> str:
    priority = (value or "").strip().upper()
    if priority not in Priority.values:
        raise TiejunError(
            _("unknown priority %(value)s; use one of %(choices)s")
            % {"value": priority, "choices": ", ".join(Priority.values)},
            field="priority",
        )
    return priority


def _clock(value: Any, field: str) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.datetime.strptime(str(value).strip()[:5], "%H:%M").time()
    except ValueError:
        raise TiejunError(_("give a time as HH:MM"), field=field) from None


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "lat": lambda value: _coordinate(value, "lat", 90),
    "lon": lambda value: _coordinate(value, "lon", 180),
    "status": _status,
    "priority": _priority,
    "opens_at": lambda value: _clock(value, "opens_at"),
    "closes_at": lambda value: _clock(value, "closes_at"),
    "notes": lambda value: _bounded(value, MAX_NOTES, "notes"),
}


@transaction.atomic
def customer_create(
    *,
    code: str,
    name: str,
    by: Person | None = None,
    owner: Person | None = None,
    reason: str = Reason.CLAIM,
    **fields: Any,
) -> Customer:
    """A new customer, in ``owner``'s hands (audited) or in the open pool of ``by``'s team.

    A code taken by a customer ``by`` may not see answers "not found", like any foreign id.
    """
    code = validate_customer_code(code)
    taken = Customer.objects.filter(code=code).first()
    if taken is not None:
        if by is not None and not customer_visible(by, taken):
            raise code_unusable(code)
        raise TiejunError(_("customer %(code)s exists already") % {"code": code}, field="code")
    values = _clean_fields({"name": name, **fields})
    _check_hours(values.get("opens_at"), values.get("closes_at"))
    creator = membership_on(by, timezone.localdate()) if by is not None and owner is None else None
    customer = Customer.objects.create(
        code=code, unit_id=creator.unit_id if creator is not None else None, **values
    )
    if owner is not None:
        if reason != Reason.IMPORT:
            check_private_limit(owner)
        set_owner(customer, owner, reason=reason, by=by, note=_("new customer"))
    _audit(
        "create",
        customer,
        None,
        {"code": code, **values, "owner": owner.employee_no if owner is not None else None},
        by,
    )
    return customer


def _check_hours(opens: dt.time | None, closes: dt.time | None) -> None:
    if opens is not None and closes is not None and opens >= closes:
        raise TiejunError(_("a customer closes after it opens"), field="closes_at")


def _audit(
    action: str,
    customer: Customer,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    by: Person | None,
) -> None:
    audit_record(
        action=action,
        object_type="customer",
        object_id=customer.code,
        object_repr=customer.name,
        before=before,
        after=after,
        actor=by,
    )


@transaction.atomic
def customer_update(*, customer: Customer, by: Person | None = None, **fields: Any) -> Customer:
    """Edit a customer's details (not its owner: claim, hand over or release for that)."""
    values = _clean_fields(fields)
    _check_hours(
        values.get("opens_at", customer.opens_at), values.get("closes_at", customer.closes_at)
    )
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    before = {key: getattr(customer, key) for key in changed}
    for key in changed:
        setattr(customer, key, values[key])
    if changed:
        customer.save(update_fields=changed)
        _audit("update", customer, before, {key: values[key] for key in changed}, by)
    return customer


def customer_touch(*, customer_id: int, day: dt.date) -> None:
    """A visit or follow-up on ``day``: the customer's idle clock restarts (never goes back)."""
    Customer.objects.filter(pk=customer_id).filter(
        Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=day)
    ).update(last_activity_on=day)
