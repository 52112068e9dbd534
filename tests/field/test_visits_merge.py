"""Double taps and open visits: a second check-in of a rep at the same customer within a few
minutes is the first visit; a check-in elsewhere closes the visit left open; the rep is warned at
once when the position is outside the geofence."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.field.conftest import LAT, LON
from tests.field.test_visits import body, client_for, now
from tiejun.field.models import Visit
from tiejun.field.services.checkins import visit_checkin
from tiejun.field.services.visits import visit_checkout
from tiejun.lab.models import Touch
from tiejun.scoreboard.models import Fact

# The real clock is never read: the check-ins happen on a fixed day (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def checkin(org, customers, customer="own", at=None, person="R1", now_=None):
    return visit_checkin(
        id=uuid.uuid4(),
        person=org.reps[person],
        customer=customers[customer],
        at=at or now(),
        lat=LAT,
        lon=LON,
        now=now_,
    )


def test_a_double_tap_is_one_visit_answered_like_a_retry(org, customers, django_assert_num_queries):
    client = client_for(org.reps["R1"])
    at = now()
    first = client.post("/api/v1/visits", body(checkin_at=at.isoformat()), "application/json")
    assert first.status_code == 201, first.content
    # when: the same check-in, queued twice offline under two ids, arrives 40 seconds apart
    second_body = body(checkin_at=(at + dt.timedelta(seconds=40)).isoformat())
    # session, person, savepoint, customer/team/plan, the look-up (finds the first), release
    with django_assert_num_queries(6):
        second = client.post("/api/v1/visits", second_body, content_type="application/json")
    # then: 200 with the first visit, as a retry of the first id gets; nothing new written
    assert second.status_code == 200, second.content
    assert second.json() == first.json()
    again = client.post("/api/v1/visits", second_body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1
    assert Fact.objects.get(metric="visits").value == 1
    assert Touch.objects.count() == 1


def test_the_merge_window_is_per_rep_and_customer(org, customers, settings):
    settings.CHECKIN_MERGE_MINUTES = 5
    at = now() - dt.timedelta(minutes=30)  # (a day or month boundary between: all held alike)
    first, _ = checkin(org, customers, at=at)
    merged, created = checkin(org, customers, at=at + dt.timedelta(minutes=4))
    assert not created and merged.pk == first.pk
    # another customer, another rep, or the same customer later are visits of their own
    assert checkin(org, customers, "pool", at=at + dt.timedelta(minutes=1))[1]
    assert checkin(org, customers, "pool", at=at + dt.timedelta(minutes=1), person="R2")[1]
    assert checkin(org, customers, at=at + dt.timedelta(minutes=20))[1]
    assert Visit.objects.filter(person=org.reps["R1"]).count() == 3


def test_a_check_in_elsewhere_checks_the_open_visit_out(org, customers):
    today = timezone.localdate()
    base = timezone.make_aware(dt.datetime.combine(today, dt.time(10, 0)))
    noon = base + dt.timedelta(hours=2)  # the clock of this test
    # given: yesterday's visit left open, one of today checked out, one of today left open
    old_open, _ = checkin(org, customers, "pool", at=base - dt.timedelta(hours=16), now_=noon)
    done, _ = checkin(org, customers, "pool", at=base, now_=noon)
    visit_checkout(visit=done, by=org.reps["R1"], at=base + dt.timedelta(minutes=5), now=noon)
    left_open, _ = checkin(org, customers, "own", at=base + dt.timedelta(minutes=10), now_=noon)
    # when: the rep checks in elsewhere
    new, created = checkin(org, customers, "nowhere", at=base + dt.timedelta(minutes=50), now_=noon)
    # then: only today's open visit is checked out, at the new check-in's time
    assert created
    left_open.refresh_from_db()
    assert left_open.checkout_at == new.checkin_at and left_open.auto_checkout
    assert left_open.duration_minutes == 40
    done.refresh_from_db()
    assert done.checkout_at == base + dt.timedelta(minutes=5) and not done.auto_checkout
    old_open.refresh_from_db()
    assert old_open.checkout_at is None
    assert Visit.objects.filter(person=org.reps["R1"], checkout_at__isnull=True).count() == 2
    # the lab's hours come from real check-outs only
    assert Touch.objects.get(activity_id=f"checkin:{left_open.pk}").hours == 0
    # the outcome recorded later keeps the end the next check-in gave it
    visit_checkout(visit=left_open, by=org.reps["R1"], met_whom="王经理", now=noon)
    left_open.refresh_from_db()
    assert left_open.checkout_at == new.checkin_at and left_open.met_whom == "王经理"


def test_the_check_in_answer_warns_outside_the_geofence(org, customers):
    client = client_for(org.reps["R1"])
    inside = client.post("/api/v1/visits", body(), content_type="application/json")
    assert inside.status_code == 201 and inside.json()["warnings"] == []
    outside = client.post(
        "/api/v1/visits",
        body(customer_code="C-POOL", lat=float(LAT) + 0.01),
        content_type="application/json",
    )
    assert outside.status_code == 201
    warnings = outside.json()["warnings"]
    assert outside.json()["outside_geofence"]
    assert any(
        w.startswith("You are 1") and "m from 公海客户" in w and "farther than 300 m" in w
        for w in warnings
    ), warnings
    # the check-in page has the place where the script shows them, and the flags of the day
    page = client.get("/field/checkin/").content.decode()
    assert 'id="warnings"' in page and "outside the geofence" in page


def test_a_merge_window_of_zero_switches_merging_off_but_not_the_id_retry(org, customers, settings):
    settings.CHECKIN_MERGE_MINUTES = 0
    at = now()
    first, _ = checkin(org, customers, at=at)
    second, created = checkin(org, customers, at=at)
    assert created and second.pk != first.pk
    again, created = visit_checkin(
        id=second.pk, person=org.reps["R1"], customer=customers["own"], at=at, lat=LAT, lon=LON
    )
    assert not created and again.pk == second.pk
