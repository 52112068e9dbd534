import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import deal
from tiejun.crm.models import Deal, DealChange
from tiejun.crm.views import deals as views
from tiejun.org.models import Role
from tiejun.org.services import membership_move
from tiejun.scoreboard.models import Fact

TODAY = timezone.localdate()
DAY = TODAY - dt.timedelta(days=3)


def make(rep, amount=100, won=DAY, **kwargs):
    return deal(rep, amount, won, today=TODAY, **kwargs)


def form(**overrides):
    data = {
        "deal_no": "W-1",
        "rep": "R1",
        "customer_code": "C-77",
        "customer_name": "西湖茶业",
        "amount": "1234.50",
        "won_date": DAY.isoformat(),
        "channel": "salon",
        "client_id": "form-1",
    }
    data.update(overrides)
    return data


def listed(response):
    return [d.deal_no for d in response.context["deals"]]


def test_list_shows_only_visible_deals(org, client):
    mine = make(org.reps["R1"], deal_no="A1")
    teammate = make(org.reps["R2"], deal_no="A2")
    other_branch = make(org.reps["R5"], deal_no="A3")
    client.force_login(org.reps["R1"])
    assert listed(client.get("/deals/")) == [mine.deal_no]
    client.force_login(org.manager)
    assert sorted(listed(client.get("/deals/"))) == [mine.deal_no, teammate.deal_no]
    client.force_login(org.admin)
    assert sorted(listed(client.get("/deals/"))) == ["A1", "A2", "A3"]
    assert other_branch.deal_no in client.get("/deals/").content.decode()


def test_list_filters_by_month_unit_and_rep(org, client):
    make(org.reps["R1"], deal_no="F1", won=TODAY)
    make(org.reps["R3"], deal_no="F2", won=TODAY)
    old = TODAY.replace(day=1) - dt.timedelta(days=40)
    make(org.reps["R1"], deal_no="F3", won=old)
    client.force_login(org.manager)
    assert sorted(listed(client.get("/deals/", {"unit": "HZ1"}))) == ["F1", "F3"]
    assert listed(client.get("/deals/", {"rep": "R3"})) == ["F2"]
    assert listed(client.get("/deals/", {"month": f"{old:%Y-%m}"})) == ["F3"]
    assert listed(client.get("/deals/", {"month": f"{TODAY:%Y-%m}", "unit": "HZ"})) == ["F2", "F1"]
    response = client.get("/deals/", {"unit": "NOPE"})
    assert response.status_code == 200
    assert listed(response) == [] and response.context["form"].errors["unit"]
    assert client.get("/deals/", {"month": "June"}).context["form"].errors["month"]


