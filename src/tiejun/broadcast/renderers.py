"""Render a report's data (its ``to_json()``) into html, text, markdown, sms or json.

Each (report, format) has a template shipped as a file under ``templates/broadcast/reports/``;
an admin may override it with an active ``ReportTemplate`` row (per language or for every
language). A template that does not compile or render falls back to the shipped file, and the
problem is logged: a reader never sees a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from django.template import Context, Engine, Template
from django.utils import translation
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.money import money

from .models import Format, Report, ReportTemplate
from .selectors import encouragement

log = logging.getLogger(__name__)

FORMATS = tuple(Format.values)
SMS_SINGLE = 70  # characters of one SMS with Chinese text (UCS-2)
SMS_PART = 67  # characters of each part of a concatenated SMS
_EXT = {"html": "html", "text": "txt", "markdown": "md", "sms": "txt"}
_COUNTER = re.compile(r"^\((\d+)/(\d+)\)")
# Where a long SMS may be cut: after a line, a sentence or a phrase; else between words.
_BREAKS = re.compile(r"(?<=[\n。！？；，、：.!?;,:])")
_WORDS = re.compile(r"(?<= )")
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")

# --- user data in robot markdown and SMS ------------------------------------------------------
# A customer's or a rep's name is data, never markup. The chat robots parse different dialects —
# WeCom: headings, **, [link](url), <font color>, <@userid> mentions; DingTalk: CommonMark-ish with
# images, links and @mobile mentions; Feishu cards: lark_md with <at id=all></at>, <font>, links —
# and none of them honours a backslash escape reliably. So every character that starts markup in
# any of them becomes its full-width twin (which reads the same to a person), mentions go, a line
# break becomes a space (no new heading or list line), and links lose their scheme.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MENTIONS = (
    re.compile(r"<\s*at\b[^>]*>.*?<\s*/\s*at\s*>", re.IGNORECASE | re.DOTALL),  # Feishu
    re.compile(r"<\s*at\b[^>]*/?>", re.IGNORECASE),
    re.compile(r"<\s*@[^>]*>"),  # WeCom <@userid>, <@all>
    re.compile(r"@(?:all|everyone|here|所有人)\b", re.IGNORECASE),
)
_FULL_WIDTH = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "~": "～",
        "|": "｜",
        "!": "！",
        "\\": "＼",
        "&": "＆",
        "@": "＠",
        "$": "＄",
    }
)
# Something a phone or a chat client would turn into a link: a scheme, or a host name.
_SCHEME = re.compile(r"\b[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_HOST = re.compile(r"\b((?:[a-z0-9\-]+\.)+)([a-z]{2,})\b", re.IGNORECASE)


def defang_links(text: str) -> str:
    """``text`` with nothing a reader's phone or chat client would make a link: the scheme goes
    and the dots of a host name become "·" ("evil.example/x" → "evil·example/x")."""
    text = _SCHEME.sub("", text)
    return _HOST.sub(lambda m: m.group(1).replace(".", "·") + m.group(2), text)


def robot_markdown_escape(text: str) -> str:
    """One value of a report's data, fit for any chat robot's markdown (see above)."""
    text = _CONTROL.sub(" ", text)
    for mention in _MENTIONS:
        text = mention.sub("", text)
    return " ".join(defang_links(text).translate(_FULL_WIDTH).split())


def sms_escape(text: str) -> str:
    """One value of a report's data, fit for an SMS: one line, no link."""
    return defang_links(_CONTROL.sub(" ", text))


def _escaped(value: Any, escape: Any) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v, escape) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v, escape) for v in value]
    return value


_DATA_ESCAPES: dict[str, Any] = {Format.MARKDOWN: robot_markdown_escape, Format.SMS: sms_escape}


def file_template_name(kind: str, fmt: str) -> str:
    return (
        f"broadcast/reports/{kind}.{_EXT[fmt]}"
        if fmt != "sms"
        else f"broadcast/reports/{kind}.sms.txt"
    )


def _check(kind: str, fmt: str) -> None:
    if kind not in Report.values:
        raise TiejunError(
            _("unknown report %(report)s; use one of %(choices)s")
            % {"report": kind, "choices": ", ".join(Report.values)},
            field="report",
        )
    if fmt not in FORMATS:
        raise TiejunError(
            _("unknown format %(format)s; use one of %(choices)s")
            % {"format": fmt, "choices": ", ".join(FORMATS)},
            field="format",
        )


def _db_template(kind: str, fmt: str, language: str) -> ReportTemplate | None:
    rows = ReportTemplate.objects.filter(
        kind=kind, format=fmt, active=True, language__in=[language, ""]
    )
    return min(rows, key=lambda t: t.language == "", default=None)


