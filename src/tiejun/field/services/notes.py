"""Writes of field notes (晚分享): a rep shares what they learned — customer type, objection, the
answer that worked; a leader over the note's unit stars the best ones."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import Person
from tiejun.org.selectors import membership_on

from ..models import FieldNote
from ..selectors.notes import note_scope

TAG_SPLIT = re.compile(r"[,，、;；#\s]+")
MAX_TAGS = 10
TAG_MAX_LENGTH = 30


def parse_tags(text: str) -> list[str]:
    """Tags as typed ("价格, 竞品 #售后"): split on commas, 、, # and spaces, de-duplicated."""
    seen: dict[str, None] = {}
    for tag in TAG_SPLIT.split(text or ""):
        tag = tag.strip().lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


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
    led = note_scope(viewer).led
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
