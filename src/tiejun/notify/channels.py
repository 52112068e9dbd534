"""Channels: how a message leaves the building. One ``Channel`` interface, one adapter per way out.

``send(message) -> provider id`` delivers one outbox row or raises ``RetryableError`` (try again
later: timeouts, 5xx, throttling, SMTP 4xx) or ``PermanentError`` (the message can never go as
it is: 4xx, bad credentials, a refused recipient).

Addresses. E-mail: an address. SMS: a phone number, E.164 (``+8613800138000``) or a mainland
11-digit number (``13800138000``). App messages (WeCom, DingTalk, Feishu): the person's user id on
that platform (``notify.appmessages``). Robots and webhooks: the URL the provider gave you; a secret it
needs for signing rides in the URL's fragment, which is never sent over the wire::

    https://oapi.dingtalk.com/robot/send?access_token=…#secret=SEC…
    https://open.feishu.cn/open-apis/bot/v2/hook/…#secret=…&format=card
    https://example.com/hooks/tiejun#secret=…

(Feishu ``format=card`` sends an interactive card; the default is a rich-text post. A webhook
without ``#secret=`` is signed with ``TIEJUN_WEBHOOK_SECRET``.)
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError
from tiejun.urlmask import mask_url

from .models import APPS, ROBOTS, DeliveryChannel, Message
from .outbound import OutboundRefused, OutboundUnresolved, check_target

# httpx is imported by the functions that post (``_timeout``, ``_post``, ``_post_outbound``), not
# here: every process loads this module with the outbox, most never post to a robot, an SMS
# gateway or a platform, and httpx costs about 40 ms of each start (docs/architecture.md).
if TYPE_CHECKING:
    import httpx

CHANNELS = tuple(DeliveryChannel.values)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAINLAND = re.compile(r"^1[3-9]\d{9}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
WECOM_MAX_BYTES = 4096
# A platform user id (WeCom userid, DingTalk userid, Feishu user_id): letters, digits, _-.@
APP_USER_ID = re.compile(r"^[\w.@\-]{1,128}$")


class DeliveryError(Exception):
    retryable: ClassVar[bool] = False


class RetryableError(DeliveryError):
    """Try again later: the provider is down, slow or throttling."""

    retryable = True


class PermanentError(DeliveryError):
    """Retrying will not help: the request itself is wrong."""


# --- addresses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RobotAddress:
    url: str  # without the fragment
    secret: str
    options: dict[str, str]


def split_robot_address(address: str) -> RobotAddress:
    """``https://host/path?q#secret=…&format=card`` → the URL to call, the secret, options."""
    parts = urlsplit(address)
    # Not parse_qsl: a "+" in a secret is a plus, not a space. Values may be percent-encoded.
    options = {}
    for item in parts.fragment.split("&"):
        name, _sep, value = item.partition("=")
        if name:
            options[unquote(name)] = unquote(value)
    secret = options.pop("secret", "")
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    return RobotAddress(url=url, secret=secret, options=options)


def normalise_phone(address: str) -> str:
    return re.sub(r"[\s\-()]", "", address)


