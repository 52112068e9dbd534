"""Transfer orders (调令, issue 15 item 5): issued at once with the move, acknowledged, reported
at the office (a check-in inside its geofence or the receiving manager's word), overdue ones
flagged to the issuer; a region's page with the on-time rate.

The org (tests.factories.build_org): HQ > ZJ > HZ (HZ1, HZ2) and NB (NB1); M1 manages HZ.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import client_for, person
from tiejun.audit.models import AuditEntry
from tiejun.crm.services.customers import customer_create
from tiejun.errors import Forbidden, TiejunError
from tiejun.field.services.checkins import visit_checkin
from tiejun.notify.models import Message
from tiejun.org.checks import MoveNeedsConfirmation
from tiejun.org.models import Membership, Role
from tiejun.org.selectors import membership_on
from tiejun.transfers.models import Office, ReportedHow, TransferOrder
from tiejun.transfers.selectors import on_time, status_of
from tiejun.transfers.services import (
    office_create,
    order_acknowledge,
    order_confirm_arrival,
    order_issue,
    order_report_checkin,
    orders_flag_overdue,
)

SH = ZoneInfo("Asia/Shanghai")
ISSUED = dt.datetime(2026, 12, 16, 15, 0, tzinfo=SH)
REPORT_BY = dt.datetime(2026, 12, 17, 9, 0, tzinfo=SH)
NEXT_MORNING = dt.datetime(2026, 12, 17, 8, 40, tzinfo=SH)
# 宁波分公司's office, and a point about 100 m away
NB_OFFICE = ("29.868336", "121.543990")
NEAR = ("29.869200", "121.544300")
FAR = ("29.900000", "121.600000")


@pytest.fixture
def nb_office(org):
    return office_create(
        unit=org.other_branch,
        name="宁波分公司办公室",
        address="宁波市鄞州区天童南路588号",
        lat=NB_OFFICE[0],
        lon=NB_OFFICE[1],
        radius_m=200,
        by=org.admin,
    )


@pytest.fixture
def regional(org):
    """A region manager (over HZ and NB), the one who moves a branch manager between them."""
    return person("RM1", org.region, Role.MANAGER, name="赵大区")


def issue(org, office, by, **kwargs):
    values = {
        "person": org.manager,
        "unit": org.other_branch,
        "role": None,
        "effective": dt.date(2026, 12, 17),
        "report_by": REPORT_BY,
        "office": office,
        "note": "接手宁波分公司，明早九点前到岗。",
        "by": by,
        "now": ISSUED,
        "confirm": True,
    }
    values.update(kwargs)
    return order_issue(**values)


def test_an_order_saves_the_move_and_tells_the_person_at_once(
    org, nb_office, regional, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = issue(org, nb_office, regional)
    # the membership change takes effect on the effective date, whatever the order's state
    assert membership_on(org.manager, dt.date(2026, 12, 16)).unit == org.branch
    assert membership_on(org.manager, dt.date(2026, 12, 17)).unit == org.other_branch
    assert order.membership == Membership.objects.get(person=org.manager, valid_to__isnull=True)
    assert (order.from_unit, order.from_role, order.to_role) == (
        org.branch,
        Role.MANAGER,
        Role.MANAGER,
    )
    message = Message.objects.get(key=f"transfer_order:{order.pk}:issued")
    assert (message.channel, message.address) == ("email", "m1@example.com")
    assert message.subject == "Transfer order: 宁波分公司 from 2026-12-17"
    assert (
        "Report at 宁波分公司办公室 (宁波市鄞州区天童南路588号) by 2026-12-17 09:00" in message.text
    )
    assert f"/orders/{order.pk}/" in message.text
    entry = AuditEntry.objects.get(object_type="transfer_order", action="issue")
    assert entry.after["warnings"] == ["heads.headless"]  # 杭州分公司 loses its manager


def test_an_order_needs_the_same_confirmation_as_a_move(org, nb_office, regional):
    with pytest.raises(MoveNeedsConfirmation):
        issue(org, nb_office, regional, confirm=False)
    assert not TransferOrder.objects.exists()
    assert membership_on(org.manager, dt.date(2026, 12, 17)).unit == org.branch


def test_only_who_may_move_the_person_issues_an_order(org, nb_office):
    with pytest.raises(Forbidden):  # M1 manages HZ, not NB
        issue(org, nb_office, org.manager, person=org.reps["R1"])
    with pytest.raises(Forbidden):
        issue(org, nb_office, org.supervisor_a, person=org.reps["R1"])
    assert not TransferOrder.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"report_by": ISSUED - dt.timedelta(hours=1)}, "the report-by time must be in the future"),
        (
            {"report_by": ISSUED + dt.timedelta(days=60)},
            "the report-by time must be within a month of the effective date",
        ),
        ({"note": "很" * 2001}, "the note is longer than 2000 characters"),
    ],
)
def test_bad_orders_are_refused_and_write_nothing(org, nb_office, regional, change, message):
    with pytest.raises(TiejunError, match=message):
        issue(org, nb_office, regional, **change)
    assert not TransferOrder.objects.exists()
    assert Membership.objects.filter(person=org.manager).count() == 1


def test_the_office_must_be_the_new_units_or_above(org, regional):
    hz_office = office_create(unit=org.branch, name="杭州办公室", lat="30.27", lon="120.15")
    with pytest.raises(TiejunError, match="杭州办公室 is not an office of 宁波分公司"):
        issue(org, hz_office, regional)


def test_acknowledge_then_report_in_inside_the_geofence(org, nb_office, regional):
    order = issue(org, nb_office, regional)
    with pytest.raises(Forbidden):
        order_acknowledge(order=order, by=regional)
    order = order_acknowledge(order=order, by=org.manager, now=ISSUED + dt.timedelta(minutes=5))
    assert status_of(order, ISSUED + dt.timedelta(minutes=6)) == "acknowledged"
    with pytest.raises(
        TiejunError, match=r"you are \d+ m from 宁波分公司办公室; report in within 200 m"
    ):
        order_report_checkin(order=order, by=org.manager, lat=FAR[0], lon=FAR[1], now=NEXT_MORNING)
    with pytest.raises(TiejunError, match="too imprecise"):
        order_report_checkin(order=order, by=org.manager, lat=NEAR[0], lon=NEAR[1], accuracy_m=900)
    order = order_report_checkin(
        order=order, by=org.manager, lat=NEAR[0], lon=NEAR[1], accuracy_m=15, now=NEXT_MORNING
    )
    assert order.reported_at == NEXT_MORNING and order.reported_how == ReportedHow.CHECKIN
    assert 90 <= order.reported_distance_m <= 110
    assert order.on_time is True
    assert status_of(order) == "reported"


def test_the_receiving_manager_confirms_the_arrival(org, nb_office, regional):
    order = issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    with pytest.raises(Forbidden):  # the person themself cannot vouch for their arrival
        order_confirm_arrival(order=order, by=org.reps["R1"])
    with pytest.raises(Forbidden):  # nor the manager of the branch they leave
        order_confirm_arrival(order=order, by=org.manager)
    late = REPORT_BY + dt.timedelta(hours=2)
    order = order_confirm_arrival(order=order, by=regional, now=late)
    assert order.reported_how == ReportedHow.MANAGER and order.confirmed_by == regional
    assert order.acknowledged_at == late  # reporting in acknowledges too
    assert status_of(order) == "reported_late"


def test_a_customer_check_in_does_not_report_in(org, nb_office, regional):
    """Reporting in is its own check-in on the order's page; a customer check-in (the busiest
    write, its queries pinned) is left alone even inside the office's geofence."""
    order = issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    customer_create(
        code="NB-C1", name="宁波甬江贸易有限公司", owner=org.reps["R1"], lat=NEAR[0], lon=NEAR[1]
    )
    at = dt.datetime(2026, 12, 17, 8, 50, tzinfo=SH)
    _visit, created = visit_checkin(
        id=uuid.uuid4(),
        person=org.reps["R1"],
        customer="NB-C1",
        at=at,
        lat=NEAR[0],
        lon=NEAR[1],
        accuracy_m=20,
        check_visibility=False,
        now=at,
    )
    assert created
    order.refresh_from_db()
    assert order.reported_at is None


