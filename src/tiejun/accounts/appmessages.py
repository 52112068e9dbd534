"""The personal message as an app message: the senders behind notify's app channels and the
resolver behind broadcast's "which apps reach this person", both registered from
``AccountsConfig.ready`` (notify and broadcast sit below this app and never import it).

Each send goes through the platform's client of ``providers`` (the same token, retry and
back-off as sign-in and the directory sync): WeCom ``message/send`` (text, ``agentid``),
DingTalk ``topapi/message/corpconversation/asyncsend_v2`` (a work notice, ``agent_id``), Feishu
``im/v1/messages?receive_id_type=user_id`` (text). The clients are kept per process, so the
access token is fetched once and again when it nears its expiry (the platforms grant 7,200
seconds) or when the platform says it expired.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings

from tiejun.broadcast.personal_apps import app_addresses_register
from tiejun.errors import TiejunError
from tiejun.notify.appmessages import app_sender_register
from tiejun.notify.channels import PermanentError, RetryableError
from tiejun.notify.models import DeliveryChannel
from tiejun.org.models import Person

from .models import ExternalIdentity, Platform
from .providers import Client, DingTalk, Feishu, PlatformError, WeCom, client_for
from .selectors import configured_platforms

CHANNEL_OF = {
    Platform.WECOM: DeliveryChannel.WECOM_APP,
    Platform.DINGTALK: DeliveryChannel.DINGTALK_APP,
    Platform.FEISHU: DeliveryChannel.FEISHU_APP,
}
# A token is used this long, then fetched again (the platforms grant 7,200 seconds).
TOKEN_SECONDS = 7000.0
# The platform will not take the message whatever the retries: an unknown or left user, an app
# (agent) that does not exist or may not reach them.
PERMANENT_CODES = frozenset(
    {
        60111,  # WeCom: userid not found
        81013,  # WeCom: every recipient invalid
        40056,  # WeCom: invalid agentid
        33012,  # DingTalk: invalid userid
        230013,  # Feishu: the user is outside the bot's availability
        230006,  # Feishu: the bot is not enabled
    }
)

_clients: dict[tuple[Any, ...], tuple[Client, float]] = {}
_lock = threading.Lock()
_clock = time.monotonic  # the tests move it


def _agent_ids() -> dict[str, str]:
    return {
        Platform.WECOM: settings.WECOM_AGENT_ID,
        Platform.DINGTALK: settings.DINGTALK_AGENT_ID,
        Platform.FEISHU: "-",  # a Feishu app sends as itself
    }


def app_message_platforms() -> list[str]:
    """The platforms that can send app messages: configured, with the sending app's agent id."""
    agents = _agent_ids()
    return [p for p in configured_platforms() if agents[p]]


def _cache_key(platform: str) -> tuple[Any, ...]:
    # Other credentials or another address (a test's fake, a changed setting): another client.
    return (
        platform,
        settings.WECOM_API_BASE,
        settings.WECOM_CORP_ID,
        settings.WECOM_SECRET,
        settings.DINGTALK_OAPI_BASE,
        settings.DINGTALK_CLIENT_ID,
        settings.DINGTALK_CLIENT_SECRET,
        settings.FEISHU_API_BASE,
        settings.FEISHU_APP_ID,
        settings.FEISHU_APP_SECRET,
    )


def app_client(platform: str) -> Client:
    """The process's client of ``platform``, holding its access token until it nears expiry."""
    key = _cache_key(platform)
    now = _clock()
    with _lock:
        found = _clients.get(key)
        if found is not None and now < found[1]:
            return found[0]
        client = client_for(platform)
        _clients[key] = (client, now + TOKEN_SECONDS)
        return client


def app_clients_forget() -> None:
    """Drop every cached client and token (tests; a changed secret)."""
    with _lock:
        _clients.clear()


def _agent_id(platform: str, setting: str) -> int:
    value = _agent_ids()[platform]
    if not str(value).isdigit():
        raise PermanentError(
            f"{Platform(platform).label}: TIEJUN_{setting} is empty or not a number"
        )
    return int(value)


def _send(platform: str, call: Any) -> str:
    """Run one platform call; its failures as the outbox understands them."""
    try:
        client = app_client(platform)
        return str(call(client))
    except PlatformError as exc:
        if exc.code in PERMANENT_CODES:
            raise PermanentError(str(exc)) from exc
        raise RetryableError(str(exc)) from exc
    except TiejunError as exc:  # not configured
        raise PermanentError(str(exc)) from exc


def send_wecom(user_id: str, text: str, key: str) -> str:
    agent = _agent_id(Platform.WECOM, "WECOM_AGENT_ID")

    def call(any_client: Client) -> str:
        client = cast(WeCom, any_client)
        body = client.raw(
            "POST",
            client.url("message/send"),
            "message/send",
            authed=True,
            json={
                "touser": user_id,
                "msgtype": "text",
                "agentid": agent,
                "text": {"content": text},
                # A resend of the same text within four hours is dropped by WeCom.
                "enable_duplicate_check": 1,
                "duplicate_check_interval": 14400,
            },
        )
        if body.get("invaliduser"):
            raise PlatformError(Platform.WECOM, "message/send", 81013, f"invaliduser {user_id}")
        return str(body.get("msgid") or "")

    return _send(Platform.WECOM, call)


def send_dingtalk(user_id: str, text: str, key: str) -> str:
    agent = _agent_id(Platform.DINGTALK, "DINGTALK_AGENT_ID")
    path = "topapi/message/corpconversation/asyncsend_v2"

    def call(any_client: Client) -> str:
        client = cast(DingTalk, any_client)
        body = client.raw(
            "POST",
            client.oapi(path),
            path,
            authed=True,
            json={
                "agent_id": agent,
                "userid_list": user_id,
                "msg": {"msgtype": "text", "text": {"content": text}},
            },
        )
        return str(body.get("task_id") or "")

    return _send(Platform.DINGTALK, call)


def send_feishu(user_id: str, text: str, key: str) -> str:
    path = "im/v1/messages"

    def call(any_client: Client) -> str:
        client = cast(Feishu, any_client)
        body = client.raw(
            "POST",
            client.url(path),
            path,
            authed=True,
            params={"receive_id_type": "user_id"},
            json={
                "receive_id": user_id,
                "msg_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
                # Feishu drops a resend with the same uuid within an hour.
                "uuid": hashlib.sha256(key.encode()).hexdigest()[:32],
            },
        )
        return str((body.get("data") or {}).get("message_id") or "")

    return _send(Platform.FEISHU, call)


def person_app_addresses(people: Sequence[Person]) -> dict[int, dict[str, str]]:
    """People's user ids on the platforms that can send app messages, by app channel: one query."""
    platforms = app_message_platforms()
    if not platforms:
        return {}
    found: dict[int, dict[str, str]] = {}
    for person_id, platform, external_id in ExternalIdentity.objects.filter(
        person__in=[p.pk for p in people], platform__in=platforms
    ).values_list("person_id", "platform", "external_id"):
        found.setdefault(person_id, {})[str(CHANNEL_OF[Platform(platform)])] = external_id
    return found


def register() -> None:
    """Hand notify the senders and broadcast the resolver (``AccountsConfig.ready``)."""
    app_sender_register(DeliveryChannel.WECOM_APP, send_wecom)
    app_sender_register(DeliveryChannel.DINGTALK_APP, send_dingtalk)
    app_sender_register(DeliveryChannel.FEISHU_APP, send_feishu)
    app_addresses_register(person_app_addresses)
