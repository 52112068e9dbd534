import datetime as dt

from tests.broadcast.conftest import DAY
from tests.factories import deal
from tiejun.broadcast.selectors import ENCOURAGE_BEHIND, battle_report, encouragement


def test_battle_report_of_a_branch(company, django_assert_num_queries):
    # when: the calendar, the board (units, facts, two for targets), the reps' facts day by
    # day, their targets, today's deals (the subtree's units are the board's: read once)
    with django_assert_num_queries(8):
        report = battle_report(company.branch, day=DAY)
        data = report.to_json()
    # then: the board's headline figures (targets are the reps' 35,000)
    assert data["unit"] == {"code": "HZ", "name": "杭州分公司", "kind": "branch"}
    assert data["date"] == "2026-11-27"
    assert (data["target"], data["achieved"], data["today"]) == ("35000.00", "17500.00", "10500.00")
    assert data["remaining"] == "17500.00"
    assert data["required_daily"] == "17500.00"  # one working day left (Monday 30th)
    assert data["completion"] == 0.5
    assert [w["deal_no"] for w in data["wins"]] == ["W-2", "W-3", "W-5"]
    assert data["wins"][1] == {
        "deal_no": "W-3",
        "employee_no": "R2",
        "name": "员工R2",
        "customer_name": "客户K-2",
        "amount": "3000.00",
        "channel": "salon",
    }
    assert data["wins_total"] == "10500.00"
    assert data["reached_target"] == [
        {
            "employee_no": "R1",
            "name": "员工R1",
            "completion": 1.1,
            "reached_on": "2026-11-27",
            "new": True,
        }
    ]
    assert [(r["employee_no"], r["remaining"]) for r in data["closest"]] == [
        ("R3", "4000.00"),
        ("R2", "17000.00"),
    ]
    assert [r["employee_no"] for r in data["top"]] == ["R1", "R3", "R2"]
    assert [(r["employee_no"], r["today"]) for r in data["top_today"]] == [
        ("R1", "5000.00"),
        ("R2", "3000.00"),
        ("R4", "2500.00"),
    ]
    assert data["encouragement"] in [str(line) for line in ENCOURAGE_BEHIND]


def test_reached_on_is_the_first_day_at_100_percent(company):
    # given: R1 is at 11,000 of 10,000 on the 27th; a later deal does not move the date
    deal(company.reps["R1"], 700, dt.date(2026, 11, 28), deal_no="W-7")
    # when
    data = battle_report(company.team_a, day=dt.date(2026, 11, 28)).to_json()
    # then
    assert data["reached_target"][0]["reached_on"] == "2026-11-27"
    assert data["reached_target"][0]["new"] is False
    assert data["wins"][0]["deal_no"] == "W-7"
    assert data["today"] == "700.00"


def test_team_query_count_does_not_grow_with_reps(company, django_assert_num_queries):
    # given: three more reps at 100 % in the team
    from tests.broadcast.conftest import set_target
    from tests.factories import person

    for no in ("R6", "R7", "R8"):
        company.reps[no] = person(no, company.team_a)
        set_target(company, no, 1000)
        deal(company.reps[no], 1000, DAY)
    # then: the calendar, the board (facts, members, targets), the reps' facts day by day,
    # their targets, today's deals
    with django_assert_num_queries(7):
        data = battle_report(company.team_a, day=DAY).to_json()
    assert len(data["reached_target"]) == 4


def test_empty_unit_has_nulls_not_zeros(org, django_assert_num_queries):
    # the calendar, the board (facts, members, targets), facts, targets, deals
    with django_assert_num_queries(7):
        data = battle_report(org.team_c, day=DAY).to_json()
    assert data["target"] is None and data["remaining"] is None
    assert data["required_daily"] is None and data["completion"] is None
    assert data["wins"] == [] and data["reached_target"] == [] and data["closest"] == []
    assert data["achieved"] == "0.00"


def test_encouragement_is_deterministic():
    assert encouragement("HZ", DAY, False) == encouragement("HZ", DAY, False)
    lines = {encouragement("HZ", DAY + dt.timedelta(days=i), False) for i in range(30)}
    assert len(lines) > 1
