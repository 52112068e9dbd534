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
from tiejun.money import DASH, money

from .models import Format, Report, ReportTemplate
from .selectors import encouragement

log = logging.getLogger(__name__)

FORMATS = tuple(Format.values)
SMS_SINGLE = 70  # characters of one SMS with Chinese text (UCS-2)
SMS_PART = 67  # characters of each part of a concatenated SMS
SMS_NAME_MAX = 20  # a longer name is shortened in an SMS ("…"), so one field fits in one part
SMS_REPS_MAX = 20  # an SMS lists every rep's gap up to this many reps, else the closest five
# A chat robot's message lists this many reps (the closest five and the next by gap), then "and N
# more": WeCom takes 4,096 bytes of markdown; e-mail, text and JSON list every rep.
MD_REPS_MAX = 40
_EXT = {"html": "html", "text": "txt", "markdown": "md", "sms": "txt"}
_COUNTER = re.compile(r"^\((\d+)/(\d+)\)")
# Where a long SMS may be cut: only between fields, that is after a line, after full-width
# punctuation (Chinese text), or after ASCII punctuation followed by a space (English text) —
# never after a bare "," or "." (those are inside "¥1,401,200" and "73.5%"). A name in an SMS
# holds none of these (``sms_name``), so no cut falls inside a name either.
_BREAKS = re.compile(r"(?<=[\n。！？；，、：】])|(?<=[.!?;,:] )")
# Inside a field longer than a part: between words (a name's spaces are no-break spaces).
_WORDS = re.compile(r"(?<= )")
_NUMBER_CHAR = re.compile(r"[0-9A-Za-z,.%¥$€£]")
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
# In an SMS a name must not look like a field boundary: its full-width punctuation becomes the
# half-width form (which reads the same) and its spaces no-break spaces.
_SMS_NAME = str.maketrans(
    {
        "，": ",",
        "。": "｡",
        "、": "､",
        "；": ";",
        "：": ":",
        "！": "!",
        "？": "?",
        "】": "]",
        "【": "[",
        " ": "\u00a0",
        "\n": "\u00a0",
    }
)
# The keys of a report's data that hold a name (of a unit, a rep or a customer).
_SMS_NAME_KEYS = frozenset({"name", "customer_name"})
# Field punctuation of the short form: a comma between fields; "stop" ends a sentence whose last
# field is a number — never "." right after a number, which would read as a decimal point —, "end"
# one that ends otherwise (after "%" or ")").
SMS_PUNCTUATION = {
    "zh": {"sep": "，", "stop": "。", "end": "。", "colon": "：", "open": "（", "close": "）"},
    "en": {"sep": ",", "stop": ";", "end": ".", "colon": ":", "open": " (", "close": ")"},
}

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


def sms_name(text: str) -> str:
    """A name as an SMS shows it: one unbreakable field (see ``_SMS_NAME``), shortened with "…"
    beyond ``SMS_NAME_MAX`` characters so that the field it stands in fits in one part."""
    text = " ".join(str(text).split()).translate(_SMS_NAME)
    if len(text) > SMS_NAME_MAX:
        text = text[: SMS_NAME_MAX - 1].rstrip("\u00a0") + "…"
    return text