def validate_address(channel: str, address: str) -> str:
    """Check ``address`` for ``channel``; return it normalised or raise ``TiejunError``."""
    if channel not in CHANNELS:
        raise TiejunError(
            _("Unknown channel “%(channel)s”: use one of %(choices)s.")
            % {"channel": channel, "choices": ", ".join(CHANNELS)},
            field="channel",
        )
    address = (address or "").strip()
    if not address:
        raise TiejunError(_("The address is empty."), field="address")
    if CONTROL.search(address):
        raise TiejunError(
            _("The address contains a line break or another control character."),
            field="address",
        )
    if channel == DeliveryChannel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise TiejunError(
                _("“%(address)s” is not a valid e-mail address.") % {"address": address},
                field="address",
            ) from None
        return address
    if channel == DeliveryChannel.SMS:
        phone = normalise_phone(address)
        if not (E164.match(phone) or MAINLAND.match(phone)):
            raise TiejunError(
                _(
                    "“%(address)s” is not a phone number: use E.164 (+8613800138000) or a "
                    "mainland 11-digit number (13800138000)."
                )
                % {"address": address},
                field="address",
            )
        return phone
    if channel in APPS:
        if not APP_USER_ID.match(address):
            raise TiejunError(
                _("“%(address)s” is not a platform user id.") % {"address": address},
                field="address",
            )
        return address
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TiejunError(
            _("“%(address)s” is not an http(s) URL.") % {"address": address}, field="address"
        )
    if settings.PRODUCTION and parts.scheme != "https":
        raise TiejunError(
            _("Robot and webhook URLs must use https in production: “%(address)s”.")
            % {"address": address},
            field="address",
        )
    robot = split_robot_address(address)
    fmt = robot.options.get("format", "")
    if channel == DeliveryChannel.FEISHU and fmt not in ("", "post", "card"):
        raise TiejunError(
            _("Unknown Feishu format “%(format)s”: use post or card.") % {"format": fmt},
            field="address",
        )
    try:
        check_target(robot.url, allow_hosts=settings.OUTBOUND_ALLOW_HOSTS)
    except OutboundRefused as exc:
        raise TiejunError(refusal_text(exc, mask_url(robot.url)), field="address") from None
    except OutboundUnresolved:
        pass  # not now, perhaps later: delivery checks again, and retries
    return address


def refusal_text(exc: OutboundRefused, shown: str) -> str:
    """Why a robot or webhook URL is refused, fit to show its owner."""
    if exc.reason == "private":
        return _(
            "“%(address)s” points at %(ip)s, a loopback, link-local or private address; robots "
            "and webhooks may only post to public addresses (an administrator can allow a host "
            "with TIEJUN_OUTBOUND_ALLOW_HOSTS)."
        ) % {"address": shown, "ip": exc.address}
    return _("“%(address)s” is not an http(s) URL.") % {"address": shown}


# --- rate limits --------------------------------------------------------------------------


def rate_key(channel: str, address: str) -> str:
    """What a rate limit counts: a robot or webhook per URL, SMS and e-mail per channel."""
    if channel in (*ROBOTS, DeliveryChannel.WEBHOOK):
        return f"{channel}:{split_robot_address(address).url}"
    return channel


# --- the interface ------------------------------------------------------------------------


class Channel:
    """Send one message; return the provider's id for it."""

    name: ClassVar[str] = ""

    def send(self, message: Message) -> str:
        raise NotImplementedError


def _timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(settings.NOTIFY_HTTP_TIMEOUT)


