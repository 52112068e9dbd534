"""The one permission every layer asks: is this person an administrator?

It lives below the apps so that the outbox and the audit trail (which import no domain app) can
ask it too. It reads the person's memberships through the person's own relation, so it imports
no model; ``org.models.Role.ADMIN`` takes its value from ``ADMIN_ROLE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from tiejun.org.models import Person

ADMIN_ROLE = "admin"


def is_admin(person: Person) -> bool:
    """A superuser, or a person whose membership today has the admin role (one query)."""
    if not person.is_authenticated:
        return False
    if person.is_superuser:
        return True
    today = person.memberships.on(timezone.localdate())
    return today.filter(role=ADMIN_ROLE).exists()
