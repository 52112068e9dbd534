"""The outbox's part of unsubscribing: e-mail headers reach the wire, replies are parsed."""

import pytest

from tiejun.notify import inbound
from tiejun.notify.models import Message
from tiejun.notify.services import message_deliver, message_enqueue


@pytest.mark.parametrize(
    ("text", "stop"),
    [
        ("TD", True),
        ("td", True),
        (" ＴＤ。", True),
        ("退订", True),
        ("退订！", True),
        ("Stop", True),
        ("T", True),
        ("TD 谢谢", False),
        ("收到", False),
        ("", False),
        ("好的，明天拜访", False),
    ],
)
def test_stop_words(text, stop):
    assert inbound.is_stop(text) is stop


def test_parse_providers():
    assert inbound.parse("aliyun", b'[{"phone_number":"13800138000","content":"TD"}]') == [
        inbound.Reply("13800138000", "TD")
    ]
    tencent = inbound.parse("tencent", b'{"mobile":"5551234","nationcode":"1","text":"STOP"}')
    assert tencent == [inbound.Reply("+15551234", "STOP")]
    twilio = inbound.parse("twilio", b"From=%2B15551234&Body=stop")
    assert twilio == [inbound.Reply("+15551234", "stop")]
    for provider, body in [
        ("aliyun", b"[1]"),
        ("aliyun", b"{"),
        ("twilio", b"Body=x"),
        ("generic", b'{"text": "TD"}'),
    ]:
        with pytest.raises(inbound.InboundError):
            inbound.parse(provider, body)


@pytest.mark.django_db
def test_list_unsubscribe_headers_on_the_wire(mailoutbox):
    message, _ = message_enqueue(
        channel="email",
        address="a@example.com",
        key="t:headers",
        subject="战报",
        text="hello",
        headers={
            "List-Unsubscribe": "<https://tiejun.example/broadcast/unsubscribe/x/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click\r\nBcc: evil@example.com",
        },
    )
    assert message_deliver(message.pk) == "sent"
    sent = mailoutbox[0].message()
    assert sent["List-Unsubscribe"] == "<https://tiejun.example/broadcast/unsubscribe/x/>"
    # a header value never carries a line break (no header injection)
    assert sent["List-Unsubscribe-Post"].startswith("List-Unsubscribe=One-Click")
    assert sent["Bcc"] is None
    assert Message.objects.get().status == "sent"
