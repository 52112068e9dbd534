"""The board, its export, a person's page (with the move form) and TV mode."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import client_for, deal, person
from tiejun.org.models import Membership, Person, Role
from tiejun.org.services import membership_move
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.services import target_set
from tiejun.web.templatetags.tiejun_web import figure, money, percent

MONTH = dt.date(2026, 6, 1)
AS_OF = dt.date(2026, 6, 10)
EARLY = dt.date(2026, 5, 1)
PERIOD = "?month=2026-06&as_of=2026-06-10"


def june_results(org):
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(30000), today=EARLY)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(10000), today=EARLY
    )
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R2"], value=Decimal(10000), today=EARLY
    )
    deal(org.reps["R1"], 6000, dt.date(2026, 6, 3))
    deal(org.reps["R1"], "1000.50", dt.date(2026, 6, 10))
    deal(org.reps["R2"], 2500, dt.date(2026, 6, 10))
    deal(org.reps["R3"], 4000, dt.date(2026, 6, 4))


# --- the board ----------------------------------------------------------------------------


def test_board_numbers_are_the_selectors(org):
    # given
    june_results(org)
    expected = board_for_unit(org.team_a, month=MONTH, as_of=AS_OF)
    # when
    response = client_for(org.reps["R1"]).get("/board/HZ1/" + PERIOD)
    html = response.content.decode()
    # then: the page was built from the same board ...
    assert response.context["board"].to_json() == expected.to_json()
    # ... and shows its figures
    m = expected.metric
    assert f'data-figure="achieved">{figure(expected.achieved, m)}<' in html
    assert figure(expected.achieved, m) == "¥9,500.50"
    assert f'data-figure="target">{figure(expected.target, m)}<' in html
    assert f'data-figure="today">{figure(expected.today, m)}<' in html
    assert f'data-figure="remaining">{figure(expected.remaining, m)}<' in html
    assert f'data-figure="completion">{percent(expected.completion)}<' in html
    assert f'data-figure="allocation_gap">{money(expected.allocation_gap)}<' in html
    assert 'data-figure="working_days">8 / 21<' in html
    for row in expected.rows:
        match = re.search(rf'data-code="{row.code}">(.*?)</tr>', html, re.S)
        assert match, row.code
        assert f'data-figure="achieved">{figure(row.achieved, m)}<' in match.group(1)
        assert f'href="/people/{row.code}/' in match.group(1)
    # ahead / behind at a glance: R1 7000.50/10000 vs 8/21 time progress
    assert expected.pace(expected.rows[0]) == "ahead"
    assert 'class="pace-ahead" data-code="R1"' in html


def test_branch_board_drills_down_to_teams(org):
    june_results(org)
    response = client_for(org.manager).get("/board/HZ/" + PERIOD)
    html = response.content.decode()
    assert 'href="/board/HZ1/?month=2026-06&amp;as_of=2026-06-10"' in html
    assert 'href="/board/HZ2/?month=2026-06&amp;as_of=2026-06-10"' in html
    # HZ2 (R3: 4000, no target) ranks after HZ1 (target 30000) by the completion rule
    assert [r.code for r in response.context["board"].rows] == ["HZ1", "HZ2"]


def test_breadcrumb_shows_only_visible_ancestors(org):
    rep_view = client_for(org.reps["R1"]).get("/board/HZ1/").context["breadcrumb"]
    assert [u.code for u in rep_view] == ["HZ"]


def test_breadcrumb_for_admin_goes_to_the_company(org):
    breadcrumb = client_for(org.admin).get("/board/HZ1/").context["breadcrumb"]
    assert [u.code for u in breadcrumb] == ["HQ", "ZJ", "HZ"]


def test_person_who_left_the_team_is_marked(org):
    deal(org.reps["R1"], 500, dt.date(2026, 6, 2))
    membership_move(person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_b)
    html = client_for(org.supervisor_a).get("/board/HZ1/" + PERIOD).content.decode()
    row = re.search(r'<tr class="[^"]*former[^"]*" data-code="R1">', html)
    assert row is not None


def _board_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_board_query_count_does_not_grow_with_rows(org, django_assert_num_queries):
    june_results(org)
    client = client_for(org.admin)
    team_url, company_url = "/board/HZ1/" + PERIOD, "/board/HQ/" + PERIOD
    _board_queries(client, team_url)  # warm up
    # 13: a team board asks once whether a plan has a yearly milestone (the YTD column)
    with django_assert_num_queries(13):
        client.get(team_url)
    with django_assert_num_queries(12):
        client.get(company_url)
    team_before = _board_queries(client, team_url)
    company_before = _board_queries(client, company_url)
    # when: ten more reps with targets and deals in the team
    for i in range(10):
        rep = person(f"X{i}", org.team_a, start=dt.date(2026, 1, 1))
        target_set(month=MONTH, metric="revenue", person=rep, value=Decimal(5000), today=EARLY)
        deal(rep, 100 + i, dt.date(2026, 6, 5))
    # then
    assert len(board_for_unit(org.team_a, month=MONTH, as_of=AS_OF).rows) == 12
    assert _board_queries(client, team_url) == team_before
    assert _board_queries(client, company_url) == company_before


def test_export_returns_xlsx(org):
    pytest.importorskip("tiejun.imports.exports")
    june_results(org)
    response = client_for(org.reps["R1"]).get("/board/HZ1/export.xlsx" + PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "board-HZ1-2026-06" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


# --- a person's page ----------------------------------------------------------------------


def test_my_page_shows_target_done_left(org):
    june_results(org)
    response = client_for(org.reps["R1"]).get("/me/" + PERIOD)
    html = response.content.decode()
    revenue = response.context["figures"][0]
    assert revenue["metric"].code == "revenue"
    assert revenue["f"].target == Decimal(10000)
    assert revenue["f"].achieved == Decimal("7000.50")
    assert 'data-figure="target">¥10,000.00<' in html
    assert 'data-figure="achieved">¥7,000.50<' in html
    assert 'data-figure="remaining">¥2,999.50<' in html
    assert f'data-figure="required_daily">{money(Decimal("2999.50") / 13)}<' in html
    days = response.context["chart"]["days"]
    assert len(days) == 30
    assert days[2]["value"] == Decimal(6000)  # 3 June
    assert days[9]["value"] == Decimal("1000.50")
    assert days[10]["future"]
    assert response.context["form"] is None  # a rep may not move anyone


def test_transfer_form_moves_a_person(org):
    client = client_for(org.manager)
    assert client.get("/people/R1/").context["form"] is not None
    response = client.post(
        "/people/R1/",
        {"effective_date": "2026-07-01", "unit": org.team_b.pk, "role": Role.REP},
    )
    assert response.status_code == 302
    assert response.url == "/people/R1/"
    history = list(Membership.objects.filter(person=org.reps["R1"]).order_by("valid_from"))
    assert [(m.unit.code, m.valid_to) for m in history] == [
        ("HZ1", dt.date(2026, 6, 30)),
        ("HZ2", None),
    ]
    page = client.get("/people/R1/")
    assert len(page.context["history"]) == 2
    assert page.content.decode().count('class="membership"') == 2
    assert "flash-success" in page.content.decode()


def test_promotion_to_supervisor(org):
    client = client_for(org.admin)
    response = client.post(
        "/people/R2/",
        # the team has a supervisor already: the page asks, and this is the confirmation
        {
            "effective_date": "2026-08-01",
            "unit": org.team_a.pk,
            "role": Role.SUPERVISOR,
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(person=org.reps["R2"], valid_to=None).role == Role.SUPERVISOR


def test_transfer_form_shows_an_error_for_a_bad_date(org):
    client = client_for(org.manager)
    response = client.post(
        "/people/R1/",
        {"effective_date": "2024-12-01", "unit": org.team_b.pk, "role": Role.REP},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["effective_date"]
    assert "field-error" in response.content.decode()
    assert Membership.objects.filter(person=org.reps["R1"]).count() == 1
    not_a_date = client.post(
        "/people/R1/", {"effective_date": "soon", "unit": org.team_b.pk, "role": Role.REP}
    )
    assert not_a_date.status_code == 400
    assert Membership.objects.filter(person=org.reps["R1"]).count() == 1


def test_transfer_only_into_units_one_manages(org):
    response = client_for(org.manager).post(
        "/people/R1/", {"effective_date": "2026-07-01", "unit": org.team_c.pk, "role": Role.REP}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]
    assert Membership.objects.filter(person=org.reps["R1"]).count() == 1


def test_a_rep_may_not_move_anyone(org):
    response = client_for(org.reps["R1"]).post(
        "/people/R2/", {"effective_date": "2026-07-01", "unit": org.team_b.pk, "role": Role.REP}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(person=org.reps["R2"]).count() == 1


# --- TV mode ------------------------------------------------------------------------------


def test_tv_rotates_through_the_visible_chosen_units(org):
    june_results(org)
    response = client_for(org.reps["R1"]).get("/tv/?units=HZ1,NB1,HZ2&interval=12")
    assert [u.code for u in response.context["units"]] == ["HZ1", "HZ2"]  # NB1 is skipped
    html = response.content.decode()
    assert 'hx-get="/tv/panel/HZ2/?units=HZ1%2CHZ2&amp;metric=revenue&amp;interval=12"' in html
    assert 'hx-trigger="load delay:12s"' in html
    assert 'id="tv-time"' in html
    # the panel fetches fresh figures and points on to the next unit
    panel = client_for(org.reps["R1"]).get("/tv/panel/HZ2/?units=HZ1,HZ2&interval=12")
    assert panel.status_code == 200
    assert "<html" not in panel.content.decode()
    assert panel.context["panel"]["board"].unit.code == "HZ2"
    assert "/tv/panel/HZ1/?units=HZ1%2CHZ2" in panel.content.decode()


def test_tv_defaults_to_the_default_unit_and_its_children(org, settings):
    settings.TV_ROTATE_SECONDS = 45
    response = client_for(org.manager).get("/tv/")
    assert [u.code for u in response.context["units"]] == ["HZ", "HZ1", "HZ2"]
    assert 'hx-trigger="load delay:45s"' in response.content.decode()


def test_tv_with_no_visible_unit_says_so(org):
    response = client_for(org.reps["R1"]).get("/tv/?units=NB1")
    assert response.status_code == 200
    assert response.context["units"] == []
    assert "tv-empty" in response.content.decode()


def test_tv_panel_shows_fresh_figures(org, time_machine):
    # TV mode shows today: a fixed one, whatever the day the test runs
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, tzinfo=ZoneInfo(settings.TIME_ZONE)))
    client = client_for(org.reps["R1"])
    client.get("/tv/panel/HZ1/")
    today = dt.date(2026, 6, 10)
    deal(org.reps["R2"], 777, today, today=today)
    panel = client.get("/tv/panel/HZ1/")
    assert panel.context["panel"]["board"].today == Decimal(777)
    assert "¥777" in panel.content.decode()


@pytest.mark.parametrize(
    ("who", "url", "queries"),
    [
        ("R1", "/board/HZ1/" + PERIOD, 15),  # + is a yearly plan milestone in force
        ("M1", "/board/HZ/" + PERIOD, 12),
        ("M1", "/people/R1/" + PERIOD, 24),
        ("R1", "/me/" + PERIOD, 13),
        ("R1", "/tv/", 14),
        ("R1", "/tv/panel/HZ1/?units=HZ1,HZ2", 10),
    ],
)
def test_page_query_counts_are_pinned(
    org, django_assert_num_queries, time_machine, who, url, queries
):
    # TV mode shows today: a fixed today keeps the year's calendar (and so the
    # calendar warning's query) the same whenever the test runs.
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, tzinfo=ZoneInfo(settings.TIME_ZONE)))
    june_results(org)
    client = client_for(Person.objects.get(employee_no=who))
    client.get(url)  # warm up
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
