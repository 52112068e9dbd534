"""Each adapter against a local stand-in that checks what the provider documents: the payload
shape and the signature, recomputed here from the provider's documentation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from tiejun.errors import TiejunError
from tiejun.notify import channels
from tiejun.notify.channels import (
    PermanentError,
    RetryableError,
    channel_for,
    message_id_for,
    split_robot_address,
    validate_address,
)
from tiejun.notify.models import Message


def msg(channel: str, address: str, **fields) -> Message:
    fields.setdefault("key", f"battle:HZ1:2025-03-05:{channel}")
    return Message(channel=channel, address=address, **fields)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("email", "r1@example.com"),
        ("sms", "+8613800138000"),
        ("sms", "13800138000"),
        ("sms", "+14155550123"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=x#secret=SEC1"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x#secret=s&format=card"),
        ("webhook", "http://127.0.0.1:9/hook"),
    ],
)
def test_valid_addresses_pass(channel, address):
    assert validate_address(channel, address)


@pytest.mark.parametrize(
    ("channel", "address", "fragment"),
    [
        ("email", "not-an-address", "not a valid e-mail"),
        ("sms", "12345", "not a phone number"),
        ("sms", "23800138000", "not a phone number"),
        ("wecom", "ftp://example.com/x", "http(s)"),
        ("webhook", "example.com/hook", "http(s)"),
        ("feishu", "https://open.feishu.cn/hook#format=fax", "Feishu format"),
        ("pigeon", "x", "Unknown channel"),
        ("email", "  ", "empty"),
    ],
)
def test_bad_addresses_are_refused_clearly(channel, address, fragment):
    with pytest.raises(TiejunError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        validate_address(channel, address)


def test_robot_urls_must_be_https_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(TiejunError, match="https in production"):
        validate_address("dingtalk", "http://oapi.dingtalk.com/robot/send?access_token=x")
    assert validate_address("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=x")


def test_the_secret_rides_in_the_fragment():
    robot = split_robot_address("https://h/robot/send?access_token=t#secret=SEC&format=card")
    assert robot.url == "https://h/robot/send?access_token=t"
    assert robot.secret == "SEC"
    assert robot.options == {"format": "card"}


# --- robots -------------------------------------------------------------------------------


def test_wecom_posts_markdown(http_server, settings):
    server = http_server(lambda r: (200, {"errcode": 0, "errmsg": "ok"}))
    channel_for("wecom").send(
        msg("wecom", f"{server.url}/cgi-bin/webhook/send?key=K1", markdown="**战报** 12,000")
    )
    (request,) = server.requests
    assert request.path == "/cgi-bin/webhook/send?key=K1"
    assert request.json() == {"msgtype": "markdown", "markdown": {"content": "**战报** 12,000"}}


def test_wecom_errcode_with_http_200_is_an_error(http_server):
    answers = iter([(200, {"errcode": 45009, "errmsg": "api freq out of limit"})])
    server = http_server(lambda r: next(answers, (200, {"errcode": 93000, "errmsg": "invalid"})))
    with pytest.raises(RetryableError, match="45009"):
        channel_for("wecom").send(msg("wecom", f"{server.url}/send?key=K", text="hi"))
    with pytest.raises(PermanentError, match="93000"):
        channel_for("wecom").send(msg("wecom", f"{server.url}/send?key=K", text="hi"))


def dingtalk_verify(secret: str):
    """DingTalk: sign = urlencode(base64(HmacSHA256(secret, timestamp + "\\n" + secret))),
    timestamp in milliseconds and within an hour of now."""

    def respond(request):
        query = parse_qs(urlsplit(request.path).query)
        timestamp = query["timestamp"][0]
        expected = base64.b64encode(
            hmac.new(
                secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
            ).digest()
        ).decode()
        raw_sign = request.path.split("sign=", 1)[1].split("&")[0]
        if unquote(raw_sign) != expected or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        body = request.json()
        if body.get("msgtype") != "markdown" or not body["markdown"].get("title"):
            return 200, {"errcode": 40035, "errmsg": "bad body"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    return respond


def test_dingtalk_signs_the_url(http_server):
    server = http_server(dingtalk_verify("SECabc+/="))
    address = f"{server.url}/robot/send?access_token=TOKEN#secret=SECabc+/="
    channel_for("dingtalk").send(msg("dingtalk", address, subject="战报", markdown="### 今日 3 单"))
    (request,) = server.requests
    assert request.path.startswith("/robot/send?access_token=TOKEN&timestamp=")
    assert request.json()["markdown"] == {"title": "战报", "text": "### 今日 3 单"}


def test_dingtalk_wrong_secret_is_permanent(http_server):
    server = http_server(dingtalk_verify("right"))
    with pytest.raises(PermanentError, match="310000"):
        channel_for("dingtalk").send(
            msg("dingtalk", f"{server.url}/robot/send?access_token=T#secret=wrong", text="x")
        )


def feishu_verify(secret: str):
    """Feishu: sign = base64(HmacSHA256(key = timestamp + "\\n" + secret, message = ""))."""

    def respond(request):
        body = request.json()
        key = f"{body['timestamp']}\n{secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if body.get("sign") != expected:
            return 200, {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour",
            }
        return 200, {"code": 0, "msg": "success", "data": {}}

    return respond


def test_feishu_post_is_signed(http_server):
    server = http_server(feishu_verify("fs-secret"))
    channel_for("feishu").send(
        msg(
            "feishu",
            f"{server.url}/hook/abc#secret=fs-secret",
            subject="战报",
            text="第一行\n第二行",
        )
    )
    body = server.requests[0].json()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "战报"
    assert post["content"] == [
        [{"tag": "text", "text": "第一行"}],
        [{"tag": "text", "text": "第二行"}],
    ]


def test_feishu_card(http_server):
    server = http_server(feishu_verify("s"))
    channel_for("feishu").send(
        msg(
            "feishu",
            f"{server.url}/hook/abc#secret=s&format=card",
            subject="喜报",
            markdown="**R1**",
        )
    )
    card = server.requests[0].json()["card"]
    assert server.requests[0].json()["msg_type"] == "interactive"
    assert card["header"]["title"]["content"] == "喜报"
    assert card["elements"] == [{"tag": "markdown", "content": "**R1**"}]


def test_feishu_bad_sign_is_permanent(http_server):
    server = http_server(feishu_verify("right"))
    with pytest.raises(PermanentError, match="19021"):
        channel_for("feishu").send(msg("feishu", f"{server.url}/hook#secret=wrong", text="x"))


def test_webhook_body_is_signed_and_keyed(http_server, settings):
    def respond(request):
        expected = "sha256=" + hmac.new(b"wh-secret", request.body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(request.headers.get("x-tiejun-signature", ""), expected)
        return (200, {"ok": True}) if ok else (401, {"error": "bad signature"})

    server = http_server(respond)
    channel_for("webhook").send(
        msg(
            "webhook", f"{server.url}/in#secret=wh-secret", payload={"unit": "HZ1", "today": "1.00"}
        )
    )
    (request,) = server.requests
    assert request.json() == {"unit": "HZ1", "today": "1.00"}
    assert request.headers["idempotency-key"] == "battle:HZ1:2025-03-05:webhook"
    with pytest.raises(PermanentError, match="401"):
        channel_for("webhook").send(msg("webhook", f"{server.url}/in#secret=other", text="x"))
    settings.WEBHOOK_SECRET = "wh-secret"
    channel_for("webhook").send(msg("webhook", f"{server.url}/in", subject="s", text="t"))
    assert server.requests[-1].json() == {"subject": "s", "text": "t"}


def test_http_failures_are_classified(http_server):
    answers = iter([(503, {}), (429, {}), (400, {})])
    server = http_server(lambda r: next(answers))
    address = f"{server.url}/hook"
    with pytest.raises(RetryableError, match="503"):
        channel_for("webhook").send(msg("webhook", address, text="x"))
    with pytest.raises(RetryableError, match="429"):
        channel_for("webhook").send(msg("webhook", address, text="x"))
    with pytest.raises(PermanentError, match="400"):
        channel_for("webhook").send(msg("webhook", address, text="x"))


def test_unreachable_endpoint_is_retryable(settings):
    from tests.notify.conftest import free_port

    with pytest.raises(RetryableError, match="network"):
        channel_for("webhook").send(msg("webhook", f"http://127.0.0.1:{free_port()}/x", text="x"))


# --- SMS ----------------------------------------------------------------------------------


@pytest.fixture
def sms_settings(settings):
    settings.SMS_ACCESS_KEY = "AKID-test"
    settings.SMS_SECRET = "secret-test"
    settings.SMS_SIGN_NAME = "铁军"
    settings.SMS_TEMPLATE_ID = "SMS_123"
    settings.SMS_APP_ID = "1400000000"
    settings.SMS_FROM = "+15005550006"
    settings.SMS_REGION = ""
    settings.SMS_TEMPLATE_PARAM = "content"
    return settings


def aliyun_verify(request):
    """Aliyun RPC signature: StringToSign = METHOD & %2F & percentEncode(sorted query), key
    secret + "&", HMAC-SHA1, base64; percentEncode keeps only A-Z a-z 0-9 - _ . ~."""
    params = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
    signature = params.pop("Signature")

    def pe(s):
        return quote(s, safe="-_.~")

    canonical = "&".join(f"{pe(k)}={pe(params[k])}" for k in sorted(params))
    to_sign = "POST&%2F&" + pe(canonical)
    expected = base64.b64encode(
        hmac.new(b"secret-test&", to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    if signature != expected:
        return 200, {"Code": "SignatureDoesNotMatch", "Message": "bad", "RequestId": "r"}
    assert params["Action"] == "SendSms"
    assert params["Version"] == "2017-05-25"
    assert params["SignatureMethod"] == "HMAC-SHA1"
    return 200, {"Code": "OK", "Message": "OK", "BizId": "biz-1", "RequestId": "r"}


def test_aliyun_sms_is_signed(http_server, sms_settings):
    server = http_server(aliyun_verify)
    sms_settings.SMS_PROVIDER = "aliyun"
    sms_settings.SMS_ENDPOINT = server.url + "/"
    provider_id = channel_for("sms").send(msg("sms", "+8613800138000", text="今日战报：3 单 *~"))
    assert provider_id == "biz-1"
    params = parse_qs(server.requests[0].body.decode())
    assert params["PhoneNumbers"] == ["13800138000"]
    assert params["SignName"] == ["铁军"]
    assert json.loads(params["TemplateParam"][0]) == {"content": "今日战报：3 单 *~"}


def test_aliyun_error_codes(http_server, sms_settings):
    answers = iter(
        [
            (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
            (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}),
        ]
    )
    server = http_server(lambda r: next(answers))
    sms_settings.SMS_PROVIDER = "aliyun"
    sms_settings.SMS_ENDPOINT = server.url
    with pytest.raises(RetryableError, match="LIMIT_CONTROL"):
        channel_for("sms").send(msg("sms", "13800138000", text="x"))
    with pytest.raises(PermanentError, match="MOBILE_NUMBER_ILLEGAL"):
        channel_for("sms").send(msg("sms", "13800138000", text="x"))


def tencent_verify(request):
    """TC3-HMAC-SHA256 as Tencent Cloud API 3.0 documents it, from the headers received."""
    auth = request.headers["authorization"]
    algorithm, rest = auth.split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    secret_id, date, service, terminator = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    timestamp = request.headers["x-tc-timestamp"]
    canonical_headers = "".join(
        f"{h}:{request.headers[h].strip().lower() if h == 'x-tc-action' else request.headers[h].strip()}\n"
        for h in signed
    )
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            fields["SignedHeaders"],
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [algorithm, timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def h(key, m):
        return hmac.new(key, m.encode(), hashlib.sha256).digest()

    key = h(h(h(b"TC3secret-test", date), service), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    utc_date = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d")
    if (
        algorithm != "TC3-HMAC-SHA256"
        or secret_id != "AKID-test"
        or service != "sms"
        or terminator != "tc3_request"
        or date != utc_date
        or fields["Signature"] != expected
        or "host" not in signed
    ):
        return 200, {
            "Response": {
                "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"},
                "RequestId": "r",
            }
        }
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    return 200, {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "serial-1",
                    "PhoneNumber": "+8613800138000",
                    "Code": "Ok",
                    "Message": "send success",
                }
            ],
            "RequestId": "r",
        }
    }


def test_tencent_sms_is_signed_tc3(http_server, sms_settings):
    server = http_server(tencent_verify)
    sms_settings.SMS_PROVIDER = "tencent"
    sms_settings.SMS_ENDPOINT = server.url + "/"
    provider_id = channel_for("sms").send(msg("sms", "13800138000", text="今日战报"))
    assert provider_id == "serial-1"
    body = server.requests[0].json()
    assert body["PhoneNumberSet"] == ["+8613800138000"]
    assert body["SmsSdkAppId"] == "1400000000"
    assert body["TemplateId"] == "SMS_123"
    assert body["TemplateParamSet"] == ["今日战报"]


def test_tencent_wrong_secret_is_permanent(http_server, sms_settings):
    server = http_server(tencent_verify)
    sms_settings.SMS_PROVIDER = "tencent"
    sms_settings.SMS_ENDPOINT = server.url
    sms_settings.SMS_SECRET = "wrong"
    with pytest.raises(PermanentError, match="SignatureFailure"):
        channel_for("sms").send(msg("sms", "13800138000", text="x"))


def test_twilio_basic_auth_and_form(http_server, sms_settings):
    def respond(request):
        expected = "Basic " + base64.b64encode(b"AKID-test:secret-test").decode()
        if request.headers.get("authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate"}
        return 201, {"sid": "SM123", "status": "queued"}

    server = http_server(respond)
    sms_settings.SMS_PROVIDER = "twilio"
    sms_settings.SMS_ENDPOINT = server.url
    assert channel_for("sms").send(msg("sms", "13800138000", text="Battle report")) == "SM123"
    (request,) = server.requests
    assert request.path == "/2010-04-01/Accounts/AKID-test/Messages.json"
    form = parse_qs(request.body.decode())
    assert form == {"To": ["+8613800138000"], "From": ["+15005550006"], "Body": ["Battle report"]}
    sms_settings.SMS_SECRET = "wrong"
    with pytest.raises(PermanentError, match="401"):
        channel_for("sms").send(msg("sms", "13800138000", text="x"))


def test_unconfigured_sms_is_permanent(settings):
    settings.SMS_PROVIDER = ""
    with pytest.raises(PermanentError, match="TIEJUN_SMS_PROVIDER"):
        channel_for("sms")


# --- e-mail -------------------------------------------------------------------------------


def test_email_over_real_smtp(smtp):
    message = msg(
        "email", "r1@example.com", subject="战报 HZ1", text="plain", html="<p>html</p>", key="k-1"
    )
    provider_id = channel_for("email").send(message)
    (received,) = smtp.mailbox.messages
    assert received["Subject"] == "战报 HZ1"
    assert received["Message-ID"] == provider_id == message_id_for("k-1")
    assert received.get_body(("html",)).get_content().strip() == "<p>html</p>"
    assert received.get_body(("plain",)).get_content().strip() == "plain"


def test_a_worker_sends_a_burst_on_one_connection_and_replaces_a_dropped_one(smtp, monkeypatch):
    email = channel_for("email")
    for n in range(3):
        email.send(msg("email", f"r{n}@example.com", subject="战报", text="t", key=f"burst-{n}"))
    assert len(smtp.mailbox.messages) == 3
    assert len(set(smtp.mailbox.peers)) == 1  # connect, EHLO and QUIT once for the burst

    # the server restarts (its connections dropped); the next message, sent after a pause, goes
    # out on a new connection, once
    smtp.stop()
    smtp.start()
    monkeypatch.setattr(channels, "SMTP_CHECK_SECONDS", 0.0)
    email.send(msg("email", "r9@example.com", subject="战报", text="t", key="burst-9"))
    assert [m["X-Envelope-To"] for m in smtp.mailbox.messages][-1] == "r9@example.com"
    assert len(smtp.mailbox.messages) == 4
    assert len(set(smtp.mailbox.peers)) == 2


def test_smtp_451_is_retryable_and_server_down_too(smtp):
    smtp.mailbox.refuse = True
    with pytest.raises(RetryableError, match="451"):
        channel_for("email").send(msg("email", "r1@example.com", subject="s", text="t"))
    smtp.stop()
    with pytest.raises(RetryableError):
        channel_for("email").send(msg("email", "r1@example.com", subject="s", text="t"))


# --- secrets are never shown -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "address", "secrets"),
    [
        (
            "dingtalk",
            "https://oapi.dingtalk.com/robot/send"
            "?access_token=5f3c9e0d8a7b6c5d4e3f2a1b#secret=SECxyz",
            ["5f3c9e0d8a7b6c5d4e3f2a1b", "SECxyz"],
        ),
        (
            "wecom",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
            "?key=693a91f6-7a4b-4c1d-9e2f-0123456789ab",
            ["693a91f6-7a4b-4c1d-9e2f-0123456789ab"],
        ),
        (
            "feishu",
            "https://open.feishu.cn/open-apis/bot/v2/hook/"
            "2f8a6c1e-9b3d-4e5f-a7c8-1d2e3f4a5b6c#secret=fs&format=card",
            ["2f8a6c1e-9b3d-4e5f-a7c8-1d2e3f4a5b6c", "secret=fs"],
        ),
        (
            "webhook",
            "https://user:pa55word@example.com/hooks/tiejun#secret=wh",
            ["pa55word", "=wh"],
        ),
    ],
)
def test_robot_addresses_are_shown_masked(channel, address, secrets):
    from tiejun.notify.models import display_address

    shown = display_address(channel, address)
    for secret in secrets:
        assert secret not in shown
    assert urlsplit(shown).hostname == urlsplit(address).hostname
    assert display_address("email", "boss@example.com") == "boss@example.com"


# --- headers are one line, data errors are permanent ---------------------------------------


def test_a_subject_with_line_breaks_goes_out_as_one_line(smtp):
    message = msg(
        "email", "r1@example.com", subject="Win flash: Evil\r\nBcc: x@example.com", text="t"
    )
    channel_for("email").send(message)
    (received,) = smtp.mailbox.messages
    assert received["Subject"] == "Win flash: Evil Bcc: x@example.com"
    assert received["Bcc"] is None


def test_an_address_that_cannot_be_a_header_is_permanent(smtp):
    with pytest.raises(PermanentError):
        channel_for("email").send(msg("email", "r1@example.com\nBcc: x@example.com", text="t"))
    assert smtp.mailbox.messages == []


def test_errors_are_classified_transient_or_permanent():
    from tiejun.notify.channels import is_retryable

    assert is_retryable(RetryableError("busy"))
    assert not is_retryable(PermanentError("bad"))
    assert is_retryable(ConnectionResetError())
    assert is_retryable(TimeoutError())
    assert not is_retryable(ValueError("Header values can't contain newlines"))
    assert not is_retryable(UnicodeEncodeError("ascii", "名", 0, 1, "x"))