def test_overdue_orders_are_flagged_to_the_issuer_once(
    org, nb_office, regional, django_capture_on_commit_callbacks
):
    order = issue(org, nb_office, regional)
    assert orders_flag_overdue(now=REPORT_BY - dt.timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert orders_flag_overdue(now=REPORT_BY + dt.timedelta(minutes=10)) == 1
    assert orders_flag_overdue(now=REPORT_BY + dt.timedelta(minutes=20)) == 0
    message = Message.objects.get(key=f"transfer_order:{order.pk}:overdue")
    assert message.address == "rm1@example.com"
    assert message.subject == "Overdue: 员工M1 has not reported at 宁波分公司办公室"


def test_on_time_rate(org, nb_office, regional):
    first = issue(org, nb_office, regional)
    second = issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    third = issue(org, nb_office, regional, person=org.reps["R2"], unit=org.team_c)
    order_confirm_arrival(order=first, by=regional, now=REPORT_BY - dt.timedelta(hours=1))
    order_confirm_arrival(order=second, by=regional, now=REPORT_BY + dt.timedelta(hours=1))
    orders = list(TransferOrder.objects.all())
    before = on_time(orders, REPORT_BY - dt.timedelta(minutes=1))
    assert (before.due, before.on_time, before.open, before.overdue) == (2, 1, 1, 0)
    after = on_time(orders, REPORT_BY + dt.timedelta(hours=3))
    assert (after.due, after.on_time, after.open, after.overdue) == (3, 1, 1, 1)
    assert after.rate == pytest.approx(1 / 3)
    assert third.reported_at is None


# --- who sees an order --------------------------------------------------------------------


def test_orders_are_seen_by_the_person_the_issuer_and_the_leaders_of_either_unit(
    org, nb_office, regional
):
    order = issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    url = f"/api/v1/orders/{order.pk}"
    for viewer in (org.reps["R1"], regional, org.manager, org.supervisor_a, org.admin):
        assert client_for(viewer).get(url).status_code == 200, viewer
    for viewer in (org.reps["R2"], org.reps["R5"], person("S9", org.team_b, Role.SUPERVISOR)):
        assert client_for(viewer).get(url).status_code == 404, viewer
    assert client_for(org.reps["R2"]).post(f"{url}/acknowledge").status_code == 404


# --- the API ------------------------------------------------------------------------------


def test_api_issue_409_then_201_and_the_person_acknowledges_and_reports(org, nb_office, regional):
    client = client_for(regional)
    body = {
        "employee_no": "M1",
        "unit_code": "NB",
        "effective_date": "2026-12-17",
        "report_by": "2026-12-17T09:00:00+08:00",
        "office_id": nb_office.pk,
        "note": "明早九点前到岗",
    }
    refused = client.post("/api/v1/orders", body, content_type="application/json")
    assert refused.status_code == 409
    assert [w["code"] for w in refused.json()["warnings"]] == ["heads.headless"]
    response = client.post(
        "/api/v1/orders", {**body, "confirm": True}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["employee_no"], data["from_unit"], data["to_unit"], data["status"]) == (
        "M1",
        "HZ",
        "NB",
        "issued",
    )
    me = client_for(org.manager)
    ack = me.post(f"/api/v1/orders/{data['id']}/acknowledge")
    assert ack.json()["status"] == "acknowledged"
    far = me.post(
        f"/api/v1/orders/{data['id']}/report",
        {"lat": float(FAR[0]), "lon": float(FAR[1])},
        content_type="application/json",
    )
    assert far.status_code == 400 and "report in within 200 m" in far.json()["detail"]
    near = me.post(
        f"/api/v1/orders/{data['id']}/report",
        {"lat": float(NEAR[0]), "lon": float(NEAR[1]), "accuracy_m": 12},
        content_type="application/json",
    )
    assert near.status_code == 200 and near.json()["status"] == "reported"


def test_api_refuses_an_office_the_issuer_may_not_name_and_a_foreign_person(org, regional):
    other = office_create(unit=org.company, name="总部", lat="30.0", lon="120.0")
    body = {
        "employee_no": "R1",
        "unit_code": "NB1",
        "effective_date": "2026-12-20",
        "report_by": "2026-12-20T09:00:00+08:00",
        "office_id": other.pk,
        "confirm": True,
    }
    response = client_for(regional).post("/api/v1/orders", body, content_type="application/json")
    assert response.status_code == 404 and response.json()["field"] == "office_id"
    response = client_for(org.manager).post(
        "/api/v1/orders", {**body, "employee_no": "R5"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_api_list_query_count_does_not_grow_with_orders(
    org, nb_office, regional, django_assert_num_queries
):
    client = client_for(regional)
    issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    client.get("/api/v1/orders")  # warm
    with django_assert_num_queries(6) as one:
        assert len(client.get("/api/v1/orders").json()) == 1
    for no in ("R2", "R3", "R4"):
        issue(org, nb_office, regional, person=org.reps[no], unit=org.team_c)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/orders?open=true").json()) == 4


# --- the pages ----------------------------------------------------------------------------


def test_the_region_page_lists_open_orders_and_the_on_time_rate(
    org, nb_office, regional, django_assert_num_queries
):
    issue(org, nb_office, regional)
    done = issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    order_confirm_arrival(order=done, by=regional, now=ISSUED + dt.timedelta(hours=1))
    client = client_for(regional)
    response = client.get("/orders/region/")
    assert response.status_code == 302 and response["Location"] == "/orders/region/ZJ/"
    page = client.get("/orders/region/ZJ/").content.decode()
    assert "员工M1" in page and "员工R1" not in page  # reported: not open
    assert "data-on-time>100.0%" in page
    assert "员工R1" in client.get("/orders/region/ZJ/?all=1").content.decode()
    # a rep sees no region page of another branch
    assert client_for(org.reps["R5"]).get("/orders/region/HZ/").status_code == 404


def test_the_region_page_query_count_does_not_grow_with_orders(
    org, nb_office, regional, django_assert_num_queries
):
    client = client_for(regional)
    issue(org, nb_office, regional, person=org.reps["R1"], unit=org.team_c)
    client.get("/orders/region/ZJ/?all=1")  # warm
    with django_assert_num_queries(10):
        client.get("/orders/region/ZJ/?all=1")
    for no in ("R2", "R3", "R4"):
        issue(org, nb_office, regional, person=org.reps[no], unit=org.team_c)
    with django_assert_num_queries(10):
        page = client.get("/orders/region/ZJ/?all=1").content.decode()
    assert page.count('<tr class="order') == 4


def test_the_person_acknowledges_on_their_page(org, nb_office, regional):
    order = issue(org, nb_office, regional)
    me = client_for(org.manager)
    page = me.get("/orders/").content.decode()
    assert "宁波分公司" in page
    detail = me.get(f"/orders/{order.pk}/").content.decode()
    assert "data-acknowledge" in detail and "data-report" in detail
    response = me.post(f"/orders/{order.pk}/", {"action": "acknowledge"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.acknowledged_at is not None
    response = me.post(f"/orders/{order.pk}/", {"action": "report", "lat": FAR[0], "lon": FAR[1]})
    assert response.status_code == 400 and "report in within 200 m" in response.content.decode()


def test_the_issue_page_asks_then_issues(org, nb_office, regional):
    client = client_for(regional)
    form = {
        "unit": org.other_branch.pk,
        "role": Role.MANAGER,
        "effective_date": "2026-12-17",
        "report_by": "2026-12-17T09:00",
        "office": nb_office.pk,
        "note": "接手宁波分公司",
    }
    response = client.post("/orders/new/M1/", form)
    assert response.status_code == 400
    assert "杭州分公司 is left without a head" in response.content.decode()
    assert not TransferOrder.objects.exists()
    response = client.post("/orders/new/M1/", {**form, "confirm": "on"})
    assert response.status_code == 302
    order = TransferOrder.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    # a rep may not open the form
    assert client_for(org.reps["R1"]).get("/orders/new/R2/").status_code == 404


# --- the office command -------------------------------------------------------------------


def test_office_command_adds_and_lists_offices(org, capsys):
    call_command(
        "office", "add", "NB", "宁波分公司办公室", "--lat", NB_OFFICE[0], "--lon", NB_OFFICE[1],
        "--radius", "150", "--address", "天童南路588号", "--json",
    )  # fmt: skip
    added = json.loads(capsys.readouterr().out)
    assert (added["unit"], added["radius_m"], added["lat"]) == ("NB", 150, "29.868336")
    call_command("office", "list", "--json")
    assert [o["name"] for o in json.loads(capsys.readouterr().out)] == ["宁波分公司办公室"]
    with pytest.raises(CommandError, match="the latitude 99 is out of range") as bad:
        call_command("office", "add", "NB", "别处", "--lat", "99", "--lon", "121")
    assert bad.value.returncode == 2
    with pytest.raises(CommandError, match="unknown unit") as unknown:
        call_command("office", "add", "XX", "别处", "--lat", "29", "--lon", "121")
    assert unknown.value.returncode == 2
    assert Office.objects.count() == 1
