"""Back-dating: a check-in older than TIEJUN_CHECKIN_BACKDATE_DAYS, or in a month already over,
is kept but held for the supervisor's approval; it counts (board, lab, rebuild) only once approved."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.field.conftest import LAT, LON
from tests.field.test_visits import body, client_for, now
from tiejun.errors import Forbidden, NotFound
from tiejun.field.models import Visit
from tiejun.field.selectors.visits import Conflict, access_visit, visits_awaiting, visits_held
from tiejun.field.services.checkins import visit_checkin
from tiejun.field.services.visits import visit_approve
from tiejun.imports.services import run_import
from tiejun.lab.models import Touch
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.services import scoreboard_rebuild

# The real clock is never read: the check-ins happen on a fixed day (tests/field/conftest.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def late_checkin(org, customers, *, days=3, at=None, now_=None, person="R1", customer="own"):
    visit, created = visit_checkin(
        id=uuid.uuid4(),
        person=org.reps[person],
        customer=customers[customer],
        at=at or now() - dt.timedelta(days=days),
        lat=LAT,
        lon=LON,
        now=now_,
    )
    assert created
    return visit


def visits_fact() -> int:
    return int(sum(Fact.objects.filter(metric="visits").values_list("value", flat=True)))


def test_a_check_in_three_days_late_is_kept_but_held_and_counts_nothing(org, customers):
    visit = late_checkin(org, customers, days=3)
    assert visit.approval == "pending"
    assert visits_fact() == 0 and not Touch.objects.exists()
    customers["own"].refresh_from_db()
    assert customers["own"].last_activity_on is None
    # the rep and the supervisor see it; the supervisor may approve it, the rep not
    assert list(visits_held(org.reps["R1"])) == [visit]
    assert list(visits_awaiting(org.supervisor_a)) == [visit]
    assert list(visits_awaiting(org.manager)) == [visit]
    assert not visits_awaiting(org.reps["R1"]).exists()
    assert not visits_awaiting(org.reps["R3"]).exists()
    # a rebuild from the rows leaves it out too
    scoreboard_rebuild()
    assert visits_fact() == 0


def test_within_the_window_it_counts_and_the_window_is_a_setting(org, customers, settings):
    visit = late_checkin(org, customers, days=0)
    assert visit.approval == "" and visits_fact() == 1
    settings.CHECKIN_BACKDATE_DAYS = 0
    held = late_checkin(org, customers, at=now() - dt.timedelta(hours=1), customer="pool")
    assert held.approval == "pending" and visits_fact() == 1


def test_a_check_in_into_a_month_already_over_is_held_even_within_the_window(org, customers):
    # given: one hour into this month, a visit of the last evening of the previous month
    first = timezone.localdate().replace(day=1)
    moment = timezone.make_aware(dt.datetime.combine(first, dt.time(1, 0)))
    visit = late_checkin(org, customers, at=moment - dt.timedelta(hours=3), now_=moment)
    assert visit.approval == "pending"
    assert visits_fact() == 0


def test_approving_credits_the_visit_on_its_own_day_once(org, customers):
    visit = late_checkin(org, customers, days=3)
    supervisor = org.supervisor_a
    approved = visit_approve(visit=access_visit(supervisor, visit.pk), by=supervisor, approve=True)
    assert approved.approval == "approved" and approved.approved_by == supervisor
    fact = Fact.objects.get(metric="visits")
    assert fact.day == timezone.localtime(visit.checkin_at).date() and fact.value == 1
    assert Touch.objects.filter(activity_id=f"checkin:{visit.pk}").exists()
    # a repeat changes nothing; the other decision after one is a conflict
    visit_approve(visit=access_visit(supervisor, visit.pk), by=supervisor, approve=True)
    assert visits_fact() == 1
    with pytest.raises(Conflict):
        visit_approve(visit=access_visit(supervisor, visit.pk), by=supervisor, approve=False)
    scoreboard_rebuild()
    assert visits_fact() == 1


def test_refused_never_counts_and_nobody_approves_their_own_or_a_foreign_one(org, customers):
    visit = late_checkin(org, customers, days=5)
    with pytest.raises(Forbidden):
        visit_approve(visit=access_visit(org.reps["R1"], visit.pk), by=org.reps["R1"], approve=True)
    with pytest.raises(NotFound):
        access_visit(org.reps["R3"], visit.pk)
    refused = visit_approve(visit=visit, by=org.supervisor_a, approve=False)
    assert refused.approval == "refused" and visits_fact() == 0
    assert list(visits_held(org.reps["R1"])) == [refused]  # the rep sees it was refused
    scoreboard_rebuild()
    assert visits_fact() == 0


def test_an_import_by_admin_of_old_history_is_not_held(org, customers):
    day = timezone.localdate() - dt.timedelta(days=10)
    visit_id = uuid.uuid4()
    data = (
        "visit_id,employee_no,customer_code,checkin_at,lat,lon,outcome,channel\n"
        f"{visit_id},R1,C-OWN,{day} 09:30,30.25,120.15,high,visit"
    ).encode()
    result = run_import("visits", data, "visits.csv")
    assert result.ok, result.to_json()
    assert Visit.objects.get(pk=visit_id).approval == ""
    assert visits_fact() == 1


# --- API and pages -----------------------------------------------------------------------------


def test_api_holds_a_late_check_in_and_the_supervisor_approves_it(org, customers):
    rep = client_for(org.reps["R1"])
    data = body(checkin_at=(now() - dt.timedelta(days=4)).isoformat())
    response = rep.post("/api/v1/visits", data, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["approval"] == "pending"
    assert any("approval" in w for w in response.json()["warnings"])
    assert visits_fact() == 0
    url = f"/api/v1/visits/{data['id']}/approval"
    # the rep may not approve it, another team's rep does not see it
    assert rep.post(url, {"approve": True}, content_type="application/json").status_code == 403
    other = client_for(org.reps["R3"])
    assert other.post(url, {"approve": True}, content_type="application/json").status_code == 404
    assert other.get("/api/v1/visits/approvals").json() == []
    supervisor = client_for(org.supervisor_a)
    waiting = supervisor.get("/api/v1/visits/approvals").json()
    assert [v["id"] for v in waiting] == [data["id"]]
    response = supervisor.post(url, {"approve": True}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["approval"] == "approved"
    assert visits_fact() == 1
    assert supervisor.get("/api/v1/visits/approvals").json() == []


def test_the_pages_show_held_check_ins_to_the_rep_and_let_the_supervisor_decide(org, customers):
    visit = late_checkin(org, customers, days=3)
    page = client_for(org.reps["R1"]).get("/field/checkin/").content.decode()
    assert 'id="held"' in page and "waiting for approval" in page and str(visit.pk) in page
    supervisor = client_for(org.supervisor_a)
    page = supervisor.get("/field/checkin/approvals/").content.decode()
    assert str(visit.pk) in page and "西湖茶业" in page
    url = f"/field/checkin/{visit.pk}/approval/"
    assert client_for(org.reps["R1"]).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(org.reps["R3"]).post(url, {"decision": "approve"}).status_code == 404
    assert supervisor.post(url, {"decision": "maybe"}).status_code == 400
    response = supervisor.post(url, {"decision": "approve"}, follow=True)
    assert response.status_code == 200 and "Approved: 西湖茶业" in response.content.decode()
    visit.refresh_from_db()
    assert visit.approval == "approved" and visits_fact() == 1
