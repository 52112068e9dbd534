"""Reads of field notes (晚分享): who reads which notes, the branch's page of best notes, search
and tags.

Notes are shared within the branch: everyone whose board scope covers a note's unit reads it
(a rep or supervisor: their branch; a manager: the unit they lead; admin: everything). A leader
over the note's unit stars the best ones, which head the branch's page for everyone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import NotFound
from tiejun.org.models import LEADER_ROLES, Person, Role, UnitKind
from tiejun.org.selectors import membership_on, subtree_ids

from ..models import FieldNote

BEST_LIMIT = 10
SEARCH_LIMIT = 100


def note_tags(note: FieldNote) -> list[str]:
    return [t for t in note.tags.split(",") if t]


@dataclass(frozen=True)
class NoteScope:
    branch_id: int | None  # the root of the units whose notes the viewer reads; None: admin, all
    led: frozenset[int] | None  # the units whose notes the viewer may star; None: admin, all


def note_scope(viewer: Person) -> NoteScope:
    """As ``org.selectors.board_roots``: a leader of a branch or above reads that unit's subtree,
    everyone else their branch; 1–2 queries."""
    membership = membership_on(viewer, timezone.localdate())
    if viewer.is_superuser or (membership is not None and membership.role == Role.ADMIN):
        return NoteScope(None, None)
    if membership is None:
        return NoteScope(0, frozenset())
    unit = membership.unit
    leads = membership.role in LEADER_ROLES | {Role.COORDINATOR}
    if leads and unit.kind != UnitKind.TEAM:
        root = unit.pk
    else:
        root = unit.parent_id if unit.kind == UnitKind.TEAM and unit.parent_id else unit.pk
    led = frozenset(subtree_ids(unit.pk)) if membership.role in LEADER_ROLES else frozenset()
    return NoteScope(root, led)


def _visible(scope: NoteScope) -> QuerySet[FieldNote]:
    qs = FieldNote.objects.select_related("person", "unit", "starred_by")
    if scope.branch_id is None:
        return qs
    return qs.filter(unit_id__in=subtree_ids(scope.branch_id))


def notes_visible_to(viewer: Person) -> QuerySet[FieldNote]:
    return _visible(note_scope(viewer))


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
    scope = note_scope(viewer)
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
