"""Each audited write leaves one entry naming who, through what, before and after."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.audit.conftest import entries, last
from tests.factories import client_for
from tiejun.audit.context import acting
from tiejun.audit.models import AuditEntry
from tiejun.broadcast.models import Subscription
from tiejun.broadcast.services import subscription_create, subscription_delete
from tiejun.crm.models import Customer, Deal
from tiejun.crm.services.customers import customer_create
from tiejun.crm.services.deals import DealInput, deal_delete, deal_record, deals_record_many
from tiejun.crm.services.ownership import (
    customer_claim,
    customer_handover,
    customer_release,
    customers_return_idle,
)
from tiejun.imports.services import run_import
from tiejun.org.models import Person, Role, WorkdayOverride
from tiejun.org.services import (
    membership_move,
    person_deactivate,
    person_update,
    token_create,
    token_revoke_all,
)
from tiejun.scoreboard.services import target_cascade
from tiejun.targets.services import target_set

NOV = dt.date(2026, 11, 1)
BEFORE_NOV = dt.date(2026, 10, 30)  # November is not locked yet
LATE_NOV = dt.date(2026, 11, 20)  # November is locked


# --- targets -----------------------------------------------------------------------------------


def test_setting_and_changing_a_target(org):
    admin = org.admin
    target_set(
        month=NOV,
        metric="revenue",
        value=Decimal(1000),
        unit=org.team_a,
        by=admin,
        today=BEFORE_NOV,
    )
    created = last(object_type="target")
    assert (created.action, created.actor, created.source) == ("create", admin, "system")
    assert created.object_id == "2026-11:revenue:unit:HZ1"
    assert created.before is None and created.after == {"value": "1000.00"}

    target_set(
        month=NOV,
        metric="revenue",
        value=Decimal(1200),
        unit=org.team_a,
        by=admin,
        reason="new product line",
        today=LATE_NOV,
    )
    changed = last(object_type="target")
    assert changed.action == "update"
    assert changed.before == {"value": "1000.00"}
    assert changed.after == {"value": "1200.00", "month_locked": True}
    assert changed.reason == "new product line"
    assert changed.actor_label == "A1"


def test_an_unchanged_target_records_nothing(org):
    target_set(
        month=NOV, metric="revenue", value=Decimal(5), person=org.reps["R1"], today=BEFORE_NOV
    )
    count = AuditEntry.objects.count()
    target_set(
        month=NOV, metric="revenue", value=Decimal(5), person=org.reps["R1"], today=BEFORE_NOV
    )
    assert AuditEntry.objects.count() == count


def test_a_cascade_records_each_share_and_the_split(org):
    with acting(org.manager, "web"):
        target_cascade(
            unit=org.branch,
            month=NOV,
            metric="revenue",
            total=Decimal(3000),
            by=org.manager,
            method="even",
        )
    split = last(object_type="target", action="split")
    assert split.after["total"] == "3000.00"
    assert split.after["shares"] == {"HZ1": "1500.00", "HZ2": "1500.00"}
    assert (split.actor, split.source) == (org.manager, "web")
    ids = {e.object_id for e in entries(object_type="target", action="create")}
    assert ids >= {
        "2026-11:revenue:unit:HZ",
        "2026-11:revenue:unit:HZ1",
        "2026-11:revenue:unit:HZ2",
    }


# --- deals -------------------------------------------------------------------------------------


def _item(**changes):
    fields = {
        "deal_no": "AD-1",
        "person": None,
        "customer_code": "K-1",
        "customer_name": "西湖茶业",
        "amount": Decimal("100"),
        "won_date": dt.date(2026, 11, 10),
    }
    return DealInput(**{**fields, **changes})


def test_recording_correcting_and_deleting_a_deal(org):
    r1, r2, s1 = org.reps["R1"], org.reps["R2"], org.supervisor_a
    today = dt.date(2026, 11, 28)
    deal, _ = deal_record(item=_item(person=r1), by=s1, today=today)
    created = last(object_type="deal")
    assert (created.action, created.object_id, created.actor) == ("create", "AD-1", s1)
    assert created.after["amount"] == "100.00" and created.after["employee_no"] == "R1"
    # The customer the deal brought in is on the trail too.
    assert last(object_type="customer", object_id="K-1").action == "create"

    deal_record(
        item=_item(person=r2, amount=Decimal("150")), by=s1, reason="wrong rep", today=today
    )
    corrected = last(object_type="deal")
    assert corrected.action == "update"
    assert corrected.before == {"amount": "100.00", "employee_no": "R1"}
    assert corrected.after == {"amount": "150.00", "employee_no": "R2"}
    assert corrected.reason == "wrong rep"

    deal_delete(deal=Deal.objects.get(pk=deal.pk), by=s1, reason="duplicate")
    deleted = last(object_type="deal")
    assert deleted.action == "delete" and deleted.before["amount"] == "150.00"
    assert deleted.after is None


def test_a_bulk_record_writes_one_entry_per_deal_in_one_insert(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    r1 = org.reps["R1"]
    items = [_item(person=r1, deal_no=f"B-{i}", customer_code=f"K-{i}") for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        deals_record_many(items=items, by=org.admin, today=dt.date(2026, 11, 28))
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1
    assert [e.object_id for e in entries(object_type="deal")] == [f"B-{i}" for i in range(5)]
    assert {e.actor_id for e in entries(object_type="deal")} == {org.admin.pk}


# --- memberships and people --------------------------------------------------------------------


def test_creating_moving_and_deactivating_people(org):
    created = last(object_type="membership", object_id="R1")
    assert created.action == "create"
    assert created.after == {"unit": "HZ1", "role": "rep", "valid_from": "2025-01-01"}
    assert last(object_type="person", object_id="R1").after["name"] == "员工R1"

    r1 = org.reps["R1"]
    membership_move(person=r1, effective=dt.date(2026, 6, 1), unit=org.team_b, by=org.manager)
    moved = last(object_type="membership", object_id="R1")
    assert (moved.action, moved.actor) == ("transfer", org.manager)
    assert moved.before == {"unit": "HZ1", "role": "rep", "valid_to": None}
    assert moved.after == {"unit": "HZ2", "role": "rep", "valid_from": "2026-06-01"}

    membership_move(person=r1, effective=dt.date(2026, 7, 1), role=Role.SUPERVISOR, by=org.manager)
    promoted = last(object_type="membership", object_id="R1")
    assert promoted.action == "promote"
    assert (promoted.before["role"], promoted.after["role"]) == ("rep", "supervisor")

    person_update(person=r1, name="王小明", email=r1.email, phone="138")
    edited = last(object_type="person", object_id="R1")
    assert edited.before == {"name": "员工R1", "phone": ""}
    assert edited.after == {"name": "王小明", "phone": "138"}

    token_create(person=r1)
    with acting(org.admin, "admin"):
        person_deactivate(person=r1)
    off = last(object_type="person", object_id="R1")
    assert (off.action, off.before, off.after) == (
        "deactivate",
        {"is_active": True},
        {"is_active": False},
    )
    assert (off.actor, off.source) == (org.admin, "admin")
    revoked = last(object_type="api_token", object_id="R1")
    assert revoked.action == "revoke" and len(revoked.before["prefixes"]) == 1
    assert token_revoke_all(person=r1) == 0  # nothing left: nothing recorded
    assert last(object_type="api_token", object_id="R1").pk == revoked.pk


# --- customers: who owns them ------------------------------------------------------------------


def test_claim_handover_release_are_recorded(org):
    r1, r2, s1 = org.reps["R1"], org.reps["R2"], org.supervisor_a
    customer = customer_create(code="P-1", name="西湖茶业")
    customer_claim(customer=customer, person=r1)
    claim = last(object_type="customer", object_id="P-1")
    assert (claim.action, claim.actor, claim.before, claim.after) == (
        "claim",
        r1,
        {"owner": None},
        {"owner": "R1"},
    )
    customer_handover(customer=customer, to=r2, by=s1, note="closer to R2")
    handover = last(object_type="customer", object_id="P-1")
    assert (handover.action, handover.actor, handover.reason) == ("handover", s1, "closer to R2")
    assert (handover.before, handover.after) == ({"owner": "R1"}, {"owner": "R2"})
    customer_release(customer=customer, by=r2)
    release = last(object_type="customer", object_id="P-1")
    assert (release.action, release.before, release.after) == (
        "release",
        {"owner": "R2"},
        {"owner": None},
    )


def test_idle_customers_returned_by_the_job_are_recorded_per_customer(org, settings, huey_now):
    from tiejun.crm.tasks import return_idle_customers

    settings.POOL_RETURN_DAYS = 5
    r1 = org.reps["R1"]
    for code in ("I-1", "I-2"):
        customer_create(code=code, name=code, owner=r1, by=r1)
    Customer.objects.filter(code__in=["I-1", "I-2"]).update(
        last_activity_on=timezone.localdate() - dt.timedelta(days=9)
    )
    return_idle_customers()
    returned = entries(object_type="customer", action="auto_return")
    assert [e.object_id for e in returned] == ["I-1", "I-2"]
    assert all(e.source == "job" and e.actor is None for e in returned)
    assert returned[0].before == {"owner": "R1"} and returned[0].after == {"owner": None}
    assert customers_return_idle() == 0


def test_a_movers_customers_are_recorded_as_passed_on(org, settings):
    settings.LEAVER_CUSTOMERS_TO = "supervisor"
    r1 = org.reps["R1"]
    customer_create(code="M-1", name="M-1", owner=r1, by=r1)
    membership_move(person=r1, effective=timezone.localdate(), unit=org.team_b)
    passed = last(object_type="customer", object_id="M-1")
    assert passed.action == "leaver"
    assert (passed.before, passed.after) == ({"owner": "R1"}, {"owner": "S1"})


# --- subscriptions -----------------------------------------------------------------------------


def test_subscribing_changing_and_unsubscribing(org):
    robot = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789#SECsecret"
    row, _ = subscription_create(
        unit=org.branch, report="battle", channel="dingtalk", address=robot, by=org.admin
    )
    created = last(object_type="subscription")
    assert created.action == "create" and created.object_id == str(row.pk)
    # the robot's token and signing secret never reach the trail
    assert created.after["address"] == "https://oapi.dingtalk.com/robot/send?access_token=abcd…"
    assert "SECsecret" not in str(created.after) + created.object_repr
    assert "0123456789" not in str(created.after) + created.object_repr

    subscription_create(
        unit=org.branch, report="battle", channel="dingtalk", address=robot, language="en"
    )
    changed = last(object_type="subscription")
    assert (changed.action, changed.before, changed.after) == (
        "update",
        {"language": ""},
        {"language": "en"},
    )

    subscription_delete(subscription=Subscription.objects.get(pk=row.pk), by=org.admin)
    deleted = last(object_type="subscription")
    assert deleted.action == "delete" and deleted.before["unit"] == "HZ"


# --- settings ----------------------------------------------------------------------------------


def test_a_working_day_override_is_recorded_however_it_is_written(org):
    override = WorkdayOverride.objects.create(
        date=dt.date(2026, 12, 26), is_workday=True, note="年会补班"
    )
    created = last(object_type="workday")
    assert (created.action, created.object_id) == ("create", "2026-12-26")
    assert created.after == {"date": "2026-12-26", "is_workday": True, "note": "年会补班"}
    override.is_workday = False
    override.save()
    changed = last(object_type="workday")
    assert (changed.before, changed.after) == ({"is_workday": True}, {"is_workday": False})
    override.delete()
    assert last(object_type="workday").action == "delete"


# --- imports -----------------------------------------------------------------------------------


def test_an_import_records_every_row_and_nothing_when_it_fails(org):
    good = (
        "deal_no,employee_no,customer_code,customer_name,amount,won_date,channel\n"
        "I-1,R1,K-1,甲,100,2026-11-02,visit\n"
        "I-2,R2,K-2,乙,200,2026-11-03,visit\n"
    )
    result = run_import(
        "deals", good.encode(), "deals.csv", by=org.admin, today=dt.date(2026, 11, 28)
    )
    assert result.ok, result.errors
    # one entry for the import with its counts (a correction adds one per corrected deal)
    [entry] = entries(object_type="deal")
    assert (entry.action, entry.actor_id) == ("import", org.admin.pk)
    assert entry.after["created"] == 2 and entry.after["amount"] == "300"

    bad = good.replace("I-1", "I-3").replace("I-2,R2", "I-4,NOBODY")
    assert not run_import("deals", bad.encode(), "deals.csv", by=org.admin).ok
    assert not AuditEntry.objects.filter(object_id__in=["I-3", "I-4"]).exists()
    assert len(entries(object_type="deal")) == 1

    subs = "unit_code,report,channel,address\nHZ,battle,email,boss@example.com\n"
    assert run_import("subscriptions", subs.encode(), "subs.csv", by=org.admin).ok
    assert last(object_type="subscription").after["address"] == "boss@example.com"


# --- who: web, API, command line, admin ----------------------------------------------------------


def test_a_page_write_names_the_signed_in_person_through_the_web(org):
    customer_create(code="P-9", name="P-9")
    response = client_for(org.reps["R1"]).post("/customers/P-9/claim")
    assert response.status_code == 302
    entry = last(object_type="customer", object_id="P-9")
    assert (entry.action, entry.actor, entry.source) == ("claim", org.reps["R1"], "web")


def test_an_api_write_names_the_tokens_person_through_the_api(org, monkeypatch):
    from django.test import Client

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: dt.date(2026, 11, 28))
    key = token_create(person=org.supervisor_a)
    body = {
        "deal_no": "API-1",
        "employee_no": "R1",
        "customer_code": "C-77",
        "customer_name": "西湖茶业",
        "amount": "1234.5",
        "won_date": "2026-11-20",
    }
    response = Client().post(
        "/api/v1/deals", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 201, response.content
    entry = last(object_type="deal", object_id="API-1")
    assert (entry.actor, entry.source) == (org.supervisor_a, "api")

    session = client_for(org.supervisor_a).post(
        "/api/v1/deals", {**body, "deal_no": "API-2"}, content_type="application/json"
    )
    assert session.status_code == 201, session.content
    assert last(object_type="deal", object_id="API-2").source == "api"


def test_a_command_is_recorded_as_the_command_lines(org, capsys, monkeypatch):
    from django.core.management import call_command

    from tiejun.cli import main

    # Run the command in this process without closing the test's database connection (as
    # ``run_from_argv`` does when a real command ends).
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line",
        lambda argv: call_command(*argv[1:]),
    )
    main(["token", "create", "R1"])
    assert capsys.readouterr().out.startswith("tj_")
    entry = last(object_type="api_token", object_id="R1")
    assert entry.source == "cli" and entry.actor is None
    assert entry.actor_label.startswith("os:")


@pytest.fixture
def superuser(org):
    return Person.objects.create_superuser("ROOT", "pw", name="Root")


def test_admin_edits_are_recorded_with_the_fields_before_and_after(org, superuser):
    client = client_for(superuser)
    response = client.post(
        "/admin/org/workdayoverride/add/",
        {"date": "2026-10-10", "is_workday": "on", "note": "补班"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = last(object_type="workday")
    assert (created.action, created.actor, created.source) == ("create", superuser, "admin")
    override = WorkdayOverride.objects.get(date=dt.date(2026, 10, 10))
    response = client.post(
        f"/admin/org/workdayoverride/{override.pk}/change/",
        {"date": "2026-10-10", "note": "取消"},
    )
    assert response.status_code == 302
    changed = last(object_type="workday")
    assert changed.before == {"is_workday": True, "note": "补班"}
    assert changed.after == {"is_workday": False, "note": "取消"}

    # A subscription has a service, but the admin goes around it: caught all the same.
    row, _ = subscription_create(
        unit=org.branch, report="battle", channel="email", address="a@example.com"
    )
    response = client.post(
        f"/admin/broadcast/subscription/{row.pk}/change/",
        {
            "unit": org.branch.pk,
            "report": "battle",
            "channel": "email",
            "address": "b@example.com",
            "language": "",
            "min_amount": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    edited = last(object_type="subscription")
    assert (edited.action, edited.source, edited.object_id) == ("update", "admin", str(row.pk))
    assert (
        edited.before["address"] == "a@example.com" and edited.after["address"] == "b@example.com"
    )
    assert edited.before["active"] is True and edited.after["active"] is False


def test_signing_in_to_the_admin_records_nothing(org, superuser):
    from django.test import Client

    count = AuditEntry.objects.count()
    client = Client()
    response = client.post("/admin/login/", {"username": "ROOT", "password": "pw"})
    assert response.status_code == 302
    assert AuditEntry.objects.count() == count
