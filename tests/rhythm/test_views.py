import datetime as dt

import pytest

from tests.factories import deal
from tests.rhythm.test_selectors import DAY, JUNE_WORKDAYS_TO_DAY, _target

Q = f"?date={DAY.isoformat()}"


@pytest.fixture
def company(org):
    _target(40000, unit=org.team_a)
    _target(10000, person=org.reps["R1"])
    _target(10000, person=org.reps["R2"])
    for day in JUNE_WORKDAYS_TO_DAY:
        deal(org.reps["R1"], 1000, day)
    deal(org.reps["R2"], 500, dt.date(2026, 6, 1))
    return org


@pytest.mark.parametrize(
    ("url", "expected", "queries"),
    [
        ("/rhythm/kickoff/HZ/", ["Morning kickoff", "Needed today", "杭州一组", "员工R1", "today has not elapsed yet"], 17),
        ("/rhythm/kickoff/HZ1/tv/", ["http-equiv=\"refresh\"", "tv kickoff-tv", "员工R2"], 15),
        ("/rhythm/review/HZ/", ["Evening review", "prob-fill", "No won deal for 7 working days.", "Allocation gap"], 18),
        ("/rhythm/risks/HZ/", ["Risks across the subtree", "Behind time progress", "/board/HZ/"], 18),
    ],
)  # fmt: skip
def test_pages_render(client, company, django_assert_num_queries, url, expected, queries):
    client.force_login(company.manager)
    client.get(url + Q)  # warm up
    with django_assert_num_queries(queries):
        response = client.get(url + Q)
    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html, text


def test_kickoff_print_stylesheet_is_linked(client, company):
    client.force_login(company.reps["R1"])
    html = client.get("/rhythm/kickoff/HZ1/" + Q).content.decode()
    assert "rhythm/rhythm.css" in html
    assert "data-print" in html  # printed by web/tiejun.js (no inline handler under the CSP)
    from django.contrib.staticfiles import finders

    with open(finders.find("rhythm/rhythm.css"), encoding="utf-8") as css:
        assert "@media print" in css.read()


@pytest.mark.parametrize("name", ["kickoff", "review", "risks"])
def test_units_out_of_sight_are_not_found(client, company, name):
    client.force_login(company.manager)  # manager of HZ: NB is not theirs
    assert client.get(f"/rhythm/{name}/NB1/{Q}").status_code == 404
    assert client.get(f"/rhythm/{name}/NOPE/{Q}").status_code == 404
    assert client.get(f"/rhythm/{name}/HZ2/{Q}").status_code == 200


def test_bad_date_is_a_clear_400(client, company):
    client.force_login(company.manager)
    response = client.get("/rhythm/review/HZ/?date=2026-13-01")
    assert response.status_code == 400
    assert "date must be a date YYYY-MM-DD" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, company):
    response = client.get("/rhythm/kickoff/HZ/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
