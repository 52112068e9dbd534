"""Field notes (晚分享): what reps learned — customer type, objection, the answer that worked.

Notes are shared within the branch: everyone whose board scope covers a note's unit reads it
(a rep or supervisor: their branch; a manager: the unit they lead; admin: everything). A leader
over the note's unit stars the best ones, which head the branch's page for everyone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.org.models import LEADER_ROLES, Person, Role, UnitKind
from tiejun.org.selectors import membership_on, subtree_ids

from .models import FieldNote

TAG_SPLIT = re.compile(r"[,，、;；#\s]+")
MAX_TAGS = 10
TAG_MAX_LENGTH = 30
BEST_LIMIT = 10
SEARCH_LIMIT = 100


def parse_tags(text: str) -> list[str]:
    """Tags as typed ("价格, 竞品 #售后"): split on commas, 、, # and spaces, de-duplicated."""
    seen: dict[str, None] = {}
    for tag in TAG_SPLIT.split(text or ""):
        tag = tag.strip().lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def note_tags(note: FieldNote) -> list[str]:
    return [t for t in note.tags.split(",") if t]


def _required(value: str, name: str, label: str, limit: int | None = None) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise TiejunError(_("%(label)s is required.") % {"label": label}, field=name)
    if limit is not None and len(text) > limit:
        raise TiejunError(
            _("This text is too long (at most %(n)d characters).") % {"n": limit}, field=name
        )
    return text


def note_post(
    *,
    person: Person,
    customer_type: str,
    objection: str,
    answer: str,
    tags: str = "",
    day: dt.date | None = None,
) -> FieldNote:
    """A rep shares what they learned; the note belongs to their unit on ``day``."""
    day = day or timezone.localdate()
    customer_type = _required(customer_type, "customer_type", _("Customer type"), 100)
    objection = _required(objection, "objection", _("Objection"), 5000)
    answer = _required(answer, "answer", _("The answer that worked"), 5000)
    tag_list = parse_tags(tags)
    if len(tag_list) > MAX_TAGS:
        raise TiejunError(_("At most %(n)d tags.") % {"n": MAX_TAGS}, field="tags")
    if any(len(t) > TAG_MAX_LENGTH for t in tag_list):
        raise TiejunError(
            _("A tag has at most %(n)d characters.") % {"n": TAG_MAX_LENGTH}, field="tags"
        )
    membership = membership_on(person, day)
    if membership is None:
        raise TiejunError(_("You belong to no unit, so there is no branch to share with."))
    with transaction.atomic():
        return FieldNote.objects.create(
            person=person,
            unit=membership.unit,
            date=day,
            customer_type=customer_type,
            objection=objection,
            answer=answer,
            tags=",".join(tag_list),
        )


def note_star(
    *, viewer: Person, note: FieldNote, starred: bool = True, now: dt.datetime | None = None
) -> FieldNote:
    """A supervisor or manager over the note's unit (or admin) stars it, or takes the star off.

    ``note`` must come from ``access_note`` for ``viewer``.
    """
    led = _scope(viewer).led
    if led is not None and note.unit_id not in led:
        raise Forbidden(_("Only a supervisor of this team can star its notes."))
    with transaction.atomic():
        if starred:
            note.starred_by = viewer
            note.starred_at = now or timezone.now()
        else:
            note.starred_by = None
            note.starred_at = None
        note.save(update_fields=["starred_by", "starred_at"])
    return note


# --- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    branch_id: int | None  # the root of the units whose notes the viewer reads; None: admin, all
    led: frozenset[int] | None  # the units whose notes the viewer may star; None: admin, all


def _scope(viewer: Person) -> _Scope:
    """As ``org.selectors.board_roots``: a leader of a branch or above reads that unit's subtree,
    everyone else their branch; 1–2 queries."""
    membership = membership_on(viewer, timezone.localdate())
    if viewer.is_superuser or (membership is not None and membership.role == Role.ADMIN):
        return _Scope(None, None)
    if membership is None:
        return _Scope(0, frozenset())
    unit = membership.unit
    leads = membership.role in LEADER_ROLES | {Role.COORDINATOR}
    if leads and unit.kind != UnitKind.TEAM:
        root = unit.pk
    else:
        root = unit.parent_id if unit.kind == UnitKind.TEAM and unit.parent_id else unit.pk
    led = frozenset(subtree_ids(unit.pk)) if membership.role in LEADER_ROLES else frozenset()
    return _Scope(root, led)


def _visible(scope: _Scope) -> QuerySet[FieldNote]:
    qs = FieldNote.objects.select_related("person", "unit", "starred_by")
    if scope.branch_id is None:
        return qs
    return qs.filter(unit_id__in=subtree_ids(scope.branch_id))


def notes_visible_to(viewer: Person) -> QuerySet[FieldNote]:
    return _visible(_scope(viewer))


def access_note(viewer: Person, note_id: int | str) -> FieldNote:
    try:
        pk = int(note_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such field note.")) from None
    note = notes_visible_to(viewer).filter(pk=pk).first()
    if note is None:
        raise NotFound(_("No such field note."))
    return note


def _tag_filter(tag: str) -> Q:
    return (
        Q(tags=tag)
        | Q(tags__startswith=f"{tag},")
        | Q(tags__endswith=f",{tag}")
        | Q(tags__contains=f",{tag},")
    )


@dataclass(frozen=True)
class NotesPage:
    best: list[FieldNote]
    notes: list[FieldNote]
    tags: list[tuple[str, int]]
    query: str
    tag: str
    can_star_unit_ids: frozenset[int] | None  # None: every unit (admin)

    def can_star(self, note: FieldNote) -> bool:
        return self.can_star_unit_ids is None or note.unit_id in self.can_star_unit_ids


def notes_page(viewer: Person, *, query: str = "", tag: str = "") -> NotesPage:
    """The branch's best (starred) notes, the notes matching a search, and the tags in use."""
    query = (query or "").strip()
    tag = (tag or "").strip().lower()
    scope = _scope(viewer)
    visible = _visible(scope)
    best = list(visible.filter(starred_at__isnull=False).order_by("-starred_at")[:BEST_LIMIT])
    found = visible
    for word in query.split():
        found = found.filter(
            Q(objection__icontains=word)
            | Q(answer__icontains=word)
            | Q(customer_type__icontains=word)
        )
    if tag:
        found = found.filter(_tag_filter(tag))
    notes = list(found.order_by("-date", "-id")[:SEARCH_LIMIT])
    counts: Counter[str] = Counter()
    for tags in visible.exclude(tags="").values_list("tags", flat=True):
        counts.update(t for t in tags.split(",") if t)
    for note in (*best, *notes):
        note.tag_list = note_tags(note)  # type: ignore[attr-defined]
    return NotesPage(
        best=best,
        notes=notes,
        tags=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        query=query,
        tag=tag,
        can_star_unit_ids=scope.led,
    )
