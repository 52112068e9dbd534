"""Where robots and webhooks may post: public http(s) addresses, checked after resolving the name,
when the address is saved and again when a message goes; loopback only where it is allowed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tiejun.errors import TiejunError
from tiejun.notify.channels import validate_address
from tiejun.notify.models import Message, Status
from tiejun.notify.outbound import OutboundRefused, OutboundUnresolved, check_target
from tiejun.notify.services import message_deliver


def fixed(*addresses: str):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://127.1.2.3:8080/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
    ],
)
def test_private_literals_are_refused(url):
    with pytest.raises(OutboundRefused) as caught:
        check_target(url, resolver=fixed("93.184.216.34"))
    assert caught.value.reason == "private"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "//x/y", "x"]
)
def test_other_schemes_are_refused(url):
    with pytest.raises(OutboundRefused) as caught:
        check_target(url, resolver=fixed("93.184.216.34"))
    assert caught.value.reason == "scheme"


def test_a_public_name_pointing_at_loopback_is_refused():
    with pytest.raises(OutboundRefused) as caught:
        check_target("https://hooks.example.com/x", resolver=fixed("93.184.216.34", "127.0.0.1"))
    assert (caught.value.host, caught.value.address) == ("hooks.example.com", "127.0.0.1")


def test_a_public_name_resolves_to_the_addresses_to_connect_to():
    target = check_target("https://hooks.example.com:8443/x", resolver=fixed("93.184.216.34"))
    assert (target.host, target.port, target.addresses) == (
        "hooks.example.com",
        8443,
        ("93.184.216.34",),
    )
    assert not target.allowed


def test_the_allow_list_lets_hosts_and_networks_through():
    assert check_target("http://127.0.0.1:9/x", allow_hosts=["127.0.0.1"]).allowed
    assert check_target("http://Sink.Internal/x", allow_hosts=["sink.internal"]).allowed
    lan = check_target("http://crm.lan/x", allow_hosts=["10.1.0.0/16"], resolver=fixed("10.1.2.3"))
    assert lan.addresses == ("10.1.2.3",)
    # a host on the list does not open its neighbours
    with pytest.raises(OutboundRefused):
        check_target("http://localhost/x", allow_hosts=["127.0.0.1"])
    with pytest.raises(OutboundRefused):
        check_target("http://crm.lan/x", allow_hosts=["10.1.0.0/16"], resolver=fixed("10.2.0.1"))


def test_an_unresolvable_name_is_not_refused_only_unresolved():
    def nowhere(host, port):
        raise OutboundUnresolved(host)

    with pytest.raises(OutboundUnresolved):
        check_target("https://nowhere.invalid/x", resolver=nowhere)


# --- when the address is saved --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu", "webhook"])
def test_saving_a_loopback_robot_is_refused_clearly(settings, channel):
    settings.OUTBOUND_ALLOW_HOSTS = []
    with pytest.raises(TiejunError) as caught:
        validate_address(channel, "http://127.0.0.1:9/send?key=K#secret=SEC")
    assert "private address" in str(caught.value)
    assert "SEC" not in str(caught.value)
    # a real name that points at loopback, found by resolving it
    with pytest.raises(TiejunError, match=r"127\.0\.0\.1"):
        validate_address(channel, "http://localhost:9/send?key=K")
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    assert validate_address(channel, "http://127.0.0.1:9/send?key=K")


def test_addresses_with_line_breaks_are_refused():
    for channel, address in [
        ("email", "r1@example.com\nBcc: x@example.com"),
        ("webhook", "https://example.com/\r\nX: y"),
    ]:
        with pytest.raises(TiejunError, match="line break"):
            validate_address(channel, address)


# --- when a message goes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_delivery_checks_again_and_fails_for_good(settings, http_server):
    # given a webhook saved while its host was allowed (or its name pointed elsewhere)
    server = http_server(lambda r: (200, {"ok": True}))
    url = server.url.replace("127.0.0.1", "localhost") + "/hook"
    settings.OUTBOUND_ALLOW_HOSTS = ["localhost"]
    validate_address("webhook", url)
    message = Message.objects.create(
        channel="webhook", address=url, key="k-ssrf", text="x", next_attempt_at=timezone.now()
    )
    # when the host is no longer allowed and the message goes
    settings.OUTBOUND_ALLOW_HOSTS = []
    assert message_deliver(message.pk) == "failed"
    # then it fails at once, for good, and nothing reached the loopback server
    message.refresh_from_db()
    assert message.gave_up and message.attempts == 1
    assert "127.0.0.1" in message.last_error
    assert server.requests == []


@pytest.mark.django_db
def test_delivery_connects_to_the_checked_address(settings, http_server, monkeypatch):
    # given a public-looking name (resolved, here, to a public address by a stand-in resolver)
    # that the operator allows through the network the sink lives in
    server = http_server(lambda r: (200, {"ok": True}))
    port = server.url.rsplit(":", 1)[1]
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.0/8"]
    monkeypatch.setattr(
        "tiejun.notify.channels.check_target",
        lambda url, allow_hosts: check_target(
            url, allow_hosts=allow_hosts, resolver=fixed("127.0.0.1")
        ),
    )
    message = Message.objects.create(
        channel="webhook",
        address=f"http://hooks.example.com:{port}/in",
        key="k-pin",
        text="x",
        next_attempt_at=timezone.now(),
    )
    assert message_deliver(message.pk) == "sent"
    (request,) = server.requests
    assert request.headers["host"] == f"hooks.example.com:{port}"
    assert Message.objects.get(pk=message.pk).status == Status.SENT
