"""The win feed of the wall TV (issue 14, point 7): the deals that land in the units on screen since
the screen's last poll, as the viewer may see them, with the team's new total; a deal that takes a
rep or the unit on screen to 100 % of target is a milestone."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import client_for, deal
from tiejun.broadcast.models import Milestone
from tiejun.scoreboard.screens import screen_create
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
TODAY = dt.date(2026, 6, 10)
EARLY = dt.date(2026, 5, 1)


@pytest.fixture
def june(org, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(30000), today=EARLY)
    for no in ("R1", "R2"):
        target_set(
            month=MONTH, metric="revenue", person=org.reps[no], value=Decimal(10000), today=EARLY
        )
    deal(org.reps["R1"], 6000, dt.date(2026, 6, 3), today=TODAY)
    deal(org.reps["R2"], 2500, TODAY, today=TODAY)
    return org


def poll(client, query: str, after=None) -> dict:
    url = f"/tv/wins/?{query}" + ("" if after is None else f"&after={after}")
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("max-age=0")
    return response.json()


def test_opening_a_screen_flashes_nothing_old(june):
    first = poll(client_for(june.supervisor_a), "units=HZ1")
    assert first["wins"] == [] and first["more"] == 0
    assert int(first["cursor"]) > 0


def test_a_deal_that_lands_flashes_with_the_teams_new_total(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    # when: a deal lands in the team, another in a team not on screen
    landed = deal(june.reps["R2"], "3200.50", TODAY, customer="XH-01", today=TODAY)
    deal(june.reps["R3"], 9000, TODAY, today=TODAY)
    feed = poll(client, "units=HZ1", cursor)
    # then: one win, with the customer, the amount and the team's total now
    assert [w["deal_no"] for w in feed["wins"]] == [landed.deal_no]
    win = feed["wins"][0]
    assert win["kind"] == "win" and win["milestone"] is None
    assert win["name"] == june.reps["R2"].name
    assert win["customer"] == "客户XH-01"
    assert win["amount"] == "¥3,201"  # whole yuan, rounded half up
    assert win["unit"] == {"code": "HZ1", "name": "杭州一组"}
    assert win["unit_total"] == "¥11,701"  # 6,000 + 2,500 + 3,200.50
    assert win["unit_target"] == "¥30,000"
    assert win["person_total"] == "¥5,701" and win["person_target"] == "¥10,000"
    # and the cursor moved on: the next poll flashes nothing again
    again = poll(client, "units=HZ1", feed["cursor"])
    assert again["wins"] == [] and again["cursor"] == feed["cursor"]


def test_a_screen_over_the_branch_names_the_closest_unit_on_it(june):
    client = client_for(june.manager)
    cursor = poll(client, "units=HZ,HZ2")["cursor"]
    deal(june.reps["R3"], 700, TODAY, today=TODAY)  # team HZ2, on screen itself
    deal(june.reps["R1"], 300, TODAY, today=TODAY)  # team HZ1: only its branch is on screen
    deal(june.reps["R5"], 900, TODAY, today=TODAY)  # Ningbo: not on screen
    feed = poll(client, "units=HZ,HZ2", cursor)
    assert [(w["name"], w["unit"]["code"]) for w in feed["wins"]] == [
        (june.reps["R1"].name, "HZ"),
        (june.reps["R3"].name, "HZ2"),
    ]


def test_the_viewer_sees_only_the_deals_they_may_see(june):
    # a rep's TV of their team: their own deals flash, a teammate's do not (deal details are
    # for the owner and the owner's leaders)
    client = client_for(june.reps["R1"])
    cursor = poll(client, "units=HZ1")["cursor"]
    deal(june.reps["R2"], 800, TODAY, today=TODAY)
    mine = deal(june.reps["R1"], 400, TODAY, today=TODAY)
    feed = poll(client, "units=HZ1", cursor)
    assert [w["deal_no"] for w in feed["wins"]] == [mine.deal_no]
    # a unit the viewer cannot see is not on their screen at all
    assert poll(client, "units=NB1", "0")["wins"] == []


def test_reaching_target_is_a_milestone_once(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    # R1 stands at 6,000 of 10,000: this deal takes them to 100 %
    goal = deal(june.reps["R1"], 4000, TODAY, today=TODAY)
    feed = poll(client, "units=HZ1", cursor)
    assert feed["wins"][0]["deal_no"] == goal.deal_no
    assert feed["wins"][0]["kind"] == "milestone"
    assert feed["wins"][0]["milestone"] == {"scope": "person", "name": june.reps["R1"].name}
    # the next deal of R1 is an ordinary win
    after = deal(june.reps["R1"], 100, TODAY, today=TODAY)
    feed = poll(client, "units=HZ1", feed["cursor"])
    assert [(w["deal_no"], w["kind"]) for w in feed["wins"]] == [(after.deal_no, "win")]


def test_the_team_reaching_its_target_is_the_bigger_milestone(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    # the team stands at 8,500 of 30,000; two deals land between polls, the second crosses
    first = deal(june.reps["R2"], 1000, TODAY, today=TODAY)
    second = deal(june.reps["R2"], 20600, TODAY, today=TODAY)
    feed = poll(client, "units=HZ1", cursor)
    kinds = {w["deal_no"]: (w["kind"], w["milestone"]) for w in feed["wins"]}
    assert kinds[first.deal_no] == ("win", None)
    assert kinds[second.deal_no] == ("milestone", {"scope": "unit", "name": "杭州一组"})


def test_a_milestone_the_battle_reports_recorded_counts_too(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    small = deal(june.reps["R2"], 10, TODAY, today=TODAY)
    Milestone.objects.create(
        month=MONTH, person=june.reps["R2"], reached_on=TODAY, deal_no=small.deal_no
    )
    feed = poll(client, "units=HZ1", cursor)
    assert feed["wins"][0]["kind"] == "milestone"


def test_many_deals_at_once_show_the_newest_and_count_the_rest(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    made = [deal(june.reps["R2"], 100 + i, TODAY, today=TODAY) for i in range(7)]
    feed = poll(client, "units=HZ1", cursor)
    assert [w["deal_no"] for w in feed["wins"]] == [d.deal_no for d in reversed(made[2:])]
    assert feed["more"] == 2


def test_a_deal_of_an_earlier_month_moves_the_cursor_without_a_flash(june):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    late = deal(june.reps["R2"], 500, dt.date(2026, 5, 28), today=TODAY)
    feed = poll(client, "units=HZ1", cursor)
    assert feed["wins"] == [] and feed["cursor"] == str(late.pk)


def test_a_saved_screen_polls_by_its_code(june):
    screen = screen_create(by=june.manager, name="大厅", units=[june.team_a])
    client = client_for(june.manager)
    cursor = poll(client, f"screen={screen.code}")["cursor"]
    landed = deal(june.reps["R1"], 50, TODAY, today=TODAY)
    assert [w["deal_no"] for w in poll(client, f"screen={screen.code}", cursor)["wins"]] == [
        landed.deal_no
    ]


def test_a_bad_cursor_is_a_clear_400(june):
    response = client_for(june.supervisor_a).get("/tv/wins/?units=HZ1&after=yesterday")
    assert response.status_code == 400
    assert response.json() == {"detail": "the cursor must be a whole number"}
    assert client_for(june.supervisor_a).get("/tv/wins/?units=HZ1&after=-3").status_code == 400


def test_polling_costs_a_bounded_number_of_queries(june, django_assert_num_queries):
    client = client_for(june.supervisor_a)
    cursor = poll(client, "units=HZ1")["cursor"]
    with django_assert_num_queries(12):
        poll(client, "units=HZ1", cursor)  # nothing new
    for i in range(3):
        deal(june.reps["R2"], 100 + i, TODAY, today=TODAY)
    poll(client, "units=HZ1", cursor)
    with django_assert_num_queries(21):  # at most five wins: bounded, whatever lands
        assert len(poll(client, "units=HZ1", cursor)["wins"]) == 3
