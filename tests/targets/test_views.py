"""The cascade, sign-off and change-request pages (served by the scoreboard)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import client_for
from tiejun.targets.cascade import cascade_plan, cascade_save
from tiejun.targets.models import Target, TargetChangeRequest, TargetConfirmation
from tiejun.targets.services import target_set

TODAY = dt.date(2026, 12, 4)
JAN = dt.date(2027, 1, 1)
DEC = dt.date(2026, 12, 1)
REASON = "客户合同延期到下个月签约"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


def _cascade_url(code="ZJ"):
    return f"/targets/{code}/cascade/?month=2027-01&metric=revenue"


def _base(**extra):
    data = {"total": "1,000,000", "base": "2026-11", "base_months": "1", "round": "1000"}
    data.update({"method_0": "even", "method_1": "even", "method_2": "even"})
    data.update(extra)
    return data


def test_the_cascade_page_offers_a_method_per_level(org):
    response = client_for(org.admin).get(_cascade_url())
    assert response.status_code == 200
    html = response.content.decode()
    for i in range(3):
        assert f'name="method_{i}"' in html
    assert 'value="2026-11"' in html  # the last complete month, not December


def test_preview_edit_a_cell_re_split_and_save(org):
    client = client_for(org.admin)
    # preview: every unit and rep, nothing written
    preview = client.post(_cascade_url(), _base(preview="1"))
    assert preview.status_code == 200
    rows = preview.context["rows"]
    assert len(rows) == 11 and not Target.objects.exists()
    r1 = next(r for r in rows if r["node"].code == "R1")
    assert r1["node"].value == Decimal(125000)
    # edit R1 by hand and re-split: R1 is kept, R2 takes the rest of HZ1
    cells = {f"v_{r['cell']}": r["value_text"] for r in rows if r["node"].depth}
    autos = {f"auto_{r['cell']}": r["value_text"] for r in rows if r["node"].depth}
    cells[f"v_{r1['cell']}"] = "200,000"
    resplit = client.post(_cascade_url(), {**_base(preview="1"), **cells, **autos})
    values = {r["node"].code: r["node"].value for r in resplit.context["rows"]}
    assert values["R1"] == Decimal(200000) and values["R2"] == Decimal(50000)
    assert [r["node"].code for r in resplit.context["rows"] if r["node"].pinned] == ["R1"]
    pin = f'name="pin_person_{org.reps["R1"].pk}" value="1" checked'
    assert pin in resplit.content.decode()
    # save what the re-split shows (the pin ticked, figures as shown)
    shown = resplit.context["rows"]
    posted = {f"v_{r['cell']}": r["value_text"] for r in shown if r["node"].depth}
    posted |= {f"auto_{r['cell']}": r["value_text"] for r in shown if r["node"].depth}
    posted[f"pin_{r1['cell']}"] = "1"
    saved = client.post(_cascade_url(), {**_base(save="1"), **posted})
    assert saved.status_code == 302
    assert Target.objects.filter(month=JAN).count() == 11
    assert Target.objects.get(month=JAN, person=org.reps["R1"]).value == Decimal(200000)
    assert Target.objects.get(month=JAN, unit=org.team_a).value == Decimal(250000)


def test_unticking_a_kept_cell_lets_the_re_split_take_it_back(org):
    client = client_for(org.admin)
    rows = client.post(
        _cascade_url("HZ1"), {"total": "100000", "method_0": "even", "round": "1", "preview": "1"}
    ).context["rows"]
    r1 = next(r for r in rows if r["node"].code == "R1")
    # the cell shows 70,000 as a kept figure, but its tick is cleared and the figure is as shown
    data = {
        "total": "100000",
        "method_0": "even",
        "round": "1",
        "preview": "1",
        f"v_{r1['cell']}": "70000",
        f"auto_{r1['cell']}": "70000",
    }
    again = client.post(_cascade_url("HZ1"), data).context["rows"]
    assert {r["node"].code: r["node"].value for r in again} == {
        "HZ1": Decimal(100000),
        "R1": Decimal(50000),
        "R2": Decimal(50000),
    }


def test_bad_input_on_the_page_is_a_message_and_writes_nothing(org):
    client = client_for(org.admin)
    response = client.post(_cascade_url(), _base(total="lots", save="1"))
    assert response.status_code == 200
    assert "must be a number" in response.content.decode()
    response = client.post(_cascade_url(), _base(base="2026-12", save="1"))
    assert "not complete" in response.content.decode()
    response = client.post(_cascade_url(), _base(total=" ", save="1"))
    assert "Enter the total." in response.content.decode()
    response = client.post(_cascade_url(), _base(preview="1", v_person_1="abc"))
    assert "must be a number" in response.content.decode()
    assert not Target.objects.exists()


def test_the_cascade_page_is_for_those_who_manage_the_unit(org):
    assert client_for(org.supervisor_a).get(_cascade_url("HZ")).status_code == 403
    assert client_for(org.reps["R1"]).get(_cascade_url("HZ1")).status_code == 403
    assert client_for(org.manager).get(_cascade_url("NB")).status_code == 404


# --- sign-off pages ----------------------------------------------------------------------------


def _january(org):
    plan = cascade_plan(
        unit=org.region, month=JAN, metric="revenue", total=Decimal(1000000), today=TODAY
    )
    cascade_save(plan=plan, by=org.admin, today=TODAY)


def test_a_rep_sees_next_months_target_and_confirms_in_one_tap(org):
    _january(org)
    client = client_for(org.reps["R1"])
    page = client.get("/targets/mine/")
    html = page.content.decode()
    assert page.context["month"] == JAN
    assert "¥125,000.00" in html and 'id="confirm-btn"' in html
    done = client.post("/targets/mine/", {"month": "2027-01"})
    assert done.status_code == 302
    assert TargetConfirmation.objects.filter(person=org.reps["R1"], month=JAN).exists()
    assert 'id="confirmed-note"' in client.get("/targets/mine/?month=2027-01").content.decode()


def test_who_has_not_confirmed_on_the_board_kickoff_and_targets_page(
    org, django_assert_num_queries
):
    _january(org)
    client = client_for(org.manager)
    client.get("/targets/HZ/signoff/?month=2027-01")  # warm the session and caches
    with django_assert_num_queries(9):
        slot = client.get("/targets/HZ/signoff/?month=2027-01")
    html = slot.content.decode()
    assert "0 / 6" in html and 'data-person="R1"' in html and 'data-person="M1"' in html
    signoff_url = "/targets/HZ/signoff/?month="
    assert signoff_url + "2027-01" in client.get("/board/HZ/?month=2027-01").content.decode()
    assert signoff_url + "2026-12" in client.get("/rhythm/kickoff/HZ/").content.decode()
    assert signoff_url + "2027-01" in client.get("/targets/HZ/?month=2027-01").content.decode()
    assert client.get("/targets/NB/signoff/?month=2027-01").status_code == 404


# --- change requests page ----------------------------------------------------------------------


def test_ask_on_the_page_and_the_level_above_approves_it(org):
    target_set(
        month=DEC,
        metric="revenue",
        person=org.reps["R1"],
        value=Decimal(50000),
        today=dt.date(2026, 11, 20),
    )
    rep = client_for(org.reps["R1"])
    asked = rep.post(
        "/targets/requests/",
        {
            "action": "create",
            "scope": "person",
            "code": "R1",
            "month": "2026-12",
            "metric": "revenue",
            "value": "42,000",
            "reason": REASON,
        },
    )
    assert asked.status_code == 302
    request = TargetChangeRequest.objects.get()
    queue = client_for(org.supervisor_a).get("/targets/requests/")
    assert f'data-request="{request.pk}"' in queue.content.decode()
    assert queue.context["rows"][0]["row"].can_decide
    client_for(org.supervisor_a).post(
        "/targets/requests/", {"action": "approve", "request": request.pk}
    )
    assert Target.objects.get(person=org.reps["R1"], month=DEC).value == Decimal(42000)


def test_a_bad_request_on_the_page_says_why_and_keeps_what_was_typed(org):
    target_set(
        month=DEC,
        metric="revenue",
        person=org.reps["R1"],
        value=Decimal(50000),
        today=dt.date(2026, 11, 20),
    )
    page = client_for(org.reps["R1"]).post(
        "/targets/requests/",
        {
            "action": "create",
            "scope": "person",
            "code": "R1",
            "month": "2026-12",
            "value": "1",
            "reason": "降",
        },
    )
    assert page.status_code == 200
    assert "reason of at least" in page.content.decode()
    assert page.context["form"]["value"] == "1"
    assert not TargetChangeRequest.objects.exists()
