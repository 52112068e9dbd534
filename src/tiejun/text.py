"""Checks on the names people type: one rule for every input path (pages, API, imports).

A name ends up in e-mail headers, SMS, robot messages, CSV exports and page titles. A line break
or another control character there breaks the message (an e-mail with a newline in a header is
refused by the mail server, retried and finally lost), so names never hold one.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

# Cc: C0/C1 controls (NUL, tab, line feed, carriage return, escape, DEL …);
# Zl/Zp: the Unicode line and paragraph separators, which mail and chat treat as line breaks.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a line break, tab, NUL or any other control character."""
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value)


def name_problem(value: str) -> str | None:
    """The message to show when ``value`` may not be a name, else None."""
    if has_control_characters(value):
        return _("a name may not contain line breaks, tabs or other control characters")
    return None


def check_name(value: str, *, field: str = "name") -> str:
    """``value`` stripped; ``TiejunError`` (400, on ``field``) if it holds a control character."""
    value = (value or "").strip()
    problem = name_problem(value)
    if problem is not None:
        raise TiejunError(problem, field=field)
    return value
