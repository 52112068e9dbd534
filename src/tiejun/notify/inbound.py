"""Replies to our SMS, as providers report them: parse each provider's callback into
(phone, text) pairs and tell whether a reply asks to stop ("TD", "退订", "STOP").

Providers call ``/outbox/sms/inbound/<provider>/<token>/`` (``notify.views.sms_inbound``):

- ``aliyun``: the SMS-up push (``SmsUp``), a JSON array of ``{"phone_number", "content", …}``;
  answered ``{"code": 0, "msg": "成功"}``.
- ``tencent``: the reply callback, ``{"mobile", "nationcode", "text", …}`` (or a list of them);
  answered ``{"result": 0, "errmsg": "OK"}``.
- ``twilio``: the incoming-message webhook, a form with ``From`` and ``Body``; answered with an
  empty TwiML ``<Response/>``. Twilio signs each call (``X-Twilio-Signature``, see
  ``twilio_signature``): the view refuses one whose signature does not match.
- ``generic``: ``{"from": …, "text": …}`` or a list of them, for a gateway of one's own.

No Django here: the view hands the body in and gets plain data back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

PROVIDERS = ("aliyun", "tencent", "twilio", "generic")

# What a reply that means "stop sending me this" says: the carriers' "TD"/"T"/"退订" convention
# in China, and the STOP words of Twilio and the US carriers.
STOP_WORDS = frozenset(
    {
        "TD",
        "T",
        "N",
        "退订",
        "退定",
        "退",
        "取消订阅",
        "STOP",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
    }
)
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def twilio_signature(url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    """Twilio's request signature: HMAC-SHA1 with the account's Auth Token over the full URL it
    called followed by each POST parameter's name and value, sorted by name (values of one name
    in their order), base64-encoded."""
    data = url + "".join(name + value for name, value in sorted(params, key=lambda p: p[0]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signed(
    urls: list[str], params: list[tuple[str, str]], auth_token: str, signature: str
) -> bool:
    """Whether ``signature`` is Twilio's for any of ``urls`` (the public address and the one the
    request arrived at, which differ behind a proxy). Constant-time comparison."""
    if not auth_token or not signature:
        return False
    return any(
        hmac.compare_digest(twilio_signature(url, params, auth_token).encode(), signature.encode())
        for url in urls
    )


class InboundError(ValueError):
    """The callback's body is not what the provider sends."""


@dataclass(frozen=True)
class Reply:
    phone: str
    text: str

    @property
    def is_stop(self) -> bool:
        return is_stop(self.text)


def is_stop(text: str) -> bool:
    """Whether a reply asks to unsubscribe: the whole reply, ignoring case, width, spaces and
    punctuation, is a stop word ("td", "ＴＤ", "退订。", " Stop! ")."""
    word = _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    return word in STOP_WORDS


def _items(body: Any) -> list[dict[str, Any]]:
    items = body if isinstance(body, list) else [body]
    if not all(isinstance(item, dict) for item in items):
        raise InboundError("expected a JSON object or a list of objects")
    return items


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig") or "null")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InboundError(f"not JSON: {exc}") from None


def _phone(value: Any, country: Any = "") -> str:
    phone = re.sub(r"[\s\-()]", "", str(value or ""))
    country = str(country or "").strip().lstrip("+")
    if phone and country and not phone.startswith("+") and country != "86":
        phone = f"+{country}{phone}"
    return phone


def parse(provider: str, raw: bytes, content_type: str = "") -> list[Reply]:
    """The replies in a provider's callback body; ``InboundError`` if it is not one."""
    if provider == "twilio":
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        if "From" not in form:
            raise InboundError("a Twilio message names its sender in From")
        return [Reply(_phone(form["From"]), form.get("Body", ""))]
    body = _json(raw)
    replies = []
    for item in _items(body):
        if provider == "aliyun":
            phone, text = item.get("phone_number"), item.get("content")
        elif provider == "tencent":
            phone, text = _phone(item.get("mobile"), item.get("nationcode")), item.get("text")
        elif provider == "generic":
            phone, text = item.get("from") or item.get("phone"), item.get("text")
        else:
            raise InboundError(f"unknown provider {provider!r}")
        if not phone or text is None:
            raise InboundError("each reply needs a phone number and a text")
        replies.append(Reply(_phone(phone), str(text)))
    return replies


def answer(provider: str) -> tuple[str, str]:
    """What the provider expects back when the callback was taken: (body, content type)."""
    if provider == "twilio":
        return '<?xml version="1.0" encoding="UTF-8"?><Response/>', "text/xml"
    if provider == "tencent":
        return json.dumps({"result": 0, "errmsg": "OK"}), "application/json"
    if provider == "aliyun":
        return json.dumps({"code": 0, "msg": "成功"}, ensure_ascii=False), "application/json"
    return json.dumps({"ok": True}), "application/json"
