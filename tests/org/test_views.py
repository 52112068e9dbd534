"""The org tree with its headcounts, and a unit's members on a day."""

import datetime as dt

import pytest

from tests.factories import client_for
from tiejun.org.services import membership_move


def test_org_tree_has_headcounts_and_board_links(org):
    response = client_for(org.manager).get("/org/")
    html = response.content.decode()
    [tree] = response.context["trees"]
    assert [(i["node"].unit.code, i["node"].headcount, i["total"]) for i in tree] == [
        ("HZ", 1, 6),
        ("HZ1", 3, 3),
        ("HZ2", 2, 2),
    ]
    assert 'href="/board/HZ1/"' in html
    assert "NB1" not in html


def test_org_tree_for_admin_counts_the_whole_company(org):
    [tree] = client_for(org.admin).get("/org/").context["trees"]
    assert tree[0]["node"].unit.code == "HQ"
    assert tree[0]["total"] == 8  # R1..R5, S1, M1, A1


def test_unit_members_on_a_date(org):
    client = client_for(org.manager)
    membership_move(person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_b)
    before = client.get("/org/HZ1/?on=2026-06-07")
    after = client.get("/org/HZ1/?on=2026-06-08")
    assert {m.person.employee_no for m in before.context["members"]} == {"R1", "R2", "S1"}
    assert {m.person.employee_no for m in after.context["members"]} == {"R2", "S1"}
    assert "2025-01-01" in after.content.decode()  # since when
    assert client.get("/org/HZ1/?on=tomorrow").status_code == 400


@pytest.mark.parametrize(("url", "queries"), [("/org/", 6), ("/org/HZ1/", 14)])
def test_page_query_counts_are_pinned(org, django_assert_num_queries, url, queries):
    client = client_for(org.manager)
    client.get(url)  # warm up
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_move_form_date_defaults_to_today_in_chinese_too(org, settings):
    """Issue 14: an <input type="date"> takes ISO 8601 only; the localised 2026/12/04 showed
    an empty field on a Chinese page."""
    from django.utils import timezone, translation

    from tiejun.org.forms import MoveForm
    from tiejun.org.models import Unit

    today = timezone.localdate()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            form = MoveForm(units=Unit.objects.all(), initial={"effective_date": today})
            assert f'value="{today.isoformat()}"' in str(form["effective_date"]), language
    client = client_for(org.manager)
    html = client.get("/people/R1/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'name="effective_date" value="{today.isoformat()}"' in html
