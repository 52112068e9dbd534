import datetime as dt
from decimal import Decimal

from tests.factories import deal
from tiejun.org.models import Role
from tiejun.org.services import membership_move
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
EARLY = dt.date(2026, 5, 1)  # before June's lock


def test_team_board_follows_the_rules(org):
    # given: June 2026 has 21 working days (Dragon Boat Festival on 19 June)
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(30000), today=EARLY)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(10000), today=EARLY
    )
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R2"], value=Decimal(10000), today=EARLY
    )
    deal(org.reps["R1"], 6000, dt.date(2026, 6, 3))
    deal(org.reps["R1"], 1000, dt.date(2026, 6, 10))
    deal(org.reps["R2"], 2500, dt.date(2026, 6, 10))
    deal(org.reps["R2"], 999, dt.date(2026, 6, 11))  # after as_of: not counted
    # when
    board = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10), metric="revenue")
    data = board.to_json()
    # then
    assert data["working_days"] == {"total": 21, "elapsed": 8}
    assert data["target"] == "30000.00"
    assert data["achieved"] == "9500.00"
    assert data["today"] == "3500.00"
    assert data["remaining"] == "20500.00"
    assert data["completion"] == round(9500 / 30000, 4)
    assert data["time_progress"] == round(8 / 21, 4)
    assert data["required_daily"] == f"{Decimal(20500) / 13:.2f}"
    assert data["allocation_gap"] == "10000.00"
    assert [r["code"] for r in data["rows"]] == ["R1", "R2"]
    assert data["rows"][0]["rank"] == 1
    assert data["rows"][0]["completion"] == 0.7


def test_unit_target_falls_back_to_children_and_moves_follow_history(org):
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(100), today=EARLY
    )
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R3"], value=Decimal(300), today=EARLY
    )
    deal(org.reps["R1"], 50, dt.date(2026, 6, 2))
    membership_move(person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_b)
    deal(org.reps["R1"], 70, dt.date(2026, 6, 9))

    branch = board_for_unit(org.branch, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    rows = {r["code"]: r for r in branch["rows"]}
    assert branch["target"] == "400.00"  # no own target: the sum of the teams'
    assert branch["allocation_gap"] == "0.00"
    assert rows["HZ1"]["achieved"] == "50.00" and rows["HZ1"]["target"] is None
    assert rows["HZ2"]["achieved"] == "70.00" and rows["HZ2"]["target"] == "400.00"

    old_team = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    new_team = board_for_unit(org.team_b, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    assert {r["code"]: r["target"] for r in old_team["rows"]}["R1"] is None
    assert {r["code"]: (r["target"], r["achieved"]) for r in new_team["rows"]}["R1"] == (
        "100.00",
        "70.00",
    )


def test_backdated_transfer_recredits_facts(org):
    deal(org.reps["R1"], 80, dt.date(2026, 6, 9))
    membership_move(
        person=org.reps["R1"], effective=dt.date(2026, 6, 8), unit=org.team_b, role=Role.REP
    )
    a = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 30)).to_json()
    b = board_for_unit(org.team_b, month=MONTH, as_of=dt.date(2026, 6, 30)).to_json()
    assert a["achieved"] == "0.00"
    assert b["achieved"] == "80.00"


def test_board_query_count_does_not_grow_with_rows(org, django_assert_num_queries):
    for rep in org.reps.values():
        deal(rep, 100, dt.date(2026, 6, 2))
    # above a team: the calendar, the subtree with the units' own targets, then the facts per
    # unit and the teams' sums of their members' targets in one statement
    with django_assert_num_queries(3):
        board_for_unit(org.company, month=MONTH, as_of=dt.date(2026, 6, 10))
    # a team: its facts, and its members with their targets and the team's own in one
    with django_assert_num_queries(3):
        board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10))


def test_company_calendar_overrides_change_time_progress(org):
    from tiejun.org.models import WorkdayOverride

    before = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    WorkdayOverride.objects.create(date=dt.date(2026, 6, 5), is_workday=False, note="团建")
    WorkdayOverride.objects.create(date=dt.date(2026, 6, 6), is_workday=True, note="补班")
    after = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    assert before["working_days"] == {"total": 21, "elapsed": 8}
    assert after["working_days"] == {"total": 21, "elapsed": 8}
    WorkdayOverride.objects.create(date=dt.date(2026, 6, 13), is_workday=True, note="补班")
    later = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    assert later["working_days"] == {"total": 22, "elapsed": 8}
    assert later["time_progress"] == round(8 / 22, 4)


def test_undefined_figures_are_null(org):
    # no target anywhere, and as of the month's last working day
    data = board_for_unit(org.company, month=MONTH, as_of=dt.date(2026, 6, 30)).to_json()
    assert data["target"] is None
    assert data["remaining"] is None
    assert data["completion"] is None
    assert data["required_daily"] is None
    assert data["allocation_gap"] == "0.00"
    assert all(r["rank"] == i for i, r in enumerate(data["rows"], start=1))


def test_new_customers_counts_first_won_deals_only(org):
    target_set(
        month=MONTH, metric="new_customers", person=org.reps["R1"], value=Decimal(3), today=EARLY
    )
    deal(org.reps["R1"], 100, dt.date(2026, 5, 20), customer="OLD")
    deal(org.reps["R1"], 100, dt.date(2026, 6, 2), customer="OLD")  # a repeat customer
    deal(org.reps["R1"], 100, dt.date(2026, 6, 3), customer="NEW1")
    deal(org.reps["R1"], 100, dt.date(2026, 6, 3), customer="NEW1")
    deal(org.reps["R2"], 100, dt.date(2026, 6, 10), customer="NEW2")
    data = board_for_unit(
        org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10), metric="new_customers"
    ).to_json()
    rows = {r["code"]: r for r in data["rows"]}
    assert data["achieved"] == 2
    assert data["today"] == 1
    assert rows["R1"]["achieved"] == 1
    assert rows["R1"]["target"] == 3
    assert rows["R1"]["required_daily"] == round(2 / 13, 2)


def test_rank_orders_by_completion_then_achieved_then_code(org):
    for no in ("R1", "R2"):
        target_set(
            month=MONTH, metric="revenue", person=org.reps[no], value=Decimal(1000), today=EARLY
        )
    deal(org.reps["R2"], 500, dt.date(2026, 6, 2))
    deal(org.reps["R1"], 500, dt.date(2026, 6, 2))
    deal(org.supervisor_a, 900, dt.date(2026, 6, 2))  # a leader's own deal: no target, ranks last
    data = board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10)).to_json()
    assert [(r["code"], r["rank"]) for r in data["rows"]] == [("R1", 1), ("R2", 2), ("S1", 3)]
