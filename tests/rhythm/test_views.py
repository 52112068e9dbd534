import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from tests.factories import deal, person
from tests.rhythm.test_selectors import DAY, JUNE_WORKDAYS_TO_DAY, _target
from tiejun.org.services import unit_create

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
        ("/rhythm/kickoff/HZ/", ["Morning kickoff", "Needed today", "杭州一组", "员工R1", "today has not elapsed yet"], 15),
        ("/rhythm/review/HZ/", ["Evening review", "prob-fill", "No won deal for 7 working days.", "Allocation gap", "No track record yet"], 20),
        ("/rhythm/risks/HZ/", ["Risks across the subtree", "Behind time progress", "/board/HZ/"], 20),
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


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("", "/tv/?units=HZ1&panels=kickoff"),
        ("?seconds=30&interval=20", "/tv/?units=HZ1&panels=kickoff&seconds=30&interval=20"),
        ("?units=NB1&panels=board&sound=1", "/tv/?units=HZ1&panels=kickoff&sound=1"),
    ],
)
def test_the_old_kickoff_tv_page_sends_to_the_wall_tv(client, company, query, location):
    client.force_login(company.manager)
    response = client.get("/rhythm/kickoff/HZ1/tv/" + query)
    assert response.status_code == 302
    assert response["Location"] == location


def test_the_old_kickoff_tv_page_keeps_its_visibility_rule(client, company):
    client.force_login(company.manager)  # manager of HZ: NB is not theirs
    assert client.get("/rhythm/kickoff/NB1/tv/").status_code == 404
    assert client.get("/rhythm/kickoff/NOPE/tv/").status_code == 404
    assert client.get("/rhythm/kickoff/HZ2/tv/").status_code == 302
    client.logout()
    anonymous = client.get("/rhythm/kickoff/HZ1/tv/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_old_kickoff_tv_url_shows_all_of_a_13_rep_team(client, org, time_machine):
    """The old page showed one screen and cut a long team off; the wall TV pages it (7 + 6)."""
    # given: a team of 13 reps, each with a target this month
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    team = unit_create(code="HZ-BIG", name="杭州直销一部", kind="team", parent=org.branch)
    reps = [person(f"B{i:02d}", team) for i in range(1, 14)]
    for rep in reps:
        _target(10000, person=rep)
    client.force_login(org.manager)
    # when
    screen = client.get(f"/rhythm/kickoff/{team.code}/tv/", follow=True)
    # then
    assert screen.redirect_chain[-1][0] == f"/tv/?units={team.code}&panels=kickoff"
    first = screen.content.decode()
    assert 'data-panel="kickoff"' in first
    turn = unescape(first[first.index(f'hx-get="/tv/panel/{team.code}/') :].split('"', 2)[1])
    assert turn.endswith("panels=kickoff&panel=kickoff&page=2")
    second = client.get(turn).content.decode()
    shown = re.findall(r'<tr data-code="([^"]+)"', first) + re.findall(
        r'<tr data-code="([^"]+)"', second
    )
    assert sorted(shown) == sorted(r.employee_no for r in reps)


def test_bad_date_is_a_clear_400(client, company):
    client.force_login(company.manager)
    response = client.get("/rhythm/review/HZ/?date=2026-13-01")
    assert response.status_code == 400
    assert "date must be a date YYYY-MM-DD" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, company):
    response = client.get("/rhythm/kickoff/HZ/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_kickoff_total_adds_up_or_says_why(client, company):
    """Issue 14: the reps' total is the sum of the rows; the team's own target (above it here)
    is shown apart, with the reason."""
    client.force_login(company.manager)
    html = client.get("/rhythm/kickoff/HZ1/" + Q).content.decode()
    total = html[html.index('data-row="reps_total"') :]
    total = total[: total.index("</tr>")]
    assert '<th class="num" data-figure="target">¥20,000.00</th>' in total  # 10,000 + 10,000
    assert "Team (own figures)" in html and "¥40,000.00" in html
    assert "is ¥20,000.00 above what its reps" in html


def test_kickoff_group_sums():
    from decimal import Decimal

    from tiejun.rhythm.selectors.kickoff import KickoffGroup, KickoffRow

    def row(code, target, done):
        return KickoffRow("person", code, code, target, Decimal(done), Decimal(0), Decimal(0), 4)

    team = row("T", Decimal(100), 50)
    group = KickoffGroup(team, [row("A", Decimal(60), 70), row("B", Decimal(60), 10)])
    assert group.reps_total.target == Decimal(120) and group.reps_total.done == Decimal(80)
    assert group.left_total == Decimal(50)  # A is ahead: nothing left, B 50
    assert group.target_gap == Decimal(-20) and group.target_gap_size == Decimal(20)
    assert group.done_gap == Decimal(-30)


def test_risk_labels_money_and_legend(client, company):
    """Issue 14: every kind has a label (no raw `missing_report`), money reads as money, the
    legend lists every kind."""
    from tiejun.rhythm.selectors.risks import RISK_KINDS

    client.force_login(company.manager)
    html = client.get("/rhythm/review/HZ/" + Q).content.decode()
    assert "¥40,000.00" in html and "40000.00 " not in html
    legend = html[html.index('class="risk-legend') :]
    for kind in RISK_KINDS:
        assert f'<div class="risk-{kind}">' in legend, kind
    assert "No daily report" in legend and "Too few visits" in legend
    labels = client.get("/rhythm/risks/HZ/" + Q).content.decode()
    for raw in ("missing_report</span>", "visit_shortfall</span>", ">behind<", ">idle<"):
        assert raw not in labels


def test_risks_filter_by_kind_and_unit(client, company):
    client.force_login(company.manager)
    everything = client.get("/rhythm/risks/HZ/" + Q).context["board"]
    kinds = {r.kind for r in everything.risks}
    assert {"idle", "allocation_gap"} <= kinds
    idle = client.get("/rhythm/risks/HZ/" + Q + "&kind=idle").context["board"]
    assert idle.risks and {r.kind for r in idle.risks} == {"idle"}
    assert idle.total == len(everything.risks)
    team_b = client.get("/rhythm/risks/HZ/" + Q + "&within=HZ2").context["board"]
    assert all(r.unit == "HZ2" for r in team_b.risks)
    assert {r.code for r in team_b.risks} < {r.code for r in everything.risks}
    odd = client.get("/rhythm/risks/HZ/" + Q + "&kind=nope&within=NB1").context["board"]
    assert (odd.kind, odd.within, len(odd.risks)) == ("", "", len(everything.risks))
    html = client.get("/rhythm/risks/HZ/" + Q + "&kind=idle").content.decode()
    assert '<option value="idle" selected>' in html
