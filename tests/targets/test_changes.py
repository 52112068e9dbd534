"""Changes after the lock: requests with a reason, decided by the level above."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import client_for, person
from tiejun.audit.models import AuditEntry
from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import Role
from tiejun.targets.changes import (
    change_request_create,
    change_request_decide,
    change_request_withdraw,
    change_requests_for,
)
from tiejun.targets.models import ChangeRequestStatus, Target, TargetChange, TargetChangeRequest
from tiejun.targets.services import target_set

TODAY = dt.date(2026, 12, 4)  # December is locked since 1 December
BEFORE = dt.date(2026, 11, 20)
DEC = dt.date(2026, 12, 1)
REASON = "客户合同延期到下个月签约"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)


@pytest.fixture
def december(org):
    target_set(month=DEC, metric="revenue", unit=org.team_a, value=Decimal(100000), today=BEFORE)
    for rep in ("R1", "R2"):
        target_set(
            month=DEC, metric="revenue", person=org.reps[rep], value=Decimal(50000), today=BEFORE
        )
    return org


def _ask(org, by, value=40000, **owner):
    owner = owner or {"person": org.reps["R1"]}
    return change_request_create(
        by=by,
        month=DEC,
        metric="revenue",
        value=Decimal(value),
        reason=REASON,
        today=TODAY,
        **owner,
    )


def test_a_rep_asks_and_their_supervisor_approves(december):
    org = december
    request = _ask(org, org.reps["R1"])
    assert request.status == ChangeRequestStatus.PENDING
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(50000)  # not yet
    # the rep may not decide their own request
    with pytest.raises(Forbidden):
        change_request_decide(request_id=request.pk, by=org.reps["R1"], approve=True, today=TODAY)
    decided = change_request_decide(
        request_id=request.pk, by=org.supervisor_a, approve=True, today=TODAY
    )
    assert decided.status == ChangeRequestStatus.APPROVED and decided.decided_by == org.supervisor_a
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(40000)
    change = TargetChange.objects.filter(person=org.reps["R1"]).order_by("-id").first()
    assert (change.locked, change.reason, change.changed_by) == (True, REASON, org.supervisor_a)
    actions = list(
        AuditEntry.objects.filter(object_id="2026-12:revenue:person:R1").values_list(
            "action", flat=True
        )
    )
    assert {"request", "approved", "update"} <= set(actions)


def test_a_supervisors_own_team_is_decided_above_them_never_by_them(december):
    org = december
    request = _ask(org, org.supervisor_a, value=60000, unit=org.team_a)
    with pytest.raises(Forbidden, match="level above"):
        change_request_decide(request_id=request.pk, by=org.supervisor_a, approve=True, today=TODAY)
    # nor a rep of the team, nor a manager of another branch
    nb_manager = person("M2", org.other_branch, Role.MANAGER)
    for outsider in (org.reps["R2"], nb_manager):
        with pytest.raises(Forbidden):
            change_request_decide(request_id=request.pk, by=outsider, approve=True, today=TODAY)
    assert Target.objects.get(unit=org.team_a).value == Decimal(100000)
    change_request_decide(request_id=request.pk, by=org.manager, approve=True, today=TODAY)
    assert Target.objects.get(unit=org.team_a).value == Decimal(60000)


def test_a_supervisor_asking_for_a_rep_cannot_approve_their_own_request(december):
    org = december
    request = _ask(org, org.supervisor_a, value=1)
    with pytest.raises(Forbidden):
        change_request_decide(request_id=request.pk, by=org.supervisor_a, approve=True, today=TODAY)
    change_request_decide(
        request_id=request.pk, by=org.manager, approve=False, note="先完成本月拜访量", today=TODAY
    )
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(50000)
    assert AuditEntry.objects.filter(action="rejected", reason="先完成本月拜访量").exists()


def test_a_rejection_needs_a_note_and_a_decided_request_stays_decided(december):
    org = december
    request = _ask(org, org.reps["R1"])
    with pytest.raises(TiejunError, match="why"):
        change_request_decide(
            request_id=request.pk, by=org.supervisor_a, approve=False, today=TODAY
        )
    change_request_decide(
        request_id=request.pk,
        by=org.supervisor_a,
        approve=False,
        note="目标不变，加油",
        today=TODAY,
    )
    with pytest.raises(TiejunError, match="already"):
        change_request_decide(request_id=request.pk, by=org.manager, approve=True, today=TODAY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "降一点"}, "reason of at least"),
        ({"value": Decimal(50000)}, "already"),
        ({"value": Decimal(-5)}, "negative"),
        ({"month": dt.date(2027, 1, 1)}, "not locked"),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_written(december, kwargs, message):
    org = december
    args = {
        "by": org.reps["R1"],
        "month": DEC,
        "metric": "revenue",
        "value": Decimal(1),
        "reason": REASON,
    }
    args.update(kwargs)
    with pytest.raises(TiejunError, match=message):
        change_request_create(person=org.reps["R1"], today=TODAY, **args)
    assert not TargetChangeRequest.objects.exists()


def test_one_open_request_per_target_and_only_the_asker_withdraws(december):
    org = december
    request = _ask(org, org.reps["R1"])
    with pytest.raises(TiejunError, match="already an open request"):
        _ask(org, org.supervisor_a, value=30000)
    with pytest.raises(Forbidden):
        change_request_withdraw(request_id=request.pk, by=org.supervisor_a)
    change_request_withdraw(request_id=request.pk, by=org.reps["R1"])
    _ask(org, org.supervisor_a, value=30000)  # now another may ask


def test_a_rep_may_not_ask_for_someone_elses_target(december):
    org = december
    with pytest.raises(Forbidden):
        _ask(org, org.reps["R2"], person=org.reps["R1"])


def test_the_queue_shows_what_one_may_decide_and_ones_own(december):
    org = december
    own = _ask(org, org.reps["R1"])
    team = _ask(org, org.supervisor_a, value=90000, unit=org.team_a)
    nb = person("M2", org.other_branch, Role.MANAGER)
    assert {(r.request.pk, r.can_decide) for r in change_requests_for(org.supervisor_a)} == {
        (own.pk, True),
        (team.pk, False),
    }
    assert {(r.request.pk, r.can_decide) for r in change_requests_for(org.manager)} == {
        (own.pk, True),
        (team.pk, True),
    }
    assert [r.request.pk for r in change_requests_for(org.reps["R1"])] == [own.pk]
    assert change_requests_for(org.reps["R2"]) == []
    assert change_requests_for(nb) == []


# --- the API -----------------------------------------------------------------------------------


def test_ask_and_approve_over_the_api(december):
    org = december
    response = client_for(org.reps["R1"]).post(
        "/api/v1/targets/requests",
        {"month": "2026-12", "scope": "person", "code": "R1", "value": "45000", "reason": REASON},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["old_value"], body["new_value"], body["status"], body["can_decide"]) == (
        "50000.00",
        "45000.00",
        "pending",
        False,
    )
    queue = client_for(org.supervisor_a).get("/api/v1/targets/requests").json()
    assert [(r["id"], r["can_decide"]) for r in queue] == [(body["id"], True)]
    approved = client_for(org.supervisor_a).post(
        f"/api/v1/targets/requests/{body['id']}/approve", {}, content_type="application/json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(45000)


def test_the_api_refuses_foreign_ids_and_bad_input(december):
    org = december
    request = _ask(org, org.reps["R1"])
    nb = person("M2", org.other_branch, Role.MANAGER)
    client = client_for(nb)
    assert (
        client.post(
            f"/api/v1/targets/requests/{request.pk}/approve", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/targets/requests/999999/approve", {}, content_type="application/json"
        ).status_code
        == 404
    )
    # a person outside the caller's sight is unknown
    created = client.post(
        "/api/v1/targets/requests",
        {"month": "2026-12", "scope": "person", "code": "R1", "value": "1", "reason": REASON},
        content_type="application/json",
    )
    assert created.status_code == 404
    # the rep's own supervisor may not approve what they asked themselves; rejection needs a note
    sup = client_for(org.supervisor_a)
    assert (
        sup.post(
            f"/api/v1/targets/requests/{request.pk}/reject",
            {"note": ""},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert TargetChangeRequest.objects.get().status == "pending"


def test_the_queue_reads_a_fixed_number_of_queries(december, django_assert_num_queries):
    org = december
    _ask(org, org.reps["R1"])
    with django_assert_num_queries(QUEUE_QUERIES):
        assert len(change_requests_for(org.manager)) == 1
    _ask(org, org.reps["R2"], person=org.reps["R2"])
    _ask(org, org.supervisor_a, value=90000, unit=org.team_a)
    with django_assert_num_queries(QUEUE_QUERIES):
        assert len(change_requests_for(org.manager)) == 3


QUEUE_QUERIES = 7  # the same for one request or three


# --- a change the level above makes itself -----------------------------------------------------


def test_the_level_above_changing_a_locked_target_is_recorded_as_a_request_decided_at_once(
    december,
):
    org = december
    target_set(
        month=DEC,
        metric="revenue",
        person=org.reps["R1"],
        value=Decimal(42000),
        by=org.supervisor_a,
        reason=REASON,
        today=TODAY,
    )
    recorded = TargetChangeRequest.objects.get(person=org.reps["R1"])
    assert (recorded.status, recorded.old_value, recorded.new_value, recorded.reason) == (
        ChangeRequestStatus.APPROVED,
        Decimal(50000),
        Decimal(42000),
        REASON,
    )
    assert recorded.requested_by == recorded.decided_by == org.supervisor_a
    queue = client_for(org.manager).get("/api/v1/targets/requests?status=approved").json()
    assert [(r["id"], r["direct"], r["decided_by"]) for r in queue] == [
        (recorded.pk, True, org.supervisor_a.employee_no)
    ]
    # a change before the lock is no request: the month is still being set
    target_set(
        month=dt.date(2027, 1, 1), metric="revenue", person=org.reps["R1"], value=1, today=TODAY
    )
    target_set(
        month=dt.date(2027, 1, 1), metric="revenue", person=org.reps["R1"], value=2, today=TODAY
    )
    assert TargetChangeRequest.objects.count() == 1


def test_approving_a_request_whose_target_changed_since_is_refused(december):
    org = december
    request = _ask(org, org.reps["R1"], value=40000)
    target_set(
        month=DEC,
        metric="revenue",
        person=org.reps["R1"],
        value=Decimal(45000),
        by=org.supervisor_a,
        reason=REASON,
        today=TODAY,
    )
    with pytest.raises(TiejunError, match="changed since"):
        change_request_decide(request_id=request.pk, by=org.manager, approve=True, today=TODAY)
    assert Target.objects.get(person=org.reps["R1"]).value == Decimal(45000)
    assert TargetChangeRequest.objects.get(pk=request.pk).status == ChangeRequestStatus.PENDING
    rejected = change_request_decide(
        request_id=request.pk, by=org.manager, approve=False, note="已由主管直接调整", today=TODAY
    )
    assert rejected.status == ChangeRequestStatus.REJECTED
