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


def test_list_add_remove(subs, client, django_assert_max_num_queries):
    client.force_login(subs.manager)
    with django_assert_max_num_queries(12):
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