def compile_body(body: str) -> Template:
    """Compile a template body (raises ``TemplateSyntaxError``); ``i18n`` and the board's
    filters are loaded for it."""
    return Engine.get_default().from_string("{% load i18n tiejun_web broadcast %}" + body)


def _render_with(template: Template, fmt: str, context: dict[str, Any]) -> str:
    return template.render(Context(context, autoescape=fmt == Format.HTML))


def render(kind: str, data: dict[str, Any], fmt: str, *, language: str | None = None) -> str:
    """``data`` (a report's JSON) as ``fmt`` in ``language`` (default: the active one).

    SMS comes back as the short form; ``sms_segments`` cuts it into messages.
    """
    _check(kind, fmt)
    if fmt == Format.JSON:
        return json.dumps(data, ensure_ascii=False, indent=2)
    language = language or translation.get_language() or "zh-hans"
    with translation.override(language):
        if kind == Report.BATTLE and data.get("unit"):
            # The line of encouragement in the reader's language, not the one it was built in.
            reached = (data.get("completion") or 0) >= 1
            line = encouragement(data["unit"]["code"], _date(data.get("date")), reached)
            data = {**data, "encouragement": line}
        if fmt in _DATA_ESCAPES:
            data = _escaped(data, _DATA_ESCAPES[fmt])
        context = {"r": data, "kind": kind, "format": fmt, "language": language}
        text = None
        row = _db_template(kind, fmt, language)
        if row is not None:
            try:
                text = _render_with(compile_body(row.body), fmt, context)
            except Exception:  # an admin's template must never break a send
                log.exception("report template %s is broken; using the shipped one", row)
        if text is None:
            template = Engine.get_default().get_template(file_template_name(kind, fmt))
            text = _render_with(template, fmt, context)
    return _tidy(text, fmt)


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date.min


def subject(kind: str, data: dict[str, Any], *, language: str | None = None) -> str:
    """The e-mail subject line of a report: one line whatever the names in it carry."""
    return " ".join(_subject(kind, data, language=language).split())


def _subject(kind: str, data: dict[str, Any], *, language: str | None = None) -> str:
    unit = (data.get("unit") or {}).get("name", "")
    day = data.get("date") or data.get("day") or ""
    with translation.override(language or translation.get_language() or "zh-hans"):
        if kind == Report.WIN_FLASH:
            return _("Win flash: %(name)s won %(amount)s") % {
                "name": data.get("name", ""),
                "amount": money(data.get("amount")),
            }
        if kind == Report.MILESTONE:
            return _("Milestone: %(name)s reached 100%% of the month target") % {
                "name": data.get("name", "")
            }
        titles = {
            Report.BATTLE: _("Battle report"),
            Report.KICKOFF: _("Morning kickoff"),
            Report.REVIEW: _("Evening review"),
        }
        return f"{titles.get(kind, kind)} · {unit} · {day}"  # type: ignore[call-overload]


def _tidy(text: str, fmt: str) -> str:
    if fmt == Format.HTML:
        return text.strip() + "\n"
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if fmt == Format.SMS:
        return _join_lines(line.strip() for line in lines if line.strip())
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def _join_lines(lines: Any) -> str:
    """One SMS line: Chinese phrases run on; other text is joined with a space."""
    text = ""
    for line in lines:
        if text and not _CJK_END.search(text) and not _CJK_END.search(line[:1]):
            text += " "
        text += line
    return text


def sms_segments(text: str) -> list[str]:
    """The SMS messages for ``text``: one when it fits in 70 characters, else parts of at most
    67 characters each (counter included), cut after a phrase where possible and numbered
    "(1/3)", "(2/3)", …; ``sms_join`` puts them back together."""
    if len(text) <= SMS_SINGLE:
        return [text]
    total = 2
    while True:
        width = len(f"({total}/{total})")
        parts = _pack(text, SMS_PART - width)
        if len(parts) <= total and len(str(len(parts))) == len(str(total)):
            total = len(parts)
            break
        total = len(parts)
    return [f"({i}/{total}){part}" for i, part in enumerate(parts, start=1)]


def _pack(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for phrase in (p for p in _BREAKS.split(text) if p):
        pieces += [w for w in _WORDS.split(phrase) if w] if len(phrase) > limit else [phrase]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > limit:  # a phrase longer than a part: cut it where it must be
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:limit])
            piece = piece[limit:]
        if current and len(current) + len(piece) > limit:
            parts.append(current)
            current = piece
        else:
            current += piece
    if current:
        parts.append(current)
    return parts


def sms_join(segments: list[str]) -> str:
    """The text ``sms_segments`` cut up."""
    if len(segments) == 1 and not _COUNTER.match(segments[0]):
        return segments[0]
    return "".join(_COUNTER.sub("", s, count=1) for s in segments)
