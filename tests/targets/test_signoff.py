"""Sign-off (目标确认): each rep confirms their own target, each unit head their unit's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.errors import TiejunError
from tiejun.notify.models import Message
from tiejun.targets.cascade import cascade_plan, cascade_save
from tiejun.targets.models import TargetConfirmation
from tiejun.targets.services import target_set
from tiejun.targets.signoff import signoff_for_unit, signoff_remind, targets_confirm

TODAY = dt.date(2026, 12, 4)
JAN = dt.date(2027, 1, 1)
NOW = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


def _cascade(org, total=Decimal(1000000)):
    plan = cascade_plan(unit=org.region, month=JAN, metric="revenue", total=total, today=TODAY)
    cascade_save(plan=plan, by=org.admin, today=TODAY)


def test_after_a_cascade_every_rep_and_head_owes_a_confirmation(org, django_assert_num_queries):
    _cascade(org)
    with django_assert_num_queries(3):
        signoff = signoff_for_unit(org.region, JAN)
    owed = {r.person.employee_no: [o.code for o in r.owed] for r in signoff.rows}
    # reps their own; the supervisor of HZ1 and the manager of HZ their units'
    assert owed == {
        "M1": ["HZ"],
        "S1": ["HZ1"],
        "R1": ["R1"],
        "R2": ["R2"],
        "R3": ["R3"],
        "R4": ["R4"],
        "R5": ["R5"],
    }
    assert signoff.confirmed_count == 0 and len(signoff.pending) == 7


def test_a_rep_confirms_in_one_tap_and_a_second_tap_changes_nothing(org):
    _cascade(org)
    rep = org.reps["R1"]
    row, created = targets_confirm(person=rep, month=JAN, now=NOW)
    assert created and row.confirmed
    assert TargetConfirmation.objects.get(person=rep).values == {"person:R1:revenue": "125000.00"}
    again, created = targets_confirm(person=rep, month=JAN, now=NOW)
    assert not created and again.confirmed
    assert AuditEntry.objects.filter(action="confirm").count() == 1
    signoff = signoff_for_unit(org.team_a, JAN)
    assert {r.person.employee_no for r in signoff.pending} == {"R2", "S1"}


def test_a_changed_target_asks_for_a_new_confirmation(org):
    _cascade(org)
    rep = org.reps["R1"]
    targets_confirm(person=rep, month=JAN, now=NOW)
    target_set(month=JAN, metric="revenue", person=rep, value=Decimal(130000), by=org.manager)
    row = next(r for r in signoff_for_unit(org.team_a, JAN).rows if r.person == rep)
    assert row.stale and not row.confirmed
    row, created = targets_confirm(person=rep, month=JAN, now=NOW)
    assert created and row.confirmed
    assert TargetConfirmation.objects.get(person=rep).values == {"person:R1:revenue": "130000.00"}
    entry = AuditEntry.objects.filter(action="confirm").order_by("-id").first()
    assert entry.before == {"values": {"person:R1:revenue": "125000.00"}}
    assert entry.after == {"values": {"person:R1:revenue": "130000.00"}}


def test_someone_with_no_target_has_nothing_to_confirm(org):
    with pytest.raises(TiejunError, match="no target for 2027-01"):
        targets_confirm(person=org.reps["R1"], month=JAN)
    assert not TargetConfirmation.objects.exists()


def test_the_reminder_goes_once_a_day_to_those_who_have_not_confirmed(org):
    _cascade(org)
    targets_confirm(person=org.reps["R1"], month=JAN, now=NOW)
    assert signoff_remind(today=TODAY) == 6
    assert signoff_remind(today=TODAY) == 0  # the same day: nothing again
    messages = Message.objects.filter(key__startswith="target-confirm:2026-12-04:")
    assert {m.address for m in messages} == {
        f"{no.lower()}@example.com" for no in ("R2", "R3", "R4", "R5", "S1", "M1")
    }
    text = messages.get(address="r2@example.com").text
    assert "¥125,000" in text and "/targets/mine/?month=2027-01" in text
    assert signoff_remind(today=TODAY + dt.timedelta(days=1)) == 6  # the next day, again


def test_one_reminder_a_day_names_every_month_waiting(org):
    # given: December's target (this month) and January's, neither confirmed
    target_set(
        month=dt.date(2026, 12, 1), metric="revenue", person=org.reps["R5"], value=Decimal(9000)
    )
    _cascade(org)
    # when
    signoff_remind(today=TODAY)
    # then: R5 hears once, of both months
    message = Message.objects.get(address="r5@example.com")
    assert "2026-12" in message.subject and "2027-01" in message.subject
    assert "¥9,000.00" in message.text and "¥500,000.00" in message.text


# --- the API -----------------------------------------------------------------------------------


def test_confirm_over_the_api(org):
    _cascade(org)
    response = client_for(org.supervisor_a).post("/api/v1/targets/2027-01/confirm")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["confirmed"] is True and body["created"] is True
    assert body["targets"] == [
        {
            "scope": "unit",
            "code": "HZ1",
            "name": "杭州一组",
            "metric": "revenue",
            "value": "250000.00",
        }
    ]
    again = client_for(org.supervisor_a).post("/api/v1/targets/2027-01/confirm")
    assert again.status_code == 200 and again.json()["created"] is False


def test_confirm_without_a_target_or_with_a_bad_month_is_a_clear_400(org):
    client = client_for(org.reps["R1"])
    response = client.post("/api/v1/targets/2027-01/confirm")
    assert response.status_code == 400
    assert "no target" in response.json()["detail"]
    assert client.post("/api/v1/targets/2027-13/confirm").status_code == 400
    assert not TargetConfirmation.objects.exists()


def test_who_has_not_confirmed_over_the_api(org):
    _cascade(org)
    targets_confirm(person=org.reps["R1"], month=JAN, now=NOW)
    client = client_for(org.manager)
    response = client.get("/api/v1/targets/2027-01/confirmations?unit=HZ")
    assert response.status_code == 200
    body = response.json()
    assert (body["confirmed"], body["pending"]) == (1, 5)
    assert {p["employee_no"]: p["confirmed"] for p in body["people"]} == {
        "M1": False,
        "S1": False,
        "R1": True,
        "R2": False,
        "R3": False,
        "R4": False,
    }
    # a unit outside the caller's subtree is unknown to them
    assert client.get("/api/v1/targets/2027-01/confirmations?unit=NB").status_code == 404


def test_the_command_queues_todays_reminders(org):
    from io import StringIO

    from django.core.management import call_command

    _cascade(org)
    out = StringIO()
    call_command("targets", "remind", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == "7 reminders queued"
    assert Message.objects.filter(key__startswith="target-confirm:2026-12-04:").count() == 7