def _sms_names(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return sms_name(value) if key in _SMS_NAME_KEYS else value
    if isinstance(value, dict):
        return {k: _sms_names(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sms_names(v) for v in value]
    return value


def _percent(value: Any) -> str:
    return DASH if value is None or value == "" else f"{float(value) * 100:.1f}%"


def gap_rows(reps: list[dict[str, Any]], *, places: int) -> list[dict[str, Any]]:
    """A battle report's ``reps`` with their figures formatted once, in the active language
    (a branch lists a hundred reps: formatting in Python, not with a template filter per cell)."""
    to_go, at_target, no_target = _("%(left)s to go"), _("at target"), _("no target")
    done_text = _("%(done)s done")
    rows = []
    for q in reps:
        name, done, target = q.get("name", ""), money(q.get("achieved"), places), None
        completion = _percent(q.get("completion"))
        if q.get("reached"):
            gap = at_target
        elif q.get("target"):
            gap = to_go % {"left": money(q.get("remaining"), places)}
        else:
            gap = no_target
        # The plain-text line of the rep ("★" marks the closest five).
        if q.get("closest"):
            target = money(q.get("target"), places)
            line = f"★ {name} {done} / {target} ({completion}), {gap}"
        elif q.get("target"):
            line = f"  {name} {completion}, {gap}"
        else:
            line = f"  {name} {gap}, {done_text % {'done': done}}"
        rows.append(
            {
                "employee_no": q.get("employee_no", ""),
                "name": name,
                "closest": q.get("closest", False),
                "reached": q.get("reached", False),
                "has_target": bool(q.get("target")),
                "done": done,
                "target": target if target is not None else money(q.get("target"), places),
                "completion": completion,
                "gap": gap,
                "line": line,
            }
        )
    return rows


def sms_rep_groups(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """A battle report's reps (its ``reps``, by gap) in the groups its short form lists: the
    closest five, the others below their target, those at target, those without one. Up to
    ``SMS_REPS_MAX`` reps every one is named; beyond, the closest five and counts of the rest
    (a branch's hundred reps would be twenty messages)."""
    closest = [q for q in reps if q.get("closest")]
    others = [q for q in reps if q.get("target") and not q.get("reached") and not q["closest"]]
    reached = [q for q in reps if q.get("reached")]
    no_target = [q for q in reps if not q.get("target")]
    every = len(reps) <= SMS_REPS_MAX
    return {
        "closest": closest,
        "others": others if every else [],
        "others_more": 0 if every else len(others),
        "reached": reached if every else [],
        "reached_more": 0 if every else len(reached),
        "no_target": no_target if every else [],
        "no_target_more": 0 if every else len(no_target),
    }


def sms_punctuation(language: str) -> dict[str, str]:
    """The field punctuation of the short form in ``language`` (full-width in Chinese)."""
    return SMS_PUNCTUATION["zh" if language.lower().startswith("zh") else "en"]


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
        context: dict[str, Any] = {"r": data, "kind": kind, "format": fmt, "language": language}
        if fmt == Format.MARKDOWN:
            context.update(md_reps_max=MD_REPS_MAX, md_reps_less=-MD_REPS_MAX)
        if kind == Report.BATTLE and fmt in (Format.HTML, Format.TEXT, Format.MARKDOWN):
            reps = data.get("reps") or []
            if fmt == Format.MARKDOWN:
                reps = reps[:MD_REPS_MAX]
            context["gaps"] = gap_rows(reps, places=0 if fmt == Format.HTML else 2)
        if fmt == Format.SMS:
            data = _sms_names(data)
            context.update(r=data, sms=sms_punctuation(language))
            if kind == Report.BATTLE:
                context["sms_reps"] = sms_rep_groups(data.get("reps") or [])
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
        if kind == Report.MILESTONE and data.get("scope") == "year":
            return _("Milestone: %(name)s reached %(threshold)s this year") % {
                "name": data.get("name", ""),
                "threshold": money(data.get("threshold"), 0),
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
    """One SMS line: after Chinese text (or its full-width punctuation) the next line runs on;
    after other text it follows a space — so "today." never runs into a Chinese name, and a field
    ending in ASCII punctuation is a place to cut (``_BREAKS``)."""
    text = ""
    for line in lines:
        if text and not _CJK_END.search(text):
            text += " "
        text += line
    return text


def sms_segments(text: str) -> list[str]:
    """The SMS messages for ``text``: one when it fits in 70 characters, else parts of at most
    67 characters each (counter included), numbered "(1/3)", "(2/3)", …, cut only between
    fields (see ``_BREAKS``) — never inside a number or a name —, between words only inside a
    field longer than a part, and mid-word only where a "word" is longer than a part (never
    inside a report's own fields). ``sms_join`` puts them back together."""
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


def _pieces(text: str, limit: int) -> list[str]:
    """``text`` cut into the smallest pieces a part may end after, each at most ``limit``."""
    pieces: list[str] = []
    for field in (f for f in _BREAKS.split(text) if f):
        if len(field) <= limit:
            pieces.append(field)
            continue
        for word in (w for w in _WORDS.split(field) if w):
            while len(word) > limit:
                cut = _hard_cut(word, limit)
                pieces.append(word[:cut])
                word = word[cut:]
            pieces.append(word)
    return pieces


def _hard_cut(word: str, limit: int) -> int:
    """Where to cut a word longer than a part: the last place within ``limit`` that is not
    inside a run of number characters, else at ``limit``."""
    for cut in range(limit, limit // 2, -1):
        if not (_NUMBER_CHAR.match(word[cut - 1]) and _NUMBER_CHAR.match(word[cut])):
            return cut
    return limit


def _pack(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
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
