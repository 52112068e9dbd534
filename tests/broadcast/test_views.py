import pytest

from tests.factories import person
from tiejun.broadcast.models import Subscription
from tiejun.broadcast.services import subscription_create
from tiejun.org.models import Role

URL = "/broadcast/subscriptions/{}/"


@pytest.fixture
def subs(org):
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        subscription_create(
            unit=org.branch, report="battle", channel="email", address=address, by=org.manager
        )
    return org


def test_who_may_manage_subscriptions(subs, client):
    coordinator = person("C1", subs.branch, Role.COORDINATOR)
    for someone, code, status in [
        (subs.admin, "HZ", 200),
        (subs.admin, "NB", 200),
        (subs.manager, "HZ", 200),
        (subs.manager, "HZ1", 200),
        (subs.manager, "NB", 404),  # another branch
        (coordinator, "HZ2", 200),
        (subs.supervisor_a, "HZ1", 404),
        (subs.reps["R1"], "HZ1", 404),
        (subs.admin, "NOPE", 404),
    ]:
        client.force_login(someone)
        assert client.get(URL.format(code)).status_code == status, (someone, code)
    client.logout()
    assert client.get(URL.format("HZ")).status_code == 302  # to the login page


def test_list_add_remove(subs, client, django_assert_num_queries):
    client.force_login(subs.manager)
    with django_assert_num_queries(7):
        response = client.get(URL.format("HZ"))
    assert response.content.count(b"@example.com") == 3
    # add
    response = client.post(
        URL.format("HZ"), {"report": "win_flash", "channel": "sms", "address": "13800138000"}
    )
    assert response.status_code == 302
    assert Subscription.objects.filter(report="win_flash", created_by=subs.manager).count() == 1
    # a bad address is told, nothing written
    response = client.post(
        URL.format("HZ"), {"report": "battle", "channel": "email", "address": "nope"}
    )
    assert response.status_code == 200 and Subscription.objects.count() == 4
    # remove
    row = Subscription.objects.get(address="a@example.com")
    response = client.post(f"{URL.format('HZ')}{row.pk}/remove/")
    assert response.status_code == 302
    assert not Subscription.objects.filter(pk=row.pk).exists()


def test_remove_in_another_unit_is_404(subs, client):
    row = Subscription.objects.first()
    client.force_login(subs.manager)
    assert client.post(f"{URL.format('HZ1')}{row.pk}/remove/").status_code == 404
    assert Subscription.objects.filter(pk=row.pk).exists()


ROBOT = "http://127.0.0.1:9/robot/send?access_token=TOKEN123456789#secret=SEC-TOP-SECRET"


def test_robot_secrets_are_never_shown_after_saving(subs, client, settings):
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    client.force_login(subs.manager)
    response = client.post(
        URL.format("HZ"), {"report": "battle", "channel": "dingtalk", "address": ROBOT}
    )
    assert response.status_code == 302
    assert Subscription.objects.get(channel="dingtalk").address == ROBOT
    body = client.get(URL.format("HZ")).content.decode()
    assert "127.0.0.1:9/robot/send" in body
    assert "TOKEN123456789" not in body and "SEC-TOP-SECRET" not in body


def test_a_robot_on_the_private_network_is_refused_on_the_form(subs, client, settings):
    settings.OUTBOUND_ALLOW_HOSTS = []
    client.force_login(subs.manager)
    for address in (ROBOT, "http://169.254.169.254/latest/", "http://localhost:8000/x"):
        response = client.post(
            URL.format("HZ"), {"report": "battle", "channel": "webhook", "address": address}
        )
        assert response.status_code == 200
        assert "private address" in response.content.decode()
        # the message does not repeat the secret (the field keeps what was just typed)
        assert "SEC-TOP-SECRET" not in str(response.context["form"].errors)
    response = client.post(
        URL.format("HZ"), {"report": "battle", "channel": "webhook", "address": "ftp://x.example/"}
    )
    assert "is not an http(s) URL" in response.content.decode()
    assert Subscription.objects.count() == 3


def test_the_admin_masks_subscription_secrets_and_checks_new_ones(subs, admin_client, settings):
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    row, _ = subscription_create(
        unit=subs.branch, report="battle", channel="dingtalk", address=ROBOT
    )
    for url in (
        "/admin/broadcast/subscription/",
        f"/admin/broadcast/subscription/{row.pk}/change/",
        f"/admin/broadcast/subscription/{row.pk}/delete/",
    ):
        body = admin_client.get(url).content.decode()
        assert "SEC-TOP-SECRET" not in body and "TOKEN123456789" not in body, url
    settings.OUTBOUND_ALLOW_HOSTS = []
    response = admin_client.post(
        "/admin/broadcast/subscription/add/",
        {
            "unit": subs.branch.pk,
            "report": "battle",
            "channel": "webhook",
            "address": "http://127.0.0.1:9/hook",
            "language": "",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    assert not Subscription.objects.filter(channel="webhook").exists()


def test_the_admin_keeps_a_saved_address_it_does_not_show(subs, admin_client, settings):
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    row, _ = subscription_create(
        unit=subs.branch, report="battle", channel="dingtalk", address=ROBOT
    )
    fields = {"unit": subs.branch.pk, "report": "battle", "channel": "dingtalk", "language": ""}
    response = admin_client.post(
        f"/admin/broadcast/subscription/{row.pk}/change/", {**fields, "address": ""}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.address, row.active) == (ROBOT, False)
