import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deal, person
from tiejun.org.models import Role, UnitKind
from tiejun.org.services import unit_create
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set
from tiejun.workdays import add_months

# "now" is real in views: next month is always open, last month always locked.
# The targets pages read the clock (next month, the lock): it is fixed, whatever the day the
# tests run.
TODAY = dt.date(2026, 12, 16)
NEXT = add_months(TODAY, 1)
PREV = add_months(TODAY, -1)
EARLY = add_months(TODAY, -3)  # a "today" before last month locked


@pytest.fixture(autouse=True)
def _fixed_clock(time_machine):
    time_machine.move_to(
        dt.datetime.combine(TODAY, dt.time(10, 30), tzinfo=ZoneInfo(settings.TIME_ZONE))
    )


def url(code, month=NEXT, metric="revenue"):
    return f"/targets/{code}/?month={month:%Y-%m}&metric={metric}"


def unit_targets(month=NEXT, metric="revenue"):
    return dict(
        Target.objects.filter(month=month, metric=metric, unit__isnull=False).values_list(
            "unit__code", "value"
        )
    )


def person_targets(month=NEXT, metric="revenue"):
    return dict(
        Target.objects.filter(month=month, metric=metric, person__isnull=False).values_list(
            "person__employee_no", "value"
        )
    )


def test_index_redirects_to_the_default_unit_next_month(org, client):
    client.force_login(org.reps["R1"])
    response = client.get("/targets/")
    assert response.status_code == 302
    assert response["Location"] == f"/targets/HZ1/?month={NEXT:%Y-%m}&metric=revenue"


