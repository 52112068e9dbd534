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
    ("targets_mine", _("My targets"), "/targets/mine/", ("/targets/mine/",)),
    ("deals", _("Deals"), "/deals/", ("/deals/",)),
    ("field", _("Field work"), "/field/", ("/field/",)),
    ("customers", _("Customers"), "/customers/", ("/customers/",)),
    ("rhythm", _("Kickoff & review"), "/rhythm/", ("/rhythm/",)),
    ("broadcast", _("Battle report"), "/broadcast/", ("/broadcast/", "/outbox/")),
    ("lab", _("Lab"), "/lab/", ("/lab/",)),
    ("import", _("Import"), "/import/", ("/import/",)),
    ("screens", _("Wall screens"), "/tv/screens/", ("/tv/screens/",)),
    ("incentives", _("Incentives"), "/incentives/", ("/incentives/",)),
    ("orders", _("Transfer orders"), "/orders/", ("/orders/",)),
    ("redlines", _("Red lines"), "/redlines/", ("/redlines/",)),
]


# Sections for administrators only (the audit trail answers 404 to anyone else).
ADMIN_SECTIONS: list[tuple[str, Any, str, tuple[str, ...]]] = [
    ("audit", _("Audit trail"), "/audit/", ("/audit/",)),
]

# How the sections are laid out in the top bar: a section alone, or a group that opens a menu (so
# that the bar never wraps, whatever the language and the width). A group the person can open only
# one section of is drawn as that section's link; a group with none is left out.
MENU: list[tuple[str, Any, tuple[str, ...]]] = [
    ("board", None, ("board",)),
    ("me", None, ("me",)),
    ("targets", _("Targets"), ("targets", "targets_mine")),
    ("sales", _("Sales"), ("deals", "customers", "field")),
    ("rhythm", _("Daily rhythm"), ("rhythm", "broadcast", "screens")),
    ("more", _("More"), ("org", "incentives", "orders", "redlines", "lab", "import", "audit")),
]

# The sections a person may open, worked out once at sign-in (and once a day after) and kept in
# the session, so that drawing the menu costs no query. The rules are the pages' own: the lab is
# for leaders, coordinators and admins (``lab.views.lab_unit``), the import page for whoever may
# import a kind (``imports.registry.kinds_for``), targets, kickoff & review and the battle report
# open the viewer's own unit (``org.selectors.default_unit``), the audit trail is the admins'.
NAV_SESSION_KEY = "tiejun_nav"
NAV_VERSION = 4  # bumped when a section is added: a session's older grants are worked out again
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
        # saved wall screens: admins, managers and supervisors (``scoreboard.screens``)
        "screens": is_admin(person) or (membership is not None and membership.role in LEADER_ROLES),
        # a rep confirms their own target (``targets.signoff``) once they belong to a unit
        "targets_mine": membership is not None,
        # a rep reads their own statement, a leader their subtree's (``incentives.views``)
        "incentives": is_admin(person) or membership is not None,
        # transfer orders and red-line cases are issued and decided by leaders (a rep opens
        # their own order from its message or their page, and their record at /redlines/mine/)
        "orders": is_admin(person) or (membership is not None and membership.role in LEADER_ROLES),
        "redlines": is_admin(person)
        or (membership is not None and membership.role in LEADER_ROLES),
        **dict.fromkeys(NEEDS_UNIT, has_unit),
    }
    return {
        "v": NAV_VERSION,
        "day": today.isoformat(),
        "hidden": sorted(k for k, ok in allowed.items() if not ok),
    }


def remember_nav(sender: object, request: HttpRequest | None, user: Any, **_kwargs: Any) -> None:
    """At sign-in (``user_logged_in``): keep the person's sections in the session."""
    if request is not None and hasattr(request, "session") and isinstance(user, Person):
        request.session[NAV_SESSION_KEY] = nav_grants(user)


def _match(path: str, prefixes: tuple[str, ...]) -> int:
    """How long a prefix of ``path`` the section claims (0: none); "/" claims only itself."""
    return max(
        (len(p) for p in prefixes if (path == p if p == "/" else path.startswith(p))), default=0
    )


def _hidden(request: HttpRequest) -> set[str]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not hasattr(request, "session"):
        return set()
    grants = request.session.get(NAV_SESSION_KEY)
    today = timezone.localdate().isoformat()
    if not grants or grants.get("v") != NAV_VERSION or grants.get("day") != today:
        grants = nav_grants(user)  # a session from before, or from yesterday
        request.session[NAV_SESSION_KEY] = grants
    return set(grants["hidden"])


def _menu(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {item["key"]: item for item in items}
    entries: list[dict[str, Any]] = []
    for key, label, keys in MENU:
        members = [by_key[k] for k in keys if k in by_key]
        if len(members) == 1:
            entries.append({**members[0], "group": False})
        elif members:
            active = any(m["active"] for m in members)
            entries.append(
                {"key": key, "label": label, "group": True, "items": members, "active": active}
            )
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The top navigation (the sections the person may open, some grouped in menus) and the
    language switch; no database query once the session knows the person's sections."""
    path = request.path
    hidden = _hidden(request)
    sections = [s for s in SECTIONS + ADMIN_SECTIONS if s[0] not in hidden]
    matches = [_match(path, prefixes) for _key, _label, _url, prefixes in sections]
    best = max(matches, default=0)
    # the section with the longest matching prefix is the active one (/tv/screens/ is the wall
    # screens', not the board's; /targets/mine/ is "My targets", not the unit's targets)
    items = [
        {"key": key, "label": label, "url": url, "active": bool(best) and match == best}
        for (key, label, url, _prefixes), match in zip(sections, matches, strict=True)
    ]
    return {
        "nav_items": items,
        "nav_menu": _menu(items),
        "nav_languages": settings.LANGUAGES,
        "nav_next": request.get_full_path(),
        "nav_setlang_url": reverse("set_language"),
    }
