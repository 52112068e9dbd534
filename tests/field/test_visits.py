"""Check-ins: the services, the API (idempotent on the client's id), flags, the visits metric."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.factories import client_for
from tests.field.conftest import LAT, LON
from tiejun.errors import NotFound, TiejunError
from tiejun.field.api.visits import VisitOut, visit_out
from tiejun.field.models import Visit
from tiejun.field.selectors.visits import Conflict, visits_for, visits_visible_to
from tiejun.field.services.checkins import visit_checkin
from tiejun.field.services.visits import visit_checkout
from tiejun.lab.models import Touch
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit

# The real clock is never read: the check-ins happen on a fixed day (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def body(**changes):
    data = {
        "id": str(uuid.uuid4()),
        "customer_code": "C-OWN",
        "lat": float(LAT) + 0.001,  # ~111 m away
        "lon": float(LON),
        "accuracy_m": 25,
        "position_at": (now() - dt.timedelta(seconds=30)).isoformat(),
        "checkin_at": now().isoformat(),
    }
    return {**data, **changes}


def image_bytes(size=(40, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


# --- services ----------------------------------------------------------------------------------


def test_checkin_stores_position_distance_team_and_flags_nothing_inside_the_fence(org, customers):
    r1 = org.reps["R1"]
    at = now()
    visit, created = visit_checkin(
        id=uuid.uuid4(),
        person=r1,
        customer=customers["own"],
        at=at,
        lat=LAT + Decimal("0.001"),
        lon=LON,
        accuracy_m=20,
        position_at=at - dt.timedelta(seconds=10),
    )
    assert created
    assert visit.unit == org.team_a
    assert 105 <= visit.distance_m <= 115
    assert not (visit.outside_geofence or visit.poor_accuracy or visit.stale_position)
    customers["own"].refresh_from_db()
    assert customers["own"].last_activity_on == timezone.localdate()
    # and the lab counts it as a visit touch
    assert Touch.objects.filter(activity_id=f"checkin:{visit.pk}", person=r1).exists()
    assert list(visits_for(r1, timezone.localdate())) == [visit]


def test_flags_outside_the_geofence_poor_accuracy_and_a_stale_position(org, customers):
    at = now()
    visit, _ = visit_checkin(
        id=uuid.uuid4(),
        person=org.reps["R1"],
        customer=customers["own"],
        at=at,
        lat=LAT + Decimal("0.01"),  # ~1.1 km
        lon=LON,
        accuracy_m=500,
        position_at=at - dt.timedelta(minutes=10),
    )
    assert visit.distance_m > 1000
    assert visit.outside_geofence and visit.poor_accuracy and visit.stale_position


def test_thresholds_come_from_settings(org, customers, settings):
    settings.GEOFENCE_M = 50
    settings.POOR_ACCURACY_M = 10
    settings.STALE_POSITION_S = 5
    at = now()
    visit, _ = visit_checkin(
        id=uuid.uuid4(),
        person=org.reps["R1"],
        customer=customers["own"],
        at=at,
        lat=LAT + Decimal("0.001"),
        lon=LON,
        accuracy_m=20,
        position_at=at - dt.timedelta(seconds=30),
    )
    assert visit.outside_geofence and visit.poor_accuracy and visit.stale_position


def test_a_customer_without_a_location_has_no_distance_and_no_geofence_flag(org, customers):
    visit, _ = visit_checkin(
        id=uuid.uuid4(),
        person=org.reps["R1"],
        customer=customers["nowhere"],
        at=now(),
        lat=LAT,
        lon=LON,
    )
    assert visit.distance_m is None and not visit.outside_geofence


def test_a_retry_returns_the_stored_visit_and_another_person_is_refused(org, customers):
    pk = uuid.uuid4()
    kwargs = {"id": pk, "customer": customers["pool"], "at": now(), "lat": LAT, "lon": LON}
    first, created = visit_checkin(person=org.reps["R1"], **kwargs)
    again, created_again = visit_checkin(person=org.reps["R1"], **kwargs)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(Conflict):
        visit_checkin(person=org.reps["R2"], **kwargs)
    assert Visit.objects.count() == 1


def test_someone_elses_customer_is_not_found(org, customers):
    with pytest.raises(NotFound):
        visit_checkin(
            id=uuid.uuid4(),
            person=org.reps["R1"],
            customer=customers["other"],
            at=now(),
            lat=LAT,
            lon=LON,
        )
    # R3's leaders may: the manager of HZ leads HZ2
    _visit, created = visit_checkin(
        id=uuid.uuid4(), person=org.manager, customer=customers["other"], at=now(), lat=LAT, lon=LON
    )
    assert created
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(91, 120, "lat"), (-90.5, 120, "lat"), (30, 181, "lon"), ("abc", 120, "lat"), (30, "", "lon")],
)
def test_bad_coordinates_write_nothing(org, customers, lat, lon, field):
    with pytest.raises(TiejunError) as caught:
        visit_checkin(
            id=uuid.uuid4(),
            person=org.reps["R1"],
            customer=customers["own"],
            at=now(),
            lat=lat,
            lon=lon,
        )
    assert caught.value.field == field
    assert not Visit.objects.exists() and not Fact.objects.exists()


def test_checkout_records_duration_and_outcome(org, customers):
    at = now() - dt.timedelta(minutes=45)
    visit, _ = visit_checkin(
        id=uuid.uuid4(), person=org.reps["R1"], customer=customers["own"], at=at, lat=LAT, lon=LON
    )
    visit = visit_checkout(
        visit=visit,
        by=org.reps["R1"],
        at=at + dt.timedelta(minutes=40),
        met_whom="王经理",
        interest="high",
        next_step="send a quote",
        next_date=timezone.localdate() + dt.timedelta(days=3),
        notes="wants 20 units",
        channel="visit",
    )
    visit.refresh_from_db()
    assert visit.duration_minutes == 40
    assert (visit.met_whom, visit.interest, visit.next_step) == ("王经理", "high", "send a quote")
    assert Touch.objects.get(activity_id=f"checkin:{visit.pk}").hours == Decimal("0.67")
    with pytest.raises(TiejunError):
        visit_checkout(visit=visit, at=at - dt.timedelta(minutes=1))
    with pytest.raises(TiejunError):
        visit_checkout(visit=visit, interest="lukewarm")


def test_the_board_counts_check_ins_as_visits(org, customers):
    today = timezone.localdate()
    for customer in ("own", "pool", "nowhere"):  # the same customer twice now would merge
        visit_checkin(
            id=uuid.uuid4(),
            person=org.reps["R1"],
            customer=customers[customer],
            at=now(),
            lat=LAT,
            lon=LON,
        )
    visit_checkin(
        id=uuid.uuid4(),
        person=org.reps["R2"],
        customer=customers["pool"],
        at=now(),
        lat=LAT,
        lon=LON,
    )
    board = board_for_unit(org.team_a, month=today.replace(day=1), as_of=today, metric="visits")
    assert board.achieved == 4
    rows = {row.code: row.achieved for row in board.rows}
    assert rows["R1"] == 3 and rows["R2"] == 1
    branch = board_for_unit(org.branch, month=today.replace(day=1), as_of=today, metric="visits")
    assert branch.achieved == 4
    # a rebuild from the rows gives the same facts
    from tiejun.scoreboard.services import scoreboard_rebuild

    before = sorted(Fact.objects.filter(metric="visits").values_list("person_id", "value"))
    assert "visits" in scoreboard_rebuild()
    after = sorted(Fact.objects.filter(metric="visits").values_list("person_id", "value"))
    assert before == after


def test_who_sees_which_visits(org, customers):
    for no in ("R1", "R2", "R3"):
        visit_checkin(
            id=uuid.uuid4(),
            person=org.reps[no],
            customer=customers["pool"],
            at=now(),
            lat=LAT,
            lon=LON,
        )
    today = timezone.localdate()

    def seen(viewer):
        return sorted(v.person.employee_no for v in visits_visible_to(viewer, today))

    assert seen(org.reps["R1"]) == ["R1"]
    assert seen(org.supervisor_a) == ["R1", "R2"]
    assert seen(org.manager) == ["R1", "R2", "R3"]
    assert seen(org.admin) == ["R1", "R2", "R3"]
    assert seen(org.reps["R5"]) == []


# --- API ---------------------------------------------------------------------------------------


def test_post_is_idempotent_201_then_200_and_one_row(org, customers, django_assert_num_queries):
    client = client_for(org.reps["R1"])
    # both check-ins on one local day, even in a run just after midnight
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    first_at = max(midnight, now() - dt.timedelta(minutes=30)).astimezone(dt.UTC)
    data = body(checkin_at=first_at.isoformat())
    client.get("/field/checkin/")  # a warm cache
    # A first send: session, person; then in one transaction (a savepoint here) one statement
    # for the customer, the rep's team and planned stop, the double-tap/retry/open-visit
    # look-up, the visit, the customer's last activity, the visits fact (one upsert), the lab
    # touch. No lock on the person beyond what the visit's foreign key takes.
    with django_assert_num_queries(10):
        first = client.post("/api/v1/visits", data, content_type="application/json")
    assert first.status_code == 201, first.content
    # A retry finds its own visit in that look-up: it is the answer, and nothing is written.
    with django_assert_num_queries(6):
        second = client.post("/api/v1/visits", data, content_type="application/json")
    assert second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["id"] == data["id"]
    assert first.json()["unit_code"] == "HZ1"
    assert not first.json()["outside_geofence"]
    assert Visit.objects.count() == 1
    assert Fact.objects.get(metric="visits").value == 1
    # The next check-in elsewhere checks the first out in one more statement.
    later = dt.datetime.fromisoformat(data["checkin_at"]) + dt.timedelta(minutes=1)
    elsewhere = body(customer_code="C-POOL", checkin_at=later.isoformat())
    with django_assert_num_queries(11):
        third = client.post("/api/v1/visits", elsewhere, content_type="application/json")
    assert third.status_code == 201, third.content
    assert third.json()["warnings"] == [
        f"Your open visit at 西湖茶业 was checked out at {timezone.localtime(later):%H:%M}."
    ]


def test_post_flags_outside_the_geofence(org, customers):
    client = client_for(org.reps["R1"])
    response = client.post(
        "/api/v1/visits",
        body(lat=float(LAT) + 0.01, accuracy_m=350),
        content_type="application/json",
    )
    assert response.status_code == 201
    data = response.json()
    assert data["outside_geofence"] and data["poor_accuracy"] and not data["stale_position"]


def test_post_with_a_bearer_token(org, customers):
    from tiejun.org.services import token_create

    key = token_create(person=org.reps["R1"])
    client = Client()
    response = client.post(
        "/api/v1/visits",
        body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert Visit.objects.get().source == "api"


def test_the_check_in_answer_is_what_the_schema_makes_of_the_visit(org, customers):
    """The check-in answers with ``visit_out`` (built field by field, for speed): it must be
    what validating the visit through ``VisitOut`` gives, in every state a visit can be in."""
    rep = org.reps["R1"]
    at = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))  # a fixed morning, whatever today
    clock = at + dt.timedelta(hours=3)
    # given: a visit outside the fence with a poor, stale position, held for approval
    first, _ = visit_checkin(
        id=uuid.uuid4(),
        person=rep,
        customer=customers["own"],
        at=at,
        lat=LAT + Decimal("0.01"),
        lon=LON,
        accuracy_m=500,
        position_at=at - dt.timedelta(minutes=10),
        hold=True,
        now=clock,
    )
    # and the next one elsewhere, which checks the first out, then its own check-out
    second, _ = visit_checkin(
        id=uuid.uuid4(),
        person=rep,
        customer=customers["pool"],
        at=at + dt.timedelta(minutes=40),
        lat=LAT,
        lon=LON,
        hold=False,
        now=clock,
    )
    answered = [first, second]
    second.photo.name = "visits/2026/12/door.jpg"  # the answer names its URL; no file is read
    checked_out = visit_checkout(
        visit=Visit.objects.select_related("person", "unit", "customer").get(pk=second.pk),
        by=rep,
        at=at + dt.timedelta(minutes=75),
        met_whom="李总",
        interest="high",
        next_step="demo",
        next_date=dt.date(2026, 12, 4),
        notes="ok",
        channel="salon",
        now=clock,
    )
    stored = list(Visit.objects.select_related("person", "unit", "customer"))
    # then
    assert second.closed_customers and checked_out.duration_minutes == 35
    for visit in [*answered, checked_out, *stored]:
        assert visit_out(visit).model_dump() == VisitOut.from_orm(visit).model_dump()


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"lat": 95}, 400, "lat"),
        ({"lon": -200}, 400, "lon"),
        ({"customer_code": "NOPE"}, 404, "customer_code"),
        ({"customer_code": "C-R3"}, 404, "customer_code"),
        ({"id": "not-a-uuid"}, 400, "id"),
        ({"checkin_at": "yesterday"}, 400, "checkin_at"),
        ({"checkin_at": "2099-01-01T09:00:00+08:00"}, 400, "checkin_at"),
        ({"accuracy_m": -3}, 400, "accuracy_m"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(org, customers, changes, status, field):
    client = client_for(org.reps["R1"])
    response = client.post("/api/v1/visits", body(**changes), content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not Visit.objects.exists() and not Fact.objects.exists()


def test_the_same_id_from_another_person_is_a_conflict(org, customers):
    data = body(customer_code="C-POOL")
    assert (
        client_for(org.reps["R1"])
        .post("/api/v1/visits", data, content_type="application/json")
        .status_code
        == 201
    )
    response = client_for(org.reps["R2"]).post(
        "/api/v1/visits", data, content_type="application/json"
    )
    assert response.status_code == 409
    assert Visit.objects.count() == 1


def test_multipart_with_a_photo(org, customers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(org.reps["R1"])
    photo = SimpleUploadedFile("door.png", image_bytes(), content_type="image/png")
    response = client.post("/api/v1/visits", {**body(), "photo": photo})
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert visit.photo and visit.photo.name.endswith(".jpg")  # the stored copy is a JPEG
    assert response.json()["photo"]


def test_a_photo_that_is_not_an_image_or_too_large_is_refused(org, customers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(org.reps["R1"])
    fake = SimpleUploadedFile("door.jpg", b"this is not a picture", content_type="image/jpeg")
    response = client.post("/api/v1/visits", {**body(), "photo": fake})
    assert response.status_code == 400
    assert response.json() == {"detail": "the photo is not an image", "field": "photo"}
    settings.PHOTO_MAX_BYTES = 100
    big = SimpleUploadedFile("big.png", image_bytes((200, 200)), content_type="image/png")
    response = client.post("/api/v1/visits", {**body(), "photo": big})
    assert response.status_code == 413
    assert "at most" in response.json()["detail"]
    assert not Visit.objects.exists() and not list(tmp_path.rglob("*.png"))


def test_get_lists_the_callers_visible_visits_of_a_day(org, customers, django_assert_num_queries):
    for no in ("R1", "R2", "R3"):
        client_for(org.reps[no]).post(
            "/api/v1/visits", body(customer_code="C-POOL"), content_type="application/json"
        )
    today = timezone.localdate().isoformat()
    client = client_for(org.supervisor_a)
    with django_assert_num_queries(6):
        response = client.get("/api/v1/visits", {"date": today})
    assert response.status_code == 200
    assert sorted(v["employee_no"] for v in response.json()) == ["R1", "R2"]
    mine = client_for(org.reps["R3"]).get("/api/v1/visits", {"date": today}).json()
    assert [v["employee_no"] for v in mine] == ["R3"]
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/visits", {"date": yesterday}).json() == []
    assert client.get("/api/v1/visits", {"date": "tomorrow"}).status_code in (400, 422)


def test_checkout_over_the_api(org, customers):
    data = body(checkin_at=(now() - dt.timedelta(minutes=30)).isoformat())
    client = client_for(org.reps["R1"])
    client.post("/api/v1/visits", data, content_type="application/json")
    response = client.post(
        f"/api/v1/visits/{data['id']}/checkout",
        {"met_whom": "李总", "interest": "medium", "next_step": "demo", "notes": "ok"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["duration_minutes"] == 30
    assert response.json()["interest"] == "medium"
    # the supervisor sees it but may not check out for the rep; another rep does not see it
    response = client_for(org.supervisor_a).post(
        f"/api/v1/visits/{data['id']}/checkout", {}, content_type="application/json"
    )
    assert response.status_code == 403
    response = client_for(org.reps["R3"]).post(
        f"/api/v1/visits/{data['id']}/checkout", {}, content_type="application/json"
    )
    assert response.status_code == 404
    bad = client.post(
        f"/api/v1/visits/{data['id']}/checkout",
        {"interest": "hot"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "interest"


def test_anonymous_is_refused(db):
    assert (
        Client().post("/api/v1/visits", body(), content_type="application/json").status_code == 401
    )