def _post(url: str, **kwargs: Any) -> httpx.Response:
    """POST with the house rules: network trouble, 429 and 5xx are retryable, other 4xx are not."""
    import httpx

    try:
        response = httpx.post(url, timeout=_timeout(), **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"timeout: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"network: {exc!r}") from exc
    return _judge(response)


def _judge(response: httpx.Response) -> httpx.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(f"HTTP {response.status_code}: {response.text[:500]}")
    if response.status_code >= 400:
        raise PermanentError(f"HTTP {response.status_code}: {response.text[:500]}")
    return response


def _post_outbound(url: str, **kwargs: Any) -> httpx.Response:
    """``_post`` to a robot or webhook URL that passed the outbound check, connecting to the very
    address that was checked (a name re-pointed at 127.0.0.1 meanwhile gains nothing)."""
    try:
        target = check_target(url, allow_hosts=settings.OUTBOUND_ALLOW_HOSTS)
    except OutboundRefused as exc:
        raise PermanentError(str(exc)) from exc
    except OutboundUnresolved as exc:
        raise RetryableError(str(exc)) from exc
    if target.allowed:
        return _post(url, **kwargs)
    import httpx

    pinned = httpx.URL(url).copy_with(host=target.addresses[0])
    headers = {**(kwargs.pop("headers", None) or {}), "Host": httpx.URL(url).netloc.decode()}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with httpx.Client(timeout=_timeout()) as client:
            response = client.post(pinned, headers=headers, extensions=extensions, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableError(f"timeout: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"network: {exc!r}") from exc
    return _judge(response)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise RetryableError(f"not JSON: {response.text[:200]}") from exc
    if not isinstance(body, dict):
        raise PermanentError(f"unexpected body: {response.text[:200]}")
    return body


def header_safe(text: str, limit: int = 500) -> str:
    """``text`` as one header line (a subject, a robot's title): line breaks and other control
    characters, whatever the data carried, become single spaces."""
    return re.sub(r"\s+", " ", CONTROL.sub(" ", text or "")).strip()[:limit]


def title_of(message: Message) -> str:
    return header_safe(message.subject) or _("Tiejun")


def markdown_of(message: Message) -> str:
    return message.markdown or message.text or message.subject


# --- e-mail -------------------------------------------------------------------------------


def message_id_for(key: str) -> str:
    """The RFC 5322 Message-ID derived from the idempotency key: a resend after a crash carries
    the same id, so mail systems and clients that de-duplicate by it show one message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "tiejun.localhost"
    return f"<{digest}.tiejun@{domain}>"


# A worker thread keeps its connection to the mail server between messages: a burst (the
# evening's battle reports, every rep's personal message) pays the TCP and TLS handshakes, EHLO
# and the login once per thread, not once per message. A connection idle longer than
# SMTP_IDLE_SECONDS is closed and a new one opened, well inside the usual server time-outs (RFC
# 5321 asks servers to wait 5 minutes); one idle more than SMTP_CHECK_SECONDS is asked NOOP first,
# so a connection the server dropped is replaced before a message is sent on it.
SMTP_IDLE_SECONDS = 30.0
SMTP_CHECK_SECONDS = 1.0
_held_mail = threading.local()


@dataclass
class _HeldMail:
    settings_key: tuple[Any, ...]
    connection: BaseEmailBackend
    used: float


def _mail_settings_key() -> tuple[Any, ...]:
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
    )


def _answers(connection: BaseEmailBackend) -> bool:
    """Whether a kept SMTP connection still answers (backends without one always do)."""
    smtp = getattr(connection, "connection", None)
    if smtp is None:
        return True
    try:
        return bool(smtp.noop()[0] == 250)
    except (smtplib.SMTPException, OSError):
        return False


def mail_connection() -> BaseEmailBackend:
    """This thread's open connection to the mail server. Opens one when there is none, when the
    e-mail settings changed, when it sat idle too long or no longer answers."""
    key = _mail_settings_key()
    now = time.monotonic()
    held: _HeldMail | None = getattr(_held_mail, "held", None)
    if (
        held is not None
        and held.settings_key == key
        and now - held.used < SMTP_IDLE_SECONDS
        and (now - held.used < SMTP_CHECK_SECONDS or _answers(held.connection))
    ):
        held.used = now
        return held.connection
    mail_connection_drop()
    connection = get_connection(fail_silently=False)
    connection.open()  # opened here, so sending leaves it open for the next message
    _held_mail.held = _HeldMail(key, connection, now)
    return connection


def mail_connection_drop() -> None:
    """Close this thread's connection (after any failure: its state is unknown)."""
    held: _HeldMail | None = getattr(_held_mail, "held", None)
    _held_mail.held = None
    if held is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # a broken one may not QUIT
            held.connection.close()


class EmailChannel(Channel):
    name = DeliveryChannel.EMAIL

    def send(self, message: Message) -> str:
        msgid = message_id_for(message.key)
        extra = {header_safe(k, 100): header_safe(str(v), 2000) for k, v in message.headers.items()}
        mail = EmailMultiAlternatives(
            subject=header_safe(message.subject),
            body=message.text or message.markdown,
            to=[message.address],
            headers={**extra, "Message-ID": msgid},
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            self._send(mail)
        except (BadHeaderError, ValueError, UnicodeError) as exc:
            # The message itself cannot be written (a header or an address it cannot carry):
            # no retry will change that.
            raise PermanentError(f"cannot build the e-mail: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            error = f"recipient refused: {exc.recipients!r}"
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(error) from exc
            raise RetryableError(error) from exc
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (554,):
                raise PermanentError(error) from exc
            raise RetryableError(error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP: {exc!r}") from exc
        return msgid

    @staticmethod
    def _send(mail: EmailMultiAlternatives) -> None:
        """Send on this thread's kept connection; after any failure the connection is closed."""
        try:
            mail.connection = mail_connection()
            mail.send()
        except BaseException:
            mail_connection_drop()
            raise


# --- SMS ----------------------------------------------------------------------------------


def _sms_setting(name: str) -> str:
    value = getattr(settings, name)  # one of the SMS_* settings, empty when not configured
    if not value:
        raise PermanentError(f"SMS is not configured: TIEJUN_{name} is empty")
    return value


def _aliyun_encode(value: str) -> str:
    # Aliyun's percent-encoding: RFC 3986 unreserved kept, space %20, * %2A, ~ kept.
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Aliyun RPC-style signature (SignatureVersion 1.0, HMAC-SHA1) as Aliyun documents it."""
    canonical = "&".join(
        f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(params.items())
    )
    string_to_sign = f"{method}&{_aliyun_encode('/')}&{_aliyun_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def mainland_number(phone: str) -> str:
    return phone[3:] if phone.startswith("+86") else phone


def e164_number(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


def _sms_params(message: Message) -> Any:
    return (message.payload or {}).get("template_params") if message.payload else None


class AliyunSms(Channel):
    """Dysmsapi ``SendSms`` (version 2017-05-25) over the signed RPC API."""

    name = DeliveryChannel.SMS
    default_endpoint = "https://dysmsapi.aliyuncs.com/"
    retryable_codes = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable")

    def send(self, message: Message) -> str:
        secret = _sms_setting("SMS_SECRET")
        template_params = _sms_params(message) or {settings.SMS_TEMPLATE_PARAM: message.text}
        params = {
            "AccessKeyId": _sms_setting("SMS_ACCESS_KEY"),
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": settings.SMS_REGION or "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": mainland_number(message.address),
            "SignName": _sms_setting("SMS_SIGN_NAME"),
            "TemplateCode": _sms_setting("SMS_TEMPLATE_ID"),
            "TemplateParam": json.dumps(template_params, ensure_ascii=False),
            "OutId": hashlib.sha256(message.key.encode()).hexdigest()[:32],
        }
        params["Signature"] = aliyun_signature(params, secret)
        response = _post(settings.SMS_ENDPOINT or self.default_endpoint, data=params)
        body = _json(response)
        code = str(body.get("Code", ""))
        if code != "OK":
            error = f"Aliyun {code}: {body.get('Message', '')}"
            if code.startswith(self.retryable_codes):
                raise RetryableError(error)
            raise PermanentError(error)
        return str(body.get("BizId") or body.get("RequestId") or "")


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    host: str,
    payload: bytes,
    timestamp: int,
    service: str = "sms",
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """Tencent Cloud API 3.0 ``TC3-HMAC-SHA256`` Authorization header, as documented."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms(Channel):
    """Tencent Cloud SMS ``SendSms`` (API 2021-01-11), signed with TC3-HMAC-SHA256."""

    name = DeliveryChannel.SMS
    default_endpoint = "https://sms.tencentcloudapi.com/"
    retryable_codes = ("InternalError", "RequestLimitExceeded", "LimitExceeded")

    def send(self, message: Message) -> str:
        endpoint = settings.SMS_ENDPOINT or self.default_endpoint
        params = _sms_params(message)
        body = {
            "PhoneNumberSet": [e164_number(message.address)],
            "SmsSdkAppId": _sms_setting("SMS_APP_ID"),
            "SignName": _sms_setting("SMS_SIGN_NAME"),
            "TemplateId": _sms_setting("SMS_TEMPLATE_ID"),
            "TemplateParamSet": [str(p) for p in params] if params else [message.text],
            "SessionContext": message.key[:512],
        }
        payload = json.dumps(body, ensure_ascii=False).encode()
        timestamp = int(time.time())
        host = urlsplit(endpoint).netloc
        content_type = "application/json; charset=utf-8"
        headers = {
            "Content-Type": content_type,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": settings.SMS_REGION or "ap-guangzhou",
            "Authorization": tc3_authorization(
                secret_id=_sms_setting("SMS_ACCESS_KEY"),
                secret_key=_sms_setting("SMS_SECRET"),
                host=host,
                payload=payload,
                timestamp=timestamp,
                content_type=content_type,
            ),
        }
        answer = _json(_post(endpoint, content=payload, headers=headers)).get("Response") or {}
        error = answer.get("Error")
        if error:
            code = str(error.get("Code", ""))
            text = f"Tencent {code}: {error.get('Message', '')}"
            if code.startswith(self.retryable_codes):
                raise RetryableError(text)
            raise PermanentError(text)
        statuses = answer.get("SendStatusSet") or [{}]
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code != "Ok":
            text = f"Tencent {code}: {status.get('Message', '')}"
            if code.startswith(self.retryable_codes):
                raise RetryableError(text)
            raise PermanentError(text)
        return str(status.get("SerialNo") or answer.get("RequestId") or "")


class TwilioSms(Channel):
    """Twilio Programmable Messaging: ``POST /2010-04-01/Accounts/{sid}/Messages.json``."""

    name = DeliveryChannel.SMS
    default_endpoint = "https://api.twilio.com/"

    def send(self, message: Message) -> str:
        sid = _sms_setting("SMS_ACCESS_KEY")
        endpoint = (settings.SMS_ENDPOINT or self.default_endpoint).rstrip("/")
        response = _post(
            f"{endpoint}/2010-04-01/Accounts/{sid}/Messages.json",
            auth=(sid, _sms_setting("SMS_SECRET")),
            data={
                "To": e164_number(message.address),
                "From": _sms_setting("SMS_FROM"),
                "Body": message.text,
            },
        )
        return str(_json(response).get("sid", ""))


SMS_PROVIDERS: dict[str, type[Channel]] = {
    "aliyun": AliyunSms,
    "tencent": TencentSms,
    "twilio": TwilioSms,
}


# --- group robots and the generic webhook -------------------------------------------------


def _robot_errcode(body: dict[str, Any], retryable: tuple[int, ...], who: str) -> None:
    code = body.get("errcode", 0)
    if code not in (0, None):
        error = f"{who} errcode {code}: {body.get('errmsg', '')}"
        if code in retryable:
            raise RetryableError(error)
        raise PermanentError(error)


class WeComRobot(Channel):
    """WeCom (企业微信) group robot: markdown, at most 4096 bytes."""

    name = DeliveryChannel.WECOM

    def send(self, message: Message) -> str:
        robot = split_robot_address(message.address)
        content = markdown_of(message).encode()[:WECOM_MAX_BYTES].decode(errors="ignore")
        body = {"msgtype": "markdown", "markdown": {"content": content}}
        answer = _json(_post_outbound(robot.url, json=body))
        # -1 system busy, 45009 too many calls: both pass with time.
        _robot_errcode(answer, (-1, 45009, 45033), "WeCom")
        return str(answer.get("msgid", ""))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature: urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote(base64.b64encode(digest).decode(), safe="")


class DingTalkRobot(Channel):
    """DingTalk (钉钉) group robot: markdown; signed when the robot has a secret."""

    name = DeliveryChannel.DINGTALK

    def send(self, message: Message) -> str:
        robot = split_robot_address(message.address)
        url = robot.url
        if robot.secret:
            timestamp = int(time.time() * 1000)
            sep = "&" if urlsplit(url).query else "?"
            url = f"{url}{sep}timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": title_of(message), "text": markdown_of(message)},
        }
        answer = _json(_post_outbound(url, json=body))
        # -1 system busy, 130101 sending too fast.
        _robot_errcode(answer, (-1, 130101), "DingTalk")
        return ""


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu robot signature: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuRobot(Channel):
    """Feishu / Lark (飞书) group robot: a rich-text post, or an interactive card."""

    name = DeliveryChannel.FEISHU
    retryable_codes = (9499, 11232, 11233)

    def send(self, message: Message) -> str:
        robot = split_robot_address(message.address)
        title = title_of(message)
        body: dict[str, Any]
        if robot.options.get("format") == "card":
            body = {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {"title": {"tag": "plain_text", "content": title}},
                    "elements": [{"tag": "markdown", "content": markdown_of(message)}],
                },
            }
        else:
            lines = (message.text or message.markdown).splitlines() or [""]
            body = {
                "msg_type": "post",
                "content": {
                    "post": {
                        "zh_cn": {
                            "title": title,
                            "content": [[{"tag": "text", "text": line}] for line in lines],
                        }
                    }
                },
            }
        if robot.secret:
            timestamp = int(time.time())
            body = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(robot.secret, timestamp),
                **body,
            }
        answer = _json(_post_outbound(robot.url, json=body))
        code = answer.get("code", answer.get("StatusCode", 0))
        if code not in (0, None):
            error = f"Feishu code {code}: {answer.get('msg', answer.get('StatusMessage', ''))}"
            if code in self.retryable_codes:
                raise RetryableError(error)
            raise PermanentError(error)
        return ""


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(Channel):
    """Any HTTP endpoint: the payload as JSON, signed with ``X-Tiejun-Signature: sha256=<hex>``
    and carrying the outbox key as ``Idempotency-Key`` so the receiver can drop a resend."""

    name = DeliveryChannel.WEBHOOK

    def send(self, message: Message) -> str:
        robot = split_robot_address(message.address)
        payload = (
            message.payload
            if message.payload is not None
            else {"subject": message.subject, "text": message.text}
        )
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.key,
            "User-Agent": "Tiejun",
        }
        secret = robot.secret or settings.WEBHOOK_SECRET
        if secret:
            headers["X-Tiejun-Signature"] = webhook_signature(secret, body)
        response = _post_outbound(robot.url, content=body, headers=headers)
        return response.headers.get("X-Request-Id", "")


def is_retryable(exc: BaseException) -> bool:
    """Transient or permanent: a ``DeliveryError`` says so itself; trouble on the way (network,
    disk, a timeout) passes with time; an error in the data (a value, a type, an encoding the
    message cannot carry) never does, so it is not retried ten times in vain."""
    if isinstance(exc, DeliveryError):
        return exc.retryable
    if isinstance(exc, OSError | TimeoutError):
        return True
    return not isinstance(exc, ValueError | TypeError | LookupError)


def channel_for(name: str) -> Channel:
    """The adapter that sends on channel ``name`` (SMS: the configured provider)."""
    if name == DeliveryChannel.SMS:
        provider = (settings.SMS_PROVIDER or "").lower()
        if provider not in SMS_PROVIDERS:
            raise PermanentError(
                f"SMS provider {provider!r} unknown: set TIEJUN_SMS_PROVIDER to "
                + " | ".join(SMS_PROVIDERS)
            )
        return SMS_PROVIDERS[provider]()
    if name in APPS:
        # Imported here: the senders' registry imports this module for the interface.
        from .appmessages import AppMessage

        return AppMessage(name)
    adapters: dict[str, type[Channel]] = {
        DeliveryChannel.EMAIL: EmailChannel,
        DeliveryChannel.WECOM: WeComRobot,
        DeliveryChannel.DINGTALK: DingTalkRobot,
        DeliveryChannel.FEISHU: FeishuRobot,
        DeliveryChannel.WEBHOOK: Webhook,
    }
    if name not in adapters:
        raise PermanentError(f"unknown channel {name!r}")
    return adapters[name]()
