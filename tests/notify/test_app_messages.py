"""App messages (WeCom, DingTalk, Feishu to one person) through the outbox, against loopback fakes
of the platforms: one text to one user, the token fetched once per process and again when it
expires, a platform's error code retried like any failed delivery, an unknown user given up."""

import pytest
from django.utils import timezone

from tests.accounts.fakes import AGENTS, FakeServer, configure, sample_company
from tiejun.accounts import appmessages
from tiejun.errors import TiejunError
from tiejun.notify.models import Message, Status
from tiejun.notify.services import message_deliver, message_enqueue

ENDPOINTS = {
    "wecom_app": ("/cgi-bin/gettoken", "/cgi-bin/message/send"),
    "dingtalk_app": ("/gettoken", "/topapi/message/corpconversation/asyncsend_v2"),
    "feishu_app": (
        "/open-apis/auth/v3/tenant_access_token/internal",
        "/open-apis/im/v1/messages",
    ),
}


@pytest.fixture
def fake(settings, db):
    with FakeServer() as server:
        configure(settings, server)
        sample_company(server.state)
        appmessages.app_clients_forget()
        yield server
        appmessages.app_clients_forget()


def send(channel: str, address: str, text: str, key: str) -> tuple[Message, str]:
    message, created = message_enqueue(channel=channel, address=address, key=key, text=text)
    assert created
    outcome = message_deliver(message.pk)
    return Message.objects.get(pk=message.pk), outcome


@pytest.mark.parametrize("channel", ["wecom_app", "dingtalk_app", "feishu_app"])
def test_one_text_to_one_person(fake, channel):
    # when
    row, outcome = send(channel, "zhang", "张三，今天还差 ¥1,200。", f"t:{channel}")
    # then the platform took exactly one text message for that user, from the configured app
    assert outcome == "sent" and row.status == Status.SENT
    platform = channel.removesuffix("_app")
    assert [(m["platform"], m["user"], m["text"]) for m in fake.state.sent] == [
        (platform, "zhang", "张三，今天还差 ¥1,200。")
    ]
    if platform in AGENTS:
        assert str(fake.state.sent[0]["agent"]) == AGENTS[platform]
    # the platform's message id (DingTalk's: the id of the asynchronous send task)
    assert row.provider_id == ("1001" if platform == "dingtalk" else fake.state.sent[0]["id"])


@pytest.mark.parametrize("channel", ["wecom_app", "dingtalk_app", "feishu_app"])
def test_token_fetched_once_per_process(fake, channel):
    token, endpoint = ENDPOINTS[channel]
    for i, user in enumerate(("zhang", "li", "wang")):
        assert send(channel, user, f"第{i}条", f"once:{channel}:{i}")[1] == "sent"
    assert fake.state.calls.count(token) == 1
    assert fake.state.calls.count(endpoint) == 3


def test_token_fetched_again_when_it_nears_expiry(fake, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(appmessages, "_clock", lambda: clock[0])
    send("wecom_app", "zhang", "一", "exp:1")
    clock[0] += appmessages.TOKEN_SECONDS - 1
    send("wecom_app", "zhang", "二", "exp:2")
    assert fake.state.calls.count("/cgi-bin/gettoken") == 1
    clock[0] += 2
    send("wecom_app", "zhang", "三", "exp:3")
    assert fake.state.calls.count("/cgi-bin/gettoken") == 2
    assert len(fake.state.sent) == 3


def test_token_the_platform_expired_is_fetched_again(fake):
    send("feishu_app", "zhang", "一", "gone:1")
    fake.state.tokens.clear()  # the platform forgot every token
    _row, outcome = send("feishu_app", "zhang", "二", "gone:2")
    assert outcome == "sent"
    assert fake.state.calls.count("/open-apis/auth/v3/tenant_access_token/internal") == 2
    assert [m["text"] for m in fake.state.sent] == ["一", "二"]


@pytest.mark.parametrize(
    ("channel", "code"), [("wecom_app", 50001), ("dingtalk_app", 40078), ("feishu_app", 230020)]
)
def test_error_code_is_retried_then_sent_once(fake, channel, code):
    # given the platform answers an error code to the next send
    fake.state.fail_next(ENDPOINTS[channel][1], code)
    # when
    row, outcome = send(channel, "zhang", "你好", f"retry:{channel}")
    # then a failure with a clear message, waiting for its retry, nothing delivered
    assert outcome == "retry"
    assert row.status == Status.FAILED and row.next_attempt_at is not None
    assert f"answered error {code}" in row.last_error
    assert (
        ENDPOINTS[channel][1].removeprefix("/").removeprefix("cgi-bin/").removeprefix("open-apis/")
        in row.last_error
    )
    assert fake.state.sent == []
    # when the retry falls due
    Message.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert message_deliver(row.pk) == "sent"
    # then exactly one message, and a third delivery does nothing
    assert message_deliver(row.pk) == "skipped"
    assert len(fake.state.sent) == 1
    assert Message.objects.get(pk=row.pk).attempts == 2


@pytest.mark.parametrize("channel", ["wecom_app", "feishu_app"])
def test_unknown_user_is_given_up(fake, channel):
    row, outcome = send(channel, "nobody", "你好", f"unknown:{channel}")
    assert outcome == "failed" and row.gave_up
    assert "nobody" in row.last_error or "error" in row.last_error
    assert fake.state.sent == []


def test_unconfigured_platform_is_given_up(fake, settings):
    settings.FEISHU_APP_ID = ""
    row, outcome = send("feishu_app", "zhang", "你好", "unset:feishu")
    assert outcome == "failed" and row.gave_up
    assert "not configured" in row.last_error


def test_missing_agent_id_is_given_up(fake, settings):
    settings.DINGTALK_AGENT_ID = ""
    row, outcome = send("dingtalk_app", "zhang", "你好", "unset:agent")
    assert outcome == "failed" and row.gave_up
    assert "TIEJUN_DINGTALK_AGENT_ID" in row.last_error
    assert fake.state.calls == []


@pytest.mark.parametrize("address", ["", "a b", "zhang\nli", "x" * 129, "https://x.cn/"])
def test_bad_user_id_is_refused_and_nothing_is_written(db, address):
    with pytest.raises(TiejunError):
        message_enqueue(channel="wecom_app", address=address, key="bad", text="你好")
    assert not Message.objects.exists()
