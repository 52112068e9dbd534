import datetime as dt

from tests.broadcast.conftest import DAY
from tests.factories import deal
from tiejun.broadcast.selectors import ENCOURAGE_BEHIND, battle_report, encouragement


def test_battle_report_of_a_branch(company, django_assert_num_queries):
    # when: the calendar, the board (the units with their own targets; the facts per unit with
    # the teams' target sums), then one statement: the reps' facts day by day, their targets and
    # today's deals (the subtree's units are the board's: read once)
    with django_assert_num_queries(4):
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
    # then: the calendar, the board (facts; members with their targets), one statement for the
    # reps' facts day by day and today's deals (a team's targets come from the board)
    with django_assert_num_queries(4):
        data = battle_report(company.team_a, day=DAY).to_json()
    assert len(data["reached_target"]) == 4


def test_empty_unit_has_nulls_not_zeros(org, django_assert_num_queries):
    # the calendar, the board (facts; members with their targets), facts and deals
    with django_assert_num_queries(4):
        data = battle_report(org.team_c, day=DAY).to_json()
    assert data["target"] is None and data["remaining"] is None
    assert data["required_daily"] is None and data["completion"] is None
    assert data["wins"] == [] and data["reached_target"] == [] and data["closest"] == []
    assert data["achieved"] == "0.00"


def test_encouragement_is_deterministic():
    assert encouragement("HZ", DAY, False) == encouragement("HZ", DAY, False)
    lines = {encouragement("HZ", DAY + dt.timedelta(days=i), False) for i in range(30)}
    assert len(lines) > 1


def test_every_rep_gap_closest_first_and_each_unit_standing(company):
    # when
    data = battle_report(company.branch, day=DAY).to_json()
    # then: every rep of the branch, those below target by what is left (flagged closest), then
    # those at target, then those without one
    assert [
        (r["employee_no"], r["remaining"], r["closest"], r["reached"]) for r in data["reps"]
    ] == [
        ("R3", "4000.00", True, False),
        ("R2", "17000.00", True, False),
        ("R1", "0.00", False, True),
        ("R4", None, False, False),
    ]
    assert data["reps_count"] == 4
    assert data["reps"][2]["reached_on"] == "2026-11-27"
    # each team's standing, ranked as on the board
    assert data["units"] == [
        {
            "code": "HZ2",
            "name": "杭州二组",
            "kind": "team",
            "target": "5000.00",
            "achieved": "3500.00",
            "today": "2500.00",
            "remaining": "1500.00",
            "completion": 0.7,
            "required_daily": "1500.00",
            "pace": "behind",
            "rank": 1,
        },
        {
            "code": "HZ1",
            "name": "杭州一组",
            "kind": "team",
            "target": "30000.00",
            "achieved": "14000.00",
            "today": "8000.00",
            "remaining": "16000.00",
            "completion": 0.4667,
            "required_daily": "16000.00",
            "pace": "behind",
            "rank": 2,
        },
    ]
    # the fields of before are all still there
    for key in ("closest", "top", "top_today", "reached_target", "wins", "encouragement"):
        assert key in data


def test_a_region_shows_each_branch_and_a_team_no_units(company):
    region = battle_report(company.region, day=DAY).to_json()
    assert [(u["code"], u["remaining"], u["pace"]) for u in region["units"]] == [
        ("NB", "0.00", "ahead"),
        ("HZ", "17500.00", "behind"),
    ]
    assert {r["employee_no"] for r in region["reps"]} == {"R1", "R2", "R3", "R4", "R5"}
    assert battle_report(company.team_a, day=DAY).to_json()["units"] == []


def test_thirteen_reps_all_listed_five_closest(org, django_assert_num_queries):
    # given: a 13-rep team, none at target, each with a different amount left
    from tests.broadcast.conftest import set_target
    from tests.factories import person

    team = org.team_c
    for i in range(13):
        rep = person(f"T{i:02d}", team)
        org.reps[rep.employee_no] = rep
        set_target(org, rep.employee_no, 100000)
        deal(rep, 5000 * (i + 1), DAY)
    # when: the same queries as any team
    with django_assert_num_queries(4):
        data = battle_report(team, day=DAY).to_json()
    # then
    reps = [r for r in data["reps"] if r["employee_no"].startswith("T")]
    assert len(reps) == 13
    assert [r["employee_no"] for r in reps if r["closest"]] == ["T12", "T11", "T10", "T09", "T08"]
    assert [r["employee_no"] for r in data["closest"]] == ["T12", "T11", "T10", "T09", "T08"]
    assert reps[-1] == {
        "employee_no": "T00",
        "name": "员工T00",
        "target": "100000.00",
        "achieved": "5000.00",
        "today": "5000.00",
        "remaining": "95000.00",
        "completion": 0.05,
        "closest": False,
        "reached": False,
        "reached_on": None,
    }


def test_a_company_shows_each_region_and_each_branch(company, django_assert_num_queries):
    # when: a company report reads two more statements than a region's, as a board above a team
    # reads them: the units with their own targets, then the facts per unit and the teams' sums
    with django_assert_num_queries(6):
        data = battle_report(company.company, day=DAY).to_json()
    # then: its regions (the board's rows) and every branch below them, ranked by completion
    assert [(u["code"], u["kind"]) for u in data["units"]] == [("ZJ", "region")]
    assert [
        (b["code"], b["kind"], b["target"], b["achieved"], b["today"], b["remaining"], b["rank"])
        for b in data["branches"]
    ] == [
        ("NB", "branch", "8000.00", "9000.00", "0.00", "0.00", 1),
        ("HZ", "branch", "35000.00", "17500.00", "10500.00", "17500.00", 2),
    ]
    assert data["branches"][1]["pace"] == "behind" and data["branches"][0]["pace"] == "ahead"
    # below a company there are no such rows
    assert battle_report(company.region, day=DAY).to_json()["branches"] == []
