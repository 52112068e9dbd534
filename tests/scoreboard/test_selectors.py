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


def test_board_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    for rep in org.reps.values():
        deal(rep, 100, dt.date(2026, 6, 2))
    with django_assert_max_num_queries(6):
        board_for_unit(org.company, month=MONTH, as_of=dt.date(2026, 6, 10))
    with django_assert_max_num_queries(6):
        board_for_unit(org.team_a, month=MONTH, as_of=dt.date(2026, 6, 10))
