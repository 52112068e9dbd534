"""Writes to a customer's contacts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.org.models import Person
from tiejun.text import check_name

from ..models import Contact, Customer

CONTACT_LIMITS = {"name": 100, "title": 100, "phone": 32}


def _contact_values(fields: dict[str, Any]) -> dict[str, str]:
    unknown = set(fields) - set(CONTACT_LIMITS)
    if unknown:
        raise TiejunError(_("unknown contact fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    out = {}
    for field, value in fields.items():
        value = (value or "").strip()
        if "\x00" in value:
            raise TiejunError(_("contains a NUL character"), field=field)
        if len(value) > CONTACT_LIMITS[field]:
            raise TiejunError(
                _("longer than %(n)d characters") % {"n": CONTACT_LIMITS[field]}, field=field
            )
        out[field] = value
    if "name" in out and not out["name"]:
        raise TiejunError(_("a contact needs a name"), field="name")
    if "name" in out:
        out["name"] = check_name(out["name"])
    return out


@transaction.atomic
def contact_add(
    *, customer: Customer, name: str, title: str = "", phone: str = "", by: Person | None = None
) -> Contact:
    values = _contact_values({"name": name, "title": title, "phone": phone})
    return Contact.objects.create(customer=customer, **values)


@transaction.atomic
def contact_update(*, contact: Contact, by: Person | None = None, **fields: Any) -> Contact:
    """Change a contact's name, title or phone (only the fields given)."""
    values = _contact_values(fields)
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    for key in changed:
        setattr(contact, key, values[key])
    if changed:
        contact.save(update_fields=changed)
    return contact


@transaction.atomic
def contact_remove(*, contact: Contact, by: Person | None = None) -> None:
    contact.delete()
