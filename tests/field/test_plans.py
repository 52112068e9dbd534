"""Visit plans: services, suggestions, who may plan what, pages, the route sheet and its PDF."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import uuid
import zlib
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from reportlab.pdfbase import pdfmetrics

from tests.factories import PASSWORD
from tiejun.crm.models import Contact, Customer, Opportunity
from tiejun.errors import NotFound, TiejunError
from tiejun.field.models import PlanStop, Visit, VisitPlan
from tiejun.field.selectors.customers import customer_briefs
from tiejun.field.selectors.plans import (
    access_planner,
    plan_route,
    plan_stops,
    plan_suggestions,
    plannable_people,
    route_input,
)
from tiejun.field.services.plans import (
    plan_add_customers,
    plan_get_or_create,
    plan_move,
    plan_optimise,
    plan_remove_customer,
    plan_update,
)
from tiejun.field.views.plans import EMBEDDED_FONT, FONT_FILES, navigation_links, tel_uri

DAY = dt.date(2026, 3, 2)


def customer(code, owner, lat, lon, *, priority="B", **extra):
    return Customer.objects.create(
        code=code,
        name=f"客户{code}",
        owner=owner,
        lat=Decimal(str(lat)),
        lon=Decimal(str(lon)),
        priority=priority,
        address=f"杭州市西湖区{code}路1号",
        **extra,
    )


@pytest.fixture
def world(org):
    r1, r3 = org.reps["R1"], org.reps["R3"]
    mine = [
        customer("C1", r1, 30.26, 120.17, priority="A"),
        customer("C2", r1, 30.24, 120.18, priority="B"),
        customer("C3", r1, 30.27, 120.12, priority="C", last_activity_on=DAY),
        customer(
            "C4", r1, 30.22, 120.15, opens_at=dt.time(14), closes_at=dt.time(17), notes="只在下午"
        ),
    ]
    pool_near = customer("P1", None, 30.262, 120.172)
    pool_far = customer("P2", None, 31.5, 121.9)
    other = customer("X1", r3, 30.25, 120.16)
    Contact.objects.create(customer=mine[0], name="王经理", title="采购", phone="13800000000")
    Opportunity.objects.create(
        customer=mine[1], owner=r1, title="年度采购", amount=Decimal("50000"), stage="proposal"
    )
    return {"mine": mine, "pool_near": pool_near, "pool_far": pool_far, "other": other}


def visit(rep, unit, cust, when):
    return Visit.objects.create(
        id=uuid.uuid4(), person=rep, unit=unit, customer=cust, checkin_at=when, notes="谈得不错"
    )


def codes(plan):
    return list(plan.stops.order_by("seq").values_list("customer__code", flat=True))


# --- services -----------------------------------------------------------------------------------


def test_create_add_optimise_and_reorder(org, world):
    r1 = org.reps["R1"]
    # given
    plan = plan_get_or_create(person=r1, date=DAY)
    plan_add_customers(plan=plan, codes=["C4", "C1", "C2", "C3", "P1"])
    assert codes(plan) == ["C4", "C1", "C2", "C3", "P1"]
    # when
    route = plan_optimise(plan=plan, time_limit_s=0.2)
    # then
    plan.refresh_from_db()
    assert plan.optimised_at is not None
    assert route.dropped == []
    assert codes(plan) == route.order
    assert plan.total_distance_m == route.distance_m > 0
    assert plan.total_duration_s == route.duration_s > 0
    c4 = plan.stops.get(customer__code="C4")
    assert dt.time(14) <= c4.arrival <= dt.time(16, 30)  # opening hours honoured
    arrivals = list(plan.stops.order_by("seq").values_list("arrival", flat=True))
    assert arrivals == sorted(arrivals) and arrivals[0] >= dt.time(9)
    assert all(s.leg_distance_m > 0 for s in plan.stops.all())

    # when: the first stop moves down by hand
    first, second = codes(plan)[:2]
    plan_move(plan=plan, code=first, up=False)
    # then: swapped, times recomputed, not re-optimised
    assert codes(plan)[:2] == [second, first]
    plan.refresh_from_db()
    moved = plan.stops.get(customer__code=second)
    assert moved.seq == 1 and moved.arrival is not None
    assert plan.total_distance_m == plan_route(plan).distance_m

    plan_remove_customer(plan=plan, code="P1")
    assert "P1" not in codes(plan)
    assert [s.seq for s in plan.stops.order_by("seq")] == list(range(1, 5))


def test_a_stop_that_cannot_fit_goes_last_without_time(org, world):
    r1 = org.reps["R1"]
    plan = plan_get_or_create(person=r1, date=DAY)
    closed = customer("C9", r1, 30.25, 120.2, opens_at=dt.time(6), closes_at=dt.time(7))
    plan_add_customers(plan=plan, codes=["C9", "C1"])
    route = plan_optimise(plan=plan, time_limit_s=0.1)
    assert route.dropped == ["C9"]
    assert codes(plan) == ["C1", "C9"]
    assert plan.stops.get(customer=closed).arrival is None


def test_lunch_is_kept_free(org, world):
    r1 = org.reps["R1"]
    plan = plan_get_or_create(person=r1, date=DAY)
    plan_add_customers(plan=plan, codes=["C1", "C2", "C3", "P1"])
    PlanStop.objects.filter(plan=plan).update(service_minutes=75)
    plan_optimise(plan=plan, time_limit_s=0.2)
    for stop in plan.stops.all():
        start = stop.arrival.hour * 60 + stop.arrival.minute
        assert start + 75 <= 12 * 60 or start >= 13 * 60


def test_add_refuses_customers_the_rep_cannot_see(org, world):
    plan = plan_get_or_create(person=org.reps["R1"], date=DAY)
    with pytest.raises(NotFound):
        plan_add_customers(plan=plan, codes=["C1", "X1"])
    with pytest.raises(NotFound):
        plan_add_customers(plan=plan, codes=["NOPE"])
    assert plan.stops.count() == 0  # nothing written
    with pytest.raises(TiejunError):
        plan_add_customers(plan=plan, codes=[])


def test_plan_update_validates_and_moves_the_start(org, world):
    plan = plan_get_or_create(person=org.reps["R1"], date=DAY)
    plan_add_customers(plan=plan, codes=["C1", "C2"])
    with pytest.raises(TiejunError) as caught:
        plan_update(plan=plan, start_lat="95", start_lon="120")
    assert caught.value.field == "start_lat"
    with pytest.raises(TiejunError):
        plan_update(plan=plan, start_lat="30.2")
    with pytest.raises(TiejunError):
        plan_update(plan=plan, day_starts_at=dt.time(18), day_ends_at=dt.time(9))
    plan.refresh_from_db()
    assert plan.start_lat is None
    before = plan.total_distance_m
    plan_update(
        plan=plan,
        start_label="公司",
        start_lat="30.30",
        start_lon="120.30",
        lunch_from=dt.time(12),
        lunch_minutes=60,
    )
    plan.refresh_from_db()
    assert plan.start_lat == Decimal("30.300000")
    assert plan.total_distance_m > before  # the office is far away from both customers


def test_default_start_is_office_setting_or_centroid(org, world, settings):
    plan = plan_get_or_create(person=org.reps["R1"], date=DAY)
    plan_add_customers(plan=plan, codes=["C1", "C2"])
    data = route_input(plan, plan_stops(plan))
    assert data.depot.lat == pytest.approx(30.25) and data.depot.lon == pytest.approx(120.175)
    settings.OFFICE_LAT, settings.OFFICE_LON = "30.1", "120.0"
    data = route_input(plan, plan_stops(plan))
    assert (data.depot.lat, data.depot.lon) == (30.1, 120.0)


# --- selectors ----------------------------------------------------------------------------------


def test_suggestions(org, world, settings, django_assert_num_queries):
    r1 = org.reps["R1"]
    settings.REVISIT_DAYS = "A=7,B=14,C=30"
    c1, c2 = world["mine"][:2]
    visit(r1, org.team_a, c1, timezone.make_aware(dt.datetime(2026, 2, 27, 10)))  # 3 days: fine
    visit(r1, org.team_a, c2, timezone.make_aware(dt.datetime(2026, 2, 1, 10)))  # 29 days: due
    plan = plan_get_or_create(person=r1, date=DAY)
    plan_add_customers(plan=plan, codes=["C1"])
    stops = plan_stops(plan)
    with django_assert_num_queries(3):
        found = plan_suggestions(r1, DAY, stops)
    overdue = [s.customer.code for s in found.overdue]
    # C1 is planned (and recent), C3 was followed up today; never visited (C4) comes first
    assert overdue == ["C4", "C2"]
    assert [s.customer.code for s in found.opportunities] == ["C2"]
    assert [s.customer.code for s in found.nearby] == ["P1"]  # P2 is far, X1 is not pool
    settings.REVISIT_DAYS = "A=7,B=60,C=30"
    assert [s.customer.code for s in plan_suggestions(r1, DAY, stops).overdue] == ["C4"]


def test_who_may_plan_for_whom(org):
    r1, r2, s1 = org.reps["R1"], org.reps["R2"], org.supervisor_a
    assert access_planner(r1, "R1") == r1
    assert access_planner(s1, "R1") == r1
    assert access_planner(org.admin, "R5") == org.reps["R5"]
    for viewer, target in [(r2, "R1"), (s1, "R3"), (r1, "S1"), (r1, "NOPE")]:
        with pytest.raises(NotFound):
            access_planner(viewer, target)
    people = [p.employee_no for p in plannable_people(s1)]
    assert people[0] == "S1" and {"R1", "R2"} <= set(people) and "R3" not in people
    assert [p.employee_no for p in plannable_people(r1)] == ["R1"]


# --- pages --------------------------------------------------------------------------------------


def login(client, no):
    assert client.login(username=no, password=PASSWORD)


def plan_url(no="R1", day=DAY, name="field:plan"):
    return reverse(name, args=[no, day.isoformat()])


@pytest.fixture
def planned(org, world):
    r1 = org.reps["R1"]
    c1 = world["mine"][0]
    for days in (3, 10, 20, 40):
        visit(
            r1,
            org.team_a,
            c1,
            timezone.make_aware(dt.datetime(2026, 3, 2, 9)) - dt.timedelta(days=days),
        )
    plan = plan_get_or_create(person=r1, date=DAY)
    plan_add_customers(plan=plan, codes=["C1", "C2", "C4", "P1"])
    plan_optimise(plan=plan, time_limit_s=0.1)
    return plan


def test_plan_page_renders(client, org, planned, django_assert_num_queries):
    login(client, "R1")
    with django_assert_num_queries(9):
        response = client.get(plan_url())
    assert response.status_code == 200
    html = response.content.decode()
    for code in ("C1", "C2", "C4", "P1"):
        assert f'data-code="{code}"' in html
    assert 'id="plan-map"' in html and "plan-points" in html
    assert "km" in html and 'id="optimise"' in html


def test_plan_page_query_count_does_not_grow_with_stops(
    client, org, world, django_assert_num_queries
):
    r1 = org.reps["R1"]
    login(client, "R1")
    plan = plan_get_or_create(person=r1, date=DAY)
    plan_add_customers(plan=plan, codes=["C1"])
    client.get(plan_url())
    with CaptureQueriesContext(connection) as one:
        client.get(plan_url())
    for i in range(8):
        customer(f"N{i}", r1, 30.2 + i / 100, 120.1)
    plan_add_customers(plan=plan, codes=[f"N{i}" for i in range(8)])
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(plan_url())


def test_empty_day_renders_without_creating_a_plan(client, org, world):
    login(client, "R1")
    response = client.get(plan_url(day=DAY + dt.timedelta(days=5)))
    assert response.status_code == 200
    assert not VisitPlan.objects.exists()
    assert client.get(reverse("field:plans")).status_code == 302


def test_page_actions(client, org, world):
    login(client, "R1")
    url = plan_url()
    response = client.post(url, {"action": "add", "codes": "C1, C2", "customer": ["P1"]})
    assert response.status_code == 302
    plan = VisitPlan.objects.get(person=org.reps["R1"], date=DAY)
    assert sorted(codes(plan)) == ["C1", "C2", "P1"]
    client.post(url, {"action": "optimise"})
    plan.refresh_from_db()
    assert plan.optimised_at is not None
    order = codes(plan)
    client.post(url, {"action": "up", "customer": order[1]})
    assert codes(plan)[:2] == [order[1], order[0]]
    client.post(url, {"action": "remove", "customer": "P1"})
    assert "P1" not in codes(plan)
    response = client.post(
        url,
        {
            "action": "settings",
            "start_lat": "200",
            "start_lon": "1",
            "day_starts_at": "08:30",
            "day_ends_at": "18:00",
            "lunch_from": "12:00",
            "lunch_minutes": "60",
        },
        follow=True,
    )
    assert "Must lie between" in response.content.decode()
    client.post(
        url,
        {
            "action": "settings",
            "day_starts_at": "08:30",
            "day_ends_at": "17:30",
            "lunch_from": "",
            "lunch_minutes": "0",
        },
    )
    plan.refresh_from_db()
    assert plan.day_starts_at == dt.time(8, 30) and plan.lunch_from is None


def test_customer_not_visible_is_404(client, org, world):
    login(client, "R1")
    response = client.post(plan_url(), {"action": "add", "codes": "X1"})
    assert response.status_code == 404
    assert not PlanStop.objects.exists()


def test_other_peoples_plans_are_404(client, org, planned):
    login(client, "R2")
    assert client.get(plan_url()).status_code == 404
    assert client.get(plan_url(name="field:plan-sheet")).status_code == 404
    assert client.get(plan_url(name="field:plan-pdf")).status_code == 404
    assert client.post(plan_url(), {"action": "optimise"}).status_code == 404
    assert client.get(reverse("field:plan", args=["R1", "not-a-date"])).status_code == 404


def test_supervisor_plans_for_a_rep(client, org, world):
    login(client, "S1")
    assert client.post(plan_url(), {"action": "add", "codes": "C1"}).status_code == 302
    assert codes(VisitPlan.objects.get(person=org.reps["R1"])) == ["C1"]
    response = client.get(plan_url())
    assert response.status_code == 200
    assert "R2" in response.content.decode()  # may switch to another rep of the team


def test_route_sheet_is_printable(client, org, planned, django_assert_num_queries):
    login(client, "R1")
    client.get(plan_url(name="field:plan-sheet"))  # a warm cache
    # session, person, plan, stops with customers; the briefs: contacts, open opportunities, the
    # last three visits of each customer
    with django_assert_num_queries(7):
        response = client.get(plan_url(name="field:plan-sheet"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "@media print" in html
    assert "王经理" in html and "年度采购" in html and "只在下午" in html
    brief = html.split('id="brief-C1"')[1].split("sheet-stop")[0]
    last_visits = brief.split("Last visits")[1].split("</p>")[0]
    assert last_visits.count("2026-") == 3  # the last three visits of four
    assert "last visit 2026-02-27" in brief  # the real day of the newest visit
    c3 = html.split('id="brief-C4"')[1].split("sheet-stop")[0]
    assert "no visit recorded" in c3
    assert "¥50,000.00" in html  # the opportunity's amount as money


def test_customer_briefs_read_only_the_last_three_visits(
    org, world, planned, django_assert_num_queries
):
    c1, c2 = world["mine"][0], world["mine"][1]
    customers = list(Customer.objects.filter(pk__in=[c1.pk, c2.pk]))
    with CaptureQueriesContext(connection) as captured:
        briefs = customer_briefs(customers)
    # then: three queries whatever the number of customers, and the database keeps three visits
    assert len(captured.captured_queries) == 3
    assert "ROW_NUMBER() OVER (PARTITION BY" in captured.captured_queries[-1]["sql"]
    assert [v.checkin_at.date() for v in briefs[c1.pk].visits] == [
        dt.date(2026, 2, 27),
        dt.date(2026, 2, 20),
        dt.date(2026, 2, 10),
    ]
    assert [c.name for c in briefs[c1.pk].contacts] == ["王经理"]
    assert [o.title for o in briefs[c2.pk].opportunities] == ["年度采购"]
    assert briefs[c2.pk].visits == [] and briefs[c2.pk].contacts == []
    with django_assert_num_queries(0):
        assert customer_briefs([]) == {}
        assert briefs[c1.pk].visits[0].person.employee_no == "R1"


def test_route_sheet_pdf(client, org, planned, django_assert_num_queries):
    login(client, "R1")
    client.get(plan_url(name="field:plan-pdf"))  # a warm cache
    with django_assert_num_queries(7):  # as the route sheet page
        response = client.get(plan_url(name="field:plan-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    assert b"Route sheet R1 2026-03-02" in body  # the document title
    # Issue 14: a CJK TrueType font is embedded (no reader-supplied STSong-Light, whose missing
    # "·" printed as a box): the Debian package fonts-wqy-microhei (.ci/run installs it)
    assert os.path.exists(FONT_FILES[0][0]), "apt-get install fonts-wqy-microhei"
    assert b"/FontFile2" in body and b"WenQuanYiMicroHei" in body
    assert b"STSong-Light" not in body
    font = pdfmetrics.getFont(EMBEDDED_FONT)
    for char in "·客户C1王经理年度采购¥50,000.00—上次拜访":
        assert ord(char) in font.face.charToGlyph, char


def test_navigation_and_call_links(client, org, planned):
    """Issue 14: each stop opens AMap, Baidu Maps or Apple Maps on its coordinates, and calls."""
    Customer.objects.filter(code="C1").update(phone="0571-8888 1234")
    login(client, "R1")
    html = client.get(plan_url()).content.decode()
    row = html.split('data-code="C1"')[1].split("</tr>")[0]
    assert 'href="tel:057188881234"' in row
    assert "https://uri.amap.com/navigation?to=120.170000,30.260000,%E5%AE%A2%E6%88%B7C1" in row
    assert "coordinate=wgs84" in row
    assert "baidumap://map/direction?destination=latlng:30.260000,120.170000|name:" in row
    assert "https://maps.apple.com/?daddr=30.260000,120.170000" in row
    assert 'id="start-here"' in html and 'id="plan-settings-form"' in html
    assert tel_uri("") == "" and tel_uri("+86 138-0000-0000") == "tel:+8613800000000"
    no_place = Customer(code="Z", name="Z", lat=None, lon=None)
    assert navigation_links(no_place) == {}


def test_the_map_stays_under_the_sticky_bar(client, org, planned):
    login(client, "R1")
    html = client.get(plan_url()).content.decode()
    assert "#plan-map{" in html and "isolation:isolate" in html and "z-index:0" in html


def _inflate(data: bytes) -> bytes:
    """A content stream as ReportLab writes it: ASCII85, then Flate."""
    data = data.strip()
    data = data[:-2] if data.endswith(b"~>") else data
    try:
        return zlib.decompress(base64.a85decode(data))
    except (ValueError, zlib.error):
        return b""


def _unescape(data: bytes) -> bytes:
    """Decode PDF literal-string escapes (\\ddd, \\(, \\), \\\\) in content streams."""
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else m.group(1),
        data,
    )


def test_route_command_for_a_saved_plan(org, planned, capsys):
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("route", "R1", date=DAY.isoformat(), json=True)
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"order", "distance_m", "duration_s", "arrivals"}
    assert out["order"][0] == out["order"][-1] == "start"
    assert sorted(out["order"][1:-1]) == ["C1", "C2", "C4", "P1"]
    assert out["distance_m"] > 0 and set(out["arrivals"]) == {"C1", "C2", "C4", "P1"}
    for args, kwargs in [
        (["R1"], {"date": "2026-13-01"}),
        (["R1"], {}),
        (["NOPE"], {"date": DAY.isoformat()}),
        (["R2"], {"date": DAY.isoformat()}),  # no plan that day
    ]:
        with pytest.raises(CommandError) as caught:
            call_command("route", *args, json=True, **kwargs)
        assert caught.value.returncode == 2
