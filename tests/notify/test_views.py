"""/outbox/ for admins and the admin site's outbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tiejun.notify.models import Message, Status


@pytest.fixture
def messages_in_outbox(db):
    rows = [
        Message.objects.create(
            channel="email",
            address=f"r{n}@example.com",
            key=f"battle:HZ1:2025-03-05:r{n}",
            status=Status.FAILED if n % 2 else Status.SENT,
            last_error="SMTP 451" if n % 2 else "",
        )
        for n in range(6)
    ]
    Message.objects.create(
        channel="dingtalk",
        address="https://oapi.dingtalk.com/robot/send?access_token=T#secret=SEC-TOP",
        key="battle:HZ1:robot",
    )
    return rows


def test_admin_sees_the_outbox_with_filters(
    client, org, messages_in_outbox, django_assert_num_queries
):
    client.login(username="A1", password=PASSWORD)
    client.get(reverse("notify:outbox"))  # warm
    with django_assert_num_queries(5):
        response = client.get(reverse("notify:outbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="message ') == 7
    assert "SEC-TOP" not in body
    response = client.get(reverse("notify:outbox"), {"status": "failed"})
    assert response.content.decode().count('class="message ') == 3
    response = client.get(reverse("notify:outbox"), {"channel": "dingtalk"})
    assert response.content.decode().count('class="message ') == 1
    response = client.get(reverse("notify:outbox"), {"q": "r2@"})
    assert response.content.decode().count('class="message ') == 1


def test_retry_button_requeues_one(
    client, org, messages_in_outbox, django_capture_on_commit_callbacks
):
    client.login(username="A1", password=PASSWORD)
    failed = messages_in_outbox[1]
    response = client.post(reverse("notify:retry"), {"id": failed.pk})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.PENDING
    assert Message.objects.filter(status=Status.FAILED).count() == 2


def test_others_may_not_see_the_outbox(client, org, messages_in_outbox):
    client.login(username="M1", password=PASSWORD)
    assert client.get(reverse("notify:outbox")).status_code == 403
    assert client.post(reverse("notify:retry")).status_code == 403
    assert Message.objects.filter(status=Status.FAILED).count() == 3
    client.logout()
    assert client.get(reverse("notify:outbox")).status_code == 302


def test_django_admin_lists_and_retries(admin_client, messages_in_outbox):
    url = reverse("admin:notify_message_changelist")
    response = admin_client.get(url, {"status__exact": "failed"})
    assert response.status_code == 200
    assert "SEC-TOP" not in response.content.decode()
    robot = Message.objects.get(key="battle:HZ1:robot")
    detail = admin_client.get(reverse("admin:notify_message_change", args=[robot.pk]))
    assert detail.status_code == 200
    assert "SEC-TOP" not in detail.content.decode()
    failed_ids = list(Message.objects.filter(status=Status.FAILED).values_list("id", flat=True))
    response = admin_client.post(
        url, {"action": "retry", "_selected_action": [str(i) for i in failed_ids]}, follow=True
    )
    assert response.status_code == 200
    assert not Message.objects.filter(status=Status.FAILED).exists()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/outbox/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_retry_never_redirects_off_site(client, org, messages_in_outbox, target):
    client.login(username="A1", password=PASSWORD)
    response = client.post(
        reverse("notify:retry"), {"id": messages_in_outbox[1].pk, "next": target}
    )
    assert response.status_code == 302
    assert response.url == reverse("notify:outbox")


def test_retry_returns_to_the_filtered_page(client, org, messages_in_outbox):
    client.login(username="A1", password=PASSWORD)
    back = reverse("notify:outbox") + "?status=failed"
    response = client.post(reverse("notify:retry"), {"id": messages_in_outbox[1].pk, "next": back})
    assert response.url == back


def test_robot_tokens_are_masked_on_the_outbox_page(client, org, messages_in_outbox):
    client.login(username="A1", password=PASSWORD)
    body = client.get(reverse("notify:outbox"), {"channel": "dingtalk"}).content.decode()
    assert "oapi.dingtalk.com/robot/send" in body
    assert "access_token=T" not in body and "SEC-TOP" not in body