def test_list_is_paginated(org, client, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for i in range(5):
        make(org.reps["R1"], deal_no=f"P{i}", won=DAY - dt.timedelta(days=i))
    client.force_login(org.reps["R1"])
    assert listed(client.get("/deals/")) == ["P0", "P1"]
    assert listed(client.get("/deals/", {"page": 3})) == ["P4"]
    assert "page=2" in client.get("/deals/").content.decode()


def test_list_query_count_does_not_grow_with_rows(org, client):
    make(org.reps["R1"], deal_no="Q0")
    client.force_login(org.manager)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/deals/", {"unit": "HZ"})
        assert response.status_code == 200
        return len(captured), len(response.context["deals"])

    before, rows = count()
    for i in range(12):
        make(org.reps["R1" if i % 2 else "R3"], deal_no=f"Q{i + 1}")
    after, more_rows = count()
    assert (rows, more_rows) == (1, 13)
    assert after == before
    assert before <= 15


def test_login_is_required(org, client):
    assert client.get("/deals/").status_code == 302
    assert client.get("/deals/new").status_code == 302


def test_new_deal_is_recorded_and_credited(org, client):
    client.force_login(org.supervisor_a)
    response = client.get("/deals/new")
    assert response.status_code == 200
    reps = [value for value, _label in response.context["form"].fields["rep"].choices]
    assert "R1" in reps and "R2" in reps and "S1" in reps and "R3" not in reps
    # when
    response = client.post("/deals/new", form())
    # then
    assert response.status_code == 302
    assert response["Location"] == "/deals/W-1/"
    deal_row = Deal.objects.get()
    assert (
        deal_row.person,
        deal_row.unit,
        deal_row.amount,
        deal_row.won_date,
        deal_row.channel,
    ) == (
        org.reps["R1"],
        org.team_a,
        Decimal("1234.50"),
        DAY,
        "salon",
    )
    assert deal_row.customer.code == "C-77" and deal_row.customer.name == "西湖茶业"
    assert deal_row.created_by == org.supervisor_a
    assert Fact.objects.filter(metric="revenue", person=org.reps["R1"]).get().value == Decimal(
        "1234.50"
    )
    # a double submit of the same form returns the first deal
    again = client.post("/deals/new", form())
    assert again.status_code == 302 and again["Location"] == "/deals/W-1/"
    assert Deal.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"won_date": (TODAY + dt.timedelta(days=1)).isoformat()}, "won_date"),
        ({"won_date": "2026-02-30"}, "won_date"),
        ({"won_date": "2024-12-31"}, "won_date"),  # before the rep joined
        ({"channel": "telepathy"}, "channel"),
        ({"rep": "R3"}, "rep"),  # not someone the supervisor may record for
        ({"deal_no": ""}, "deal_no"),
        ({"customer_code": ""}, "customer_code"),
    ],
)
def test_bad_input_shows_field_errors_and_writes_nothing(org, client, overrides, field):
    client.force_login(org.supervisor_a)
    response = client.post("/deals/new", form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Deal.objects.exists()
    assert not Fact.objects.exists()
    assert not DealChange.objects.exists()


def test_a_taken_deal_number_is_not_overwritten_by_a_new_deal(org, client):
    make(org.reps["R2"], deal_no="W-1", amount=999)
    client.force_login(org.supervisor_a)
    response = client.post("/deals/new", form(client_id="other"))
    assert response.status_code == 200
    assert "deal_no" in response.context["form"].errors
    assert Deal.objects.get().amount == Decimal(999)


def test_detail_shows_the_deal_and_its_audit_trail(org, client):
    make(org.reps["R1"], deal_no="T1", amount=100)
    client.force_login(org.supervisor_a)
    client.post("/deals/T1/edit", form(deal_no="T1", amount="150", reason="typo in amount"))
    response = client.get("/deals/T1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "typo in amount" in html
    assert "100.00 → 150.00" in html
    assert response.context["can_edit"] is True


@pytest.mark.parametrize("viewer", ["R2", "R3", "R5"])
def test_deals_not_visible_are_not_found(org, client, viewer):
    make(org.reps["R1"], deal_no="T1")
    client.force_login(org.reps[viewer])
    assert client.get("/deals/T1/").status_code == 404
    assert client.get("/deals/T1/edit").status_code == 404
    assert client.post("/deals/T1/edit", form(deal_no="T1", reason="x")).status_code == 404
    assert client.get("/deals/NOPE/").status_code == 404


def test_edit_is_forbidden_when_the_viewer_may_not_record_for_the_rep(org, client):
    # given: R1's deal counts for HZ1, then R1 moved to Ningbo: M1 still sees it, may not edit
    make(org.reps["R1"], deal_no="T1")
    membership_move(person=org.reps["R1"], effective=TODAY, unit=org.team_c, role=Role.REP)
    client.force_login(org.manager)
    assert client.get("/deals/T1/").status_code == 200
    assert client.get("/deals/T1/").context["can_edit"] is False
    assert client.get("/deals/T1/edit").status_code == 403
    response = client.post("/deals/T1/edit", form(deal_no="T1", amount="1", reason="x"))
    assert response.status_code == 403
    assert Deal.objects.get().amount == Decimal(100)


def test_correction_needs_a_reason_and_moves_the_facts(org, client):
    make(org.reps["R1"], deal_no="T1", amount=100)
    client.force_login(org.manager)
    page = client.get("/deals/T1/edit")
    assert page.status_code == 200
    assert page.context["form"].initial["amount"] == Decimal(100)
    # without a reason: nothing changes
    response = client.post("/deals/T1/edit", form(deal_no="T1", rep="R3", amount="80"))
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert Deal.objects.get().person == org.reps["R1"]
    # with a reason; the deal number cannot be changed by the form
    response = client.post(
        "/deals/T1/edit", form(deal_no="HACKED", rep="R3", amount="80", reason="R3 closed it")
    )
    assert response.status_code == 302
    corrected = Deal.objects.get()
    assert corrected.deal_no == "T1"
    assert (corrected.person, corrected.unit, corrected.amount) == (
        org.reps["R3"],
        org.team_b,
        Decimal(80),
    )
    assert list(
        Fact.objects.filter(metric="revenue").values_list(
            "person__employee_no", "unit__code", "value"
        )
    ) == [("R3", "HZ2", Decimal(80))]
    change = DealChange.objects.order_by("-id").first()
    assert change.reason == "R3 closed it" and change.changed_by == org.manager
    assert change.before["employee_no"] == "R1" and change.after["employee_no"] == "R3"


def test_bad_correction_writes_nothing(org, client):
    make(org.reps["R1"], deal_no="T1", amount=100)
    client.force_login(org.supervisor_a)
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    response = client.post("/deals/T1/edit", form(deal_no="T1", won_date=future, reason="x"))
    assert response.status_code == 200 and "won_date" in response.context["form"].errors
    assert Deal.objects.get().won_date == DAY
    assert DealChange.objects.count() == 1
