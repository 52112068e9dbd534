"""Reading the trail: for administrators only; anyone else is told it does not exist."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from tiejun.access import is_admin
from tiejun.dateinput import check_day
from tiejun.errors import NotFound
from tiejun.metrics import METRICS
from tiejun.money import money

from .kinds import ACTIONS, FIELD_LABELS, OBJECT_TYPES, SOURCES
from .models import AuditEntry

if TYPE_CHECKING:
    from tiejun.org.models import Person


@dataclass(frozen=True)
class AuditFilters:
    object_type: str = ""
    object: str = ""  # an id or code, or part of one (or of the object's name)
    person: str = ""  # the actor's employee number (exact) or part of their name
    action: str = ""
    source: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> AuditFilters:
        """From a page's or the API's query string; what is not understood is ignored."""

        def text(key: str, limit: int = 64) -> str:
            return str(query.get(key) or "").strip()[:limit]

        def day(key: str) -> dt.date | None:
            try:
                parsed = parse_date(text(key, 10))
            except ValueError:
                return None
            # A day the database cannot compare with (year 1, year 9999) is a clear refusal.
            return check_day(parsed, field=key) if parsed else None

        return cls(
            object_type=text("type", 48),
            object=text("object"),
            person=text("person"),
            action=text("action", 32),
            source=text("source", 16),
            since=day("since"),
            until=day("until"),
        )

    def is_empty(self) -> bool:
        return self == AuditFilters()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries(viewer: Person, filters: AuditFilters = AuditFilters()) -> QuerySet[AuditEntry]:
    """The entries ``filters`` match, newest first, each with its actor: admin only.

    Raises ``NotFound`` for anyone else (the page then answers 404, never 403).
    """
    if not is_admin(viewer):
        raise NotFound(_("No such page."))
    return entries_matching(filters)


def entries_matching(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """``audit_entries`` without the viewer: for the server's own command line."""
    qs = AuditEntry.objects.select_related("actor")
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object:
        qs = qs.filter(
            Q(object_id__icontains=filters.object) | Q(object_repr__icontains=filters.object)
        )
    if filters.person:
        qs = qs.filter(Q(actor_label=filters.person) | Q(actor__name__icontains=filters.person))
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.since:
        qs = qs.filter(at__gte=_day_start(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The filter menus: the known object types, actions and sources (no query)."""
    return {
        "types": [(k, str(v)) for k, v in OBJECT_TYPES.items()],
        "actions": [(k, str(v)) for k, v in ACTIONS.items()],
        "sources": [(k, str(v)) for k, v in SOURCES.items()],
    }


@dataclass(frozen=True)
class ObjectLabel:
    """How the page names an entry's object: a name, the code people know it by, and what
    else tells it apart (a target's month and metric) — never an internal key."""

    name: str
    code: str = ""
    detail: str = ""


def object_label(entry: AuditEntry) -> ObjectLabel:
    """The object of ``entry`` by name; a target's key ``2026-12:revenue:person:R1`` becomes
    the person's name, ``R1`` and "2026-12 · Revenue"."""
    if entry.object_type == "target":
        parts = entry.object_id.split(":")
        if len(parts) == 4:
            month, metric, _scope, code = parts
            suffix = f" {month} {metric}"
            name = entry.object_repr
            name = name[: -len(suffix)] if name.endswith(suffix) else name
            known = METRICS.get(metric)
            label = str(known.label) if known is not None else metric
            return ObjectLabel(name or code, code, f"{month} · {label}")
    if entry.object_repr and entry.object_repr != entry.object_id:
        code = "" if entry.object_id.isdigit() or entry.object_id == "bulk" else entry.object_id
        return ObjectLabel(entry.object_repr, code)
    return ObjectLabel(entry.object_id)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    long: bool  # a text too long for one line: shown as a diff
    diff: list[str]


def _display(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _money_fields(entry: AuditEntry) -> set[str]:
    """The fields of ``entry`` that hold money: a deal's amount, a money target's value."""
    fields = {"amount", "min_amount"}
    if entry.object_type == "target":
        metric = METRICS.get([*entry.object_id.split(":"), "", ""][1])
        if metric is not None and metric.money:
            fields |= {"value", "total"}
    return fields


def _shown(value: Any, as_money: bool) -> str:
    if as_money and isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return money(value)
        except ArithmeticError:  # not a number after all: shown as stored
            return _display(value)
    return _display(value)


def field_changes(entry: AuditEntry) -> list[FieldChange]:
    """The entry's fields, before → after, in a form a page can show line by line."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    money_fields = _money_fields(entry)
    out = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        as_money = name in money_fields
        old_text = _shown(old, as_money) if entry.before is not None else ""
        new_text = _shown(new, as_money) if entry.after is not None else ""
        long = any(len(t) > 80 or "\n" in t for t in (old_text, new_text))
        diff = []
        if long and old_text and new_text:
            diff = list(
                difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=1)
            )[2:]
        label = str(FIELD_LABELS.get(name, name.replace("_", " ")))
        out.append(FieldChange(label, old_text, new_text, long, diff))
    return out
