from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiejun.access import is_admin
from tiejun.imports.registry import kinds_for
from tiejun.org.models import LEADER_ROLES, Person, Role
from tiejun.org.selectors import default_unit, membership_on

# The sections of the navigation; the last four belong to other apps, linked by path.
SECTIONS = [
    ("board", _("Board"), "/", ("/", "/board/", "/tv/")),
    ("me", _("My page"), "/me/", ("/me/", "/people/")),
    ("org", _("Org"), "/org/", ("/org/",)),
    ("targets", _("Targets"), "/targets/", ("/targets/",)),
    ("deals", _("Deals"), "/deals/", ("/deals/",)),
    ("field", _("Field work"), "/field/", ("/field/",)),
    ("customers", _("Customers"), "/customers/", ("/customers/",)),
    ("rhythm", _("Kickoff & review"), "/rhythm/", ("/rhythm/",)),
    ("broadcast", _("Battle report"), "/broadcast/", ("/broadcast/", "/outbox/")),
    ("lab", _("Lab"), "/lab/", ("/lab/",)),
    ("import", _("Import"), "/import/", ("/import/",)),
]


# Sections for administrators only (the audit trail answers 404 to anyone else).
ADMIN_SECTIONS: list[tuple[str, Any, str, tuple[str, ...]]] = [
    ("audit", _("Audit trail"), "/audit/", ("/audit/",)),
]

# The sections a person may open, worked out once at sign-in (and once a day after) and kept in
# the session, so that drawing the menu costs no query. The rules are the pages' own: the lab is
# for leaders, coordinators and admins (``lab.views.lab_unit``), the import page for whoever may
# import a kind (``imports.registry.kinds_for``), targets, kickoff & review and the battle report
# open the viewer's own unit (``org.selectors.default_unit``), the audit trail is the admins'.
NAV_SESSION_KEY = "tiejun_nav"
LAB_ROLES = LEADER_ROLES | {Role.COORDINATOR, Role.ADMIN}
NEEDS_UNIT = ("targets", "rhythm", "broadcast")


def nav_grants(person: Person) -> dict[str, Any]:
    """The sections ``person`` may open today, as the session keeps them."""
    today = timezone.localdate()
    membership = membership_on(person, today)
    has_unit = default_unit(person, today) is not None
    allowed = {
        "lab": person.is_superuser or (membership is not None and membership.role in LAB_ROLES),
        "import": bool(kinds_for(person)),
        "audit": is_admin(person),
        **dict.fromkeys(NEEDS_UNIT, has_unit),
    }
    return {"day": today.isoformat(), "hidden": sorted(k for k, ok in allowed.items() if not ok)}


def remember_nav(sender: object, request: HttpRequest | None, user: Any, **_kwargs: Any) -> None:
    """At sign-in (``user_logged_in``): keep the person's sections in the session."""
    if request is not None and hasattr(request, "session") and isinstance(user, Person):
        request.session[NAV_SESSION_KEY] = nav_grants(user)


def _is_active(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p if p == "/" else path.startswith(p) for p in prefixes)


def _hidden(request: HttpRequest) -> set[str]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not hasattr(request, "session"):
        return set()
    grants = request.session.get(NAV_SESSION_KEY)
    if not grants or grants.get("day") != timezone.localdate().isoformat():
        grants = nav_grants(user)  # a session from before, or from yesterday
        request.session[NAV_SESSION_KEY] = grants
    return set(grants["hidden"])


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The top navigation (the sections the person may open) and the language switch; no
    database query once the session knows the person's sections."""
    path = request.path
    hidden = _hidden(request)
    items = [
        {"key": key, "label": label, "url": url, "active": _is_active(path, prefixes)}
        for key, label, url, prefixes in SECTIONS + ADMIN_SECTIONS
        if key not in hidden
    ]
    return {
        "nav_items": items,
        "nav_languages": settings.LANGUAGES,
        "nav_next": request.get_full_path(),
        "nav_setlang_url": reverse("set_language"),
    }
