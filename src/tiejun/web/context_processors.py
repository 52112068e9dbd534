from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


# Sections for administrators only. Shown to superusers, which costs no query; an admin by role
# reaches them by address (the pages themselves check the role).
ADMIN_SECTIONS: list[tuple[str, Any, str, tuple[str, ...]]] = [
    ("audit", _("Audit trail"), "/audit/", ("/audit/",)),
]


def _is_active(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p if p == "/" else path.startswith(p) for p in prefixes)


def _admin_sections(request: HttpRequest) -> list[tuple[str, Any, str, tuple[str, ...]]]:
    user = getattr(request, "user", None)
    return ADMIN_SECTIONS if getattr(user, "is_superuser", False) else []


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The top navigation and the language switch; no database query."""
    path = request.path
    items = [
        {"key": key, "label": label, "url": url, "active": _is_active(path, prefixes)}
        for key, label, url, prefixes in SECTIONS + _admin_sections(request)
    ]
    return {
        "nav_items": items,
        "nav_languages": settings.LANGUAGES,
        "nav_next": request.get_full_path(),
        "nav_setlang_url": reverse("set_language"),
    }