def test_login_is_required(org, client):
    response = client.get(url("HZ"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_manager_sees_children_gaps_and_the_split_form(org, client):
    # given
    target_set(month=NEXT, metric="revenue", unit=org.branch, value=Decimal(1000))
    target_set(month=NEXT, metric="revenue", unit=org.team_a, value=Decimal(600))
    target_set(month=NEXT, metric="revenue", person=org.reps["R1"], value=Decimal(200))
    client.force_login(org.manager)
    # when
    response = client.get(url("HZ"))
    # then
    assert response.status_code == 200
    cascade = response.context["cascade"]
    assert cascade.own == Decimal(1000) and cascade.gap == Decimal(400)
    assert {r.code: r.gap for r in cascade.rows} == {"HZ1": Decimal(400), "HZ2": 0}
    html = response.content.decode()
    assert 'id="split-form"' in html
    assert f'href="/targets/HZ1/?month={NEXT:%Y-%m}&amp;metric=revenue"' in html
    assert ">400.00<" in html
    assert response.context["locked"] is False
    assert len(response.context["changes"]) == 2  # the unit and its children, not R1


def test_rep_sees_the_page_but_cannot_edit(org, client):
    client.force_login(org.reps["R1"])
    response = client.get(url("HZ"))
    assert response.status_code == 200
    assert 'id="split-form"' not in response.content.decode()
    response = client.post(url("HZ"), {"total": "1000", "method": "even", "save": "1"})
    assert response.status_code == 403
    assert not Target.objects.exists()


def test_a_supervisor_cannot_split_the_branch_but_can_split_the_team(org, client):
    client.force_login(org.supervisor_a)
    assert client.post(url("HZ"), {"total": "10", "method": "even", "save": "1"}).status_code == 403
    response = client.post(url("HZ1"), {"total": "10", "method": "even", "save": "1"})
    assert response.status_code == 302
    assert person_targets() == {"R1": Decimal(5), "R2": Decimal(5)}


@pytest.mark.parametrize("code", ["NB", "NB1", "HQ", "NOPE"])
def test_units_not_visible_are_not_found(org, client, code):
    client.force_login(org.reps["R1"])
    assert client.get(url(code)).status_code == 404
    assert client.post(url(code), {"total": "1", "method": "even"}).status_code == 404


def test_even_split_writes_the_unit_and_its_children(org, client):
    client.force_login(org.manager)
    response = client.post(url("HZ"), {"total": "1000.01", "method": "even", "save": "1"})
    assert response.status_code == 302
    assert response["Location"] == url("HZ")
    assert unit_targets() == {
        "HZ": Decimal("1000.01"),
        "HZ1": Decimal("500.01"),
        "HZ2": Decimal(500),
    }
    assert TargetChange.objects.filter(changed_by=org.manager).count() == 3


def test_split_by_last_months_share(org, client):
    # the last complete month counts; this half-finished month does not
    last = PREV.replace(day=18)
    deal(org.reps["R1"], 300, last, today=TODAY)
    deal(org.reps["R3"], 100, last, today=TODAY)
    deal(org.reps["R3"], 5000, TODAY.replace(day=2), today=TODAY)
    client.force_login(org.manager)
    client.post(url("HZ"), {"total": "1000", "method": "last_month", "save": "1"})
    assert unit_targets() == {"HZ": Decimal(1000), "HZ1": Decimal(750), "HZ2": Decimal(250)}


def test_preview_shows_shares_and_writes_nothing(org, client):
    client.force_login(org.manager)
    response = client.post(url("HZ"), {"total": "1001", "method": "even", "preview": "1"})
    assert response.status_code == 200
    assert sorted(response.context["preview"].values()) == [Decimal("500.50"), Decimal("500.50")]
    assert 'id="preview-total">¥1,001.00<' in response.content.decode()
    assert not Target.objects.exists()


def test_split_by_hand_sets_each_child_and_shows_the_gap(org, client):
    client.force_login(org.manager)
    form = {
        "total": "1000",
        "method": "manual",
        f"share_unit_{org.team_a.pk}": "300",
        f"share_unit_{org.team_b.pk}": "",
        "save": "1",
    }
    assert client.post(url("HZ"), form).status_code == 302
    assert unit_targets() == {"HZ": Decimal(1000), "HZ1": Decimal(300)}
    page = client.get(url("HZ"))
    assert page.context["cascade"].gap == Decimal(700)


def test_split_by_hand_needs_a_value(org, client):
    client.force_login(org.manager)
    response = client.post(url("HZ"), {"total": "1000", "method": "manual", "save": "1"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Target.objects.exists()


def test_team_split_of_a_count_metric_rejects_fractions_and_negatives(org, client):
    client.force_login(org.supervisor_a)
    r1 = org.reps["R1"].pk
    for share in ["1.5", "-1"]:
        form = {"total": "3", "method": "manual", f"share_person_{r1}": share, "save": "1"}
        response = client.post(url("HZ1", metric="new_customers"), form)
        assert response.status_code == 200
        assert response.context["form"].errors
    response = client.post(
        url("HZ1", metric="new_customers"), {"total": "2.5", "method": "even", "save": "1"}
    )
    assert response.context["form"].errors["total"]
    assert not Target.objects.exists()
    response = client.post(
        url("HZ1", metric="new_customers"), {"total": "3", "method": "even", "save": "1"}
    )
    assert response.status_code == 302
    assert person_targets(metric="new_customers") == {"R1": Decimal(2), "R2": Decimal(1)}


def test_changing_a_locked_month_needs_the_reason(org, client):
    # given: last month's targets were set before it locked; the branch manager changes a team's
    target_set(month=PREV, metric="revenue", unit=org.team_a, value=Decimal(100), today=EARLY)
    client.force_login(org.manager)
    page = client.get(url("HZ1", month=PREV))
    assert page.context["locked"] is True
    # when: changed without a reason
    response = client.post(url("HZ1", month=PREV), {"total": "200", "method": "even", "save": "1"})
    # then: the error is on the form and nothing is written
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert unit_targets(PREV) == {"HZ1": Decimal(100)}
    assert person_targets(PREV) == {}
    assert TargetChange.objects.count() == 1
    # when: with a reason
    form = {"total": "200", "method": "even", "reason": "two new hires", "save": "1"}
    assert client.post(url("HZ1", month=PREV), form).status_code == 302
    assert unit_targets(PREV) == {"HZ1": Decimal(200)}
    assert person_targets(PREV) == {"R1": Decimal(100), "R2": Decimal(100)}
    change = TargetChange.objects.filter(unit=org.team_a).order_by("-id").first()
    assert (change.old_value, change.new_value, change.reason, change.locked) == (
        Decimal(100),
        Decimal(200),
        "two new hires",
        True,
    )
    assert change.changed_by == org.manager
    page = client.get(url("HZ1", month=PREV)).content.decode()
    assert "two new hires" in page


def test_manual_split_of_a_locked_month_without_reason_writes_nothing(org, client):
    # the unit total is new (allowed), a child's change is not: all or nothing
    target_set(month=PREV, metric="revenue", person=org.reps["R1"], value=Decimal(50), today=EARLY)
    client.force_login(org.supervisor_a)
    form = {
        "total": "500",
        "method": "manual",
        f"share_person_{org.reps['R1'].pk}": "80",
        "save": "1",
    }
    response = client.post(url("HZ1", month=PREV), form)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert unit_targets(PREV) == {}
    assert person_targets(PREV) == {"R1": Decimal(50)}


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_targets_page_query_count_does_not_grow_with_rows(org, client):
    client.force_login(org.manager)
    target_set(month=NEXT, metric="revenue", unit=org.team_a, value=Decimal(100))
    before_branch = _queries(client, url("HZ"))
    before_team = _queries(client, url("HZ1"))
    # given many more teams, reps, targets and changes
    for i in range(6):
        team = unit_create(code=f"HZX{i}", name=f"新组{i}", kind=UnitKind.TEAM, parent=org.branch)
        target_set(month=NEXT, metric="revenue", unit=team, value=Decimal(10 + i))
        for j in range(3):
            rep = person(f"RX{i}{j}", team, Role.REP)
            target_set(month=NEXT, metric="revenue", person=rep, value=Decimal(1 + j))
    for j in range(5):
        rep = person(f"RA{j}", org.team_a, Role.REP, start=add_months(TODAY, -2))
        target_set(month=NEXT, metric="revenue", person=rep, value=Decimal(7))
    # then
    assert _queries(client, url("HZ")) == before_branch
    assert _queries(client, url("HZ1")) == before_team
    assert before_branch <= 25
    assert before_team <= 25


def test_a_supervisor_may_not_resplit_their_own_teams_locked_target(org, client):
    # given: last month's team A target and shares, set before the month locked
    target_set(month=PREV, metric="revenue", unit=org.team_a, value=Decimal(100), today=EARLY)
    target_set(month=PREV, metric="revenue", person=org.reps["R1"], value=Decimal(60), today=EARLY)
    client.force_login(org.supervisor_a)
    # when: the team's own supervisor cuts it to 1 with a real-looking reason
    form = {"total": "1", "method": "even", "reason": "客户合同延期到下个月签约", "save": "1"}
    response = client.post(url("HZ1", month=PREV), form)
    # then: the form says who may, and nothing is written
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("level above you" in e for e in errors)
    assert "level above you" in response.content.decode()
    assert unit_targets(PREV) == {"HZ1": Decimal(100)}
    assert person_targets(PREV) == {"R1": Decimal(60)}
    assert TargetChange.objects.count() == 2


def test_the_page_refuses_a_token_reason_on_a_locked_month(org, client):
    target_set(month=PREV, metric="revenue", unit=org.team_a, value=Decimal(100), today=EARLY)
    client.force_login(org.manager)
    form = {"total": "1", "method": "even", "reason": "。", "save": "1"}
    response = client.post(url("HZ1", month=PREV), form)
    assert response.status_code == 200
    assert "10 letters or digits" in response.context["form"].errors["reason"][0]
    assert unit_targets(PREV) == {"HZ1": Decimal(100)}
    # the form says so before anyone tries
    assert "at least 10 letters or digits" in client.get(url("HZ1", month=PREV)).content.decode()


def test_preview_by_hand_shows_money_and_the_gap(org, client):
    """Issue 14: a preview shows formatted money and what a split by hand leaves unassigned."""
    client.force_login(org.manager)
    form = {
        "total": "1000000",
        "method": "manual",
        f"share_unit_{org.team_a.pk}": "300000",
        f"share_unit_{org.team_b.pk}": "450000.5",
        "preview": "1",
    }
    html = client.post(url("HZ"), form).content.decode()
    assert 'id="preview-total">¥750,000.50<' in html
    assert "Not assigned (allocation gap)" in html and 'id="preview-gap">¥249,999.50<' in html
    over = client.post(url("HZ"), {**form, f"share_unit_{org.team_b.pk}": "800000"})
    assert "Assigned above the total" in over.content.decode()
    assert 'id="preview-gap">¥100,000.00<' in over.content.decode()
    assert unit_targets() == {}  # a preview writes nothing


def test_even_split_rounds_to_a_hundred_or_a_thousand(org, client):
    client.force_login(org.manager)
    form = {"total": "1000050", "method": "even", "rounding": "1000", "preview": "1"}
    preview = client.post(url("HZ"), form).context["preview"]
    assert sorted(preview.values()) == [Decimal(500000), Decimal(500050)]  # the rest: largest
    del form["preview"]
    form["save"] = "1"
    assert client.post(url("HZ"), {**form, "rounding": "100"}).status_code == 302
    assert unit_targets() == {
        "HZ": Decimal(1000050),
        "HZ1": Decimal(500050),
        "HZ2": Decimal(500000),
    }


def test_rounded_shares_add_up_to_the_total():
    from tiejun.scoreboard.forms import rounded_shares

    weights = {("unit", i): Decimal(w) for i, w in enumerate([3, 3, 3, 1, 0])}
    shares = rounded_shares(Decimal("1234567.89"), weights, Decimal(1000))
    assert sum(shares.values()) == Decimal("1234567.89")
    assert sum(1 for v in shares.values() if v % 1000) <= 1


def test_reason_help_stands_under_the_reason(org, client):
    client.force_login(org.manager)
    html = client.get(url("HZ")).content.decode()
    reason = html[html.index('<div class="field reason') :]
    reason = reason[: reason.index("</div>")]
    assert 'id="reason-help"' in reason and 'aria-describedby="reason-help"' in reason
