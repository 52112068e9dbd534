"""The field notes page: post, search, tags, star."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tiejun.field.models import FieldNote
from tiejun.field.services.notes import note_post

pytestmark = pytest.mark.django_db
URL = reverse("field:notes")


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _note(rep, objection="价格太贵", tags="价格"):
    return note_post(
        person=rep, customer_type="餐饮", objection=objection, answer="算总账", tags=tags
    )


def test_post_then_find_it(org, django_assert_num_queries):
    client = _client(org.reps["R1"])
    response = client.post(
        URL,
        {"customer_type": "工厂", "objection": "已有供应商", "answer": "小单试用", "tags": "竞品"},
    )
    assert response.status_code == 302
    for i in range(5):
        _note(org.reps["R3"], objection=f"异议{i}")
    client.get(URL)
    with django_assert_num_queries(6):
        response = client.get(URL, {"q": "供应商"})
    body = response.content.decode()
    assert response.status_code == 200 and "小单试用" in body and "异议1" not in body
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert "#竞品" in response.content.decode()
    assert "异议4" in client.get(URL, {"tag": "价格"}).content.decode()


def test_a_bad_post_keeps_the_form_and_writes_nothing(org):
    response = _client(org.reps["R1"]).post(URL, {"customer_type": "工厂", "objection": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "is required" in body and 'value="工厂"' in body
    assert not FieldNote.objects.exists()


def test_supervisor_stars_a_note_and_it_heads_the_page(org):
    note = _note(org.reps["R2"], objection="要先问老板")
    star = reverse("field:note_star", args=[note.pk])
    # a rep sees no star button and may not star
    rep = _client(org.reps["R4"])
    assert star not in rep.get(URL).content.decode()
    assert rep.post(star).status_code == 403
    # the supervisor stars it
    supervisor = _client(org.supervisor_a)
    assert star in supervisor.get(URL).content.decode()
    assert supervisor.post(star, {"next": "https://evil.example/"}).url == URL
    note.refresh_from_db()
    assert note.starred_by == org.supervisor_a
    body = rep.get(URL).content.decode()
    assert 'id="best"' in body and body.index("要先问老板") < body.index('id="all-notes"')
    # Ningbo sees neither the note nor may star it
    other = _client(org.reps["R5"])
    assert "要先问老板" not in other.get(URL).content.decode()
    assert other.post(star).status_code == 404
