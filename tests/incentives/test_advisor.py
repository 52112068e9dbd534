"""The promotion advisor (issue 16 point 4): a move, promotion, transfer order or leaver that
forfeits a milestone is refused until someone chooses to postpone it to the suggested date, ask
for an exception (approved a level up) or go ahead with a reason; every choice is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.factories import client_for, deal, person
from tiejun.audit.models import AuditEntry
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.incentives.models import ExceptionStatus, MilestoneException, Plan
from tiejun.incentives.selectors import (
    can_decide_exception,
    exception_approvers,
    milestone_progress,
)
from tiejun.incentives.services import (
    exception_request_notify,
    milestone_exception_decide,
    plan_load,
)
from tiejun.notify.models import Message
from tiejun.org.checks import MoveNeedsConfirmation, move_warnings, proposal_for
from tiejun.org.models import Membership, Person, Role
from tiejun.org.selectors import work_calendar
from tiejun.org.services import membership_move_checked, person_deactivate_checked
from tiejun.transfers.models import Office
from tiejun.transfers.services import order_issue

D = Decimal
TODAY = dt.date(2026, 12, 16)  # the suite's clock
PROJECTED = dt.date(2026, 12, 21)  # 988,600 + 4,000 a working day: 17th, 18th, 21st
SUGGESTED = dt.date(2026, 12, 22)  # the next working day: still a rep on the 21st


def near_a_million(rep: Person) -> None:
    """¥988,600 this year: a lump in March and 4,000 on each of the last 60 working days."""
    days = work_calendar().previous_workdays(TODAY, 60)
    deal(rep, 988600 - 4000 * len(days), dt.date(2026, 3, 2))
    for day in days:
        deal(rep, 4000, day, today=TODAY)


@pytest.fixture
def plan(org, plan_data):
    return plan_load(data=plan_data)


@pytest.fixture
def open_plan(org, plan_data):
    return plan_load(data={**plan_data, "exception_allowed": True})


@pytest.fixture
def rep(org):
    """R3 of 杭州二组, a team without a supervisor: promoting R3 warns of nothing else."""
    rep = org.reps["R3"]
    near_a_million(rep)
    return rep


def current(p: Person) -> Membership:
    return Membership.objects.get(person=p, valid_to__isnull=True)


def promote(org, rep, **kw):
    kw.setdefault("by", org.manager)
    return membership_move_checked(
        person=rep, effective=TODAY, unit=org.team_b, role=Role.SUPERVISOR, **kw
    )


# --- the warning ---------------------------------------------------------------------------


def test_the_warning_says_what_is_at_stake(org, plan, rep):
    proposal = proposal_for(rep, effective=TODAY, unit=org.team_b, role=Role.SUPERVISOR)
    (warning,) = move_warnings(proposal)
    assert warning.code == "milestone.forfeit"
    assert warning.message == (
        "¥988,600 of ¥1,000,000 this year; at current pace reached around 12-21 "
        "(probability 100 %); promoting from 12-16 forfeits 期权 20,000 股 under plan "
        "STD-2026 标准提成"
    )
    assert warning.options == ("postpone", "proceed")  # the plan allows no exception
    assert warning.detail == {
        "milestone": "M1",
        "plan": "STD-2026",
        "plan_name": "标准提成",
        "reward": "期权 20,000 股",
        "ytd": "988600.00",
        "threshold": "1000000.00",
        "projected_on": PROJECTED.isoformat(),
        "probability": 1.0,
        "effective": TODAY.isoformat(),
        "suggested_effective_date": SUGGESTED.isoformat(),
        "leaving": False,
        "options": ["postpone", "proceed"],
    }


def test_a_date_after_the_projected_day_or_a_move_that_keeps_the_role_warns_nothing(org, plan, rep):
    later = proposal_for(rep, effective=SUGGESTED, unit=org.team_b, role=Role.SUPERVISOR)
    assert move_warnings(later) == []
    transfer = proposal_for(rep, effective=TODAY, unit=org.team_a, role=None)
    assert "milestone.forfeit" not in [w.code for w in move_warnings(transfer)]


def test_an_allowed_exception_is_offered(org, open_plan, rep):
    proposal = proposal_for(rep, effective=TODAY, unit=org.team_b, role=Role.SUPERVISOR)
    (warning,) = move_warnings(proposal)
    assert warning.options == ("postpone", "exception", "proceed")
    assert Plan.objects.get().exception_allowed


def test_the_plan_file_checks_exception_allowed(org, plan_data):
    with pytest.raises(TiejunError) as caught:
        plan_load(data={**plan_data, "exception_allowed": "yes"})
    assert caught.value.field == "exception_allowed"
    bad = {**plan_data, "milestones": [{**plan_data["milestones"][0], "forfeit_on_leaving": 1}]}
    with pytest.raises(TiejunError):
        plan_load(data=bad)
    assert not Plan.objects.exists()


# --- the service: each option ----------------------------------------------------------------


def test_without_a_choice_the_move_is_refused_even_confirmed(org, plan, rep):
    for confirm in (False, True):
        with pytest.raises(MoveNeedsConfirmation) as caught:
            promote(org, rep, confirm=confirm)
        assert [w.code for w in caught.value.warnings] == ["milestone.forfeit"]
    assert current(rep).role == Role.REP
    assert not AuditEntry.objects.filter(object_type="milestone").exists()


def test_postpone_saves_the_move_on_the_suggested_date(org, plan, rep):
    membership, warnings = promote(org, rep, choices={"milestone": "postpone"})
    assert warnings == []
    assert membership.valid_from == SUGGESTED and membership.role == Role.SUPERVISOR
    entry = AuditEntry.objects.get(object_type="milestone", action="postpone")
    assert entry.after["effective"] == SUGGESTED.isoformat()
    assert entry.actor_id == org.manager.pk
    # the rep reaches the milestone as a rep on the 21st: it counts
    deal(rep, 20000, PROJECTED, today=PROJECTED)
    (row,) = milestone_progress(rep, today=PROJECTED)
    assert row.reached


def test_proceed_needs_a_reason_and_forfeits(org, plan, rep):
    with pytest.raises(TiejunError) as caught:
        promote(org, rep, choices={"milestone": "proceed"})
    assert caught.value.field == "milestone_reason"
    assert current(rep).role == Role.REP
    membership, warnings = promote(
        org, rep, choices={"milestone": "proceed", "milestone_reason": "团队急需主管"}
    )
    assert membership.valid_from == TODAY and [w.code for w in warnings] == ["milestone.forfeit"]
    entry = AuditEntry.objects.get(object_type="milestone", action="forfeit")
    assert entry.object_id == "R3/STD-2026/M1" and entry.reason == "团队急需主管"
    assert entry.after["ytd"] == "988600.00"
    assert AuditEntry.objects.get(action="confirm_move").after["choices"] == {
        "milestone": "proceed",
        "milestone_reason": "团队急需主管",
    }
    deal(rep, 20000, dt.date(2026, 12, 17), today=dt.date(2026, 12, 17))
    (row,) = milestone_progress(rep, today=dt.date(2026, 12, 17))
    assert row.forfeited


def test_an_exception_the_plan_does_not_allow_is_refused(org, plan, rep):
    with pytest.raises(TiejunError) as caught:
        promote(org, rep, choices={"milestone": "exception", "milestone_reason": "理由"})
    assert caught.value.field == "milestone"
    assert not MilestoneException.objects.exists() and current(rep).role == Role.REP


def test_an_unknown_choice_is_refused(org, plan, rep):
    with pytest.raises(TiejunError):
        promote(org, rep, choices={"milestone": "burn"})
    with pytest.raises(TiejunError):
        promote(org, rep, choices={"milestone": "proceed", "milestone_reason": "x" * 501})


def test_an_exception_is_pending_until_a_manager_a_level_up_approves(org, open_plan, rep):
    # given: the branch manager asks for an exception
    with pytest.raises(TiejunError):  # a reason is required
        promote(org, rep, choices={"milestone": "exception"})
    membership, _warnings = promote(
        org, rep, choices={"milestone": "exception", "milestone_reason": "年底冲刺需要主管"}
    )
    assert membership.valid_from == TODAY
    (request,) = MilestoneException.objects.all()
    assert request.status == ExceptionStatus.PENDING and request.unit == org.team_b
    assert request.requested_by == org.manager and request.reason == "年底冲刺需要主管"
    assert AuditEntry.objects.get(object_type="milestone_exception", action="request")
    # pending: the milestone is not kept yet
    deal(rep, 20000, dt.date(2026, 12, 17), today=dt.date(2026, 12, 17))
    (row,) = milestone_progress(rep, today=dt.date(2026, 12, 17))
    assert row.forfeited
    # the one who asked may not decide; nor the supervisor of another team; nor a manager
    # outside the subtree (who does not even see it)
    with pytest.raises(Forbidden):
        milestone_exception_decide(viewer=org.manager, exception_id=request.pk, approve=True)
    with pytest.raises(NotFound):
        milestone_exception_decide(viewer=org.supervisor_a, exception_id=request.pk, approve=True)
    other = person("M2", org.other_branch, Role.MANAGER)
    with pytest.raises(NotFound):
        milestone_exception_decide(viewer=other, exception_id=request.pk, approve=True)
    with pytest.raises(NotFound):
        milestone_exception_decide(viewer=org.admin, exception_id=request.pk + 99, approve=True)
    # when: the admin (above the branch) approves
    decided = milestone_exception_decide(viewer=org.admin, exception_id=request.pk, approve=True)
    # then: kept after the promotion
    assert decided.status == ExceptionStatus.APPROVED and decided.decided_by == org.admin
    (row,) = milestone_progress(rep, today=dt.date(2026, 12, 17))
    assert row.reached and row.excepted
    assert AuditEntry.objects.get(object_type="milestone_exception", action="approve")
    with pytest.raises(TiejunError):  # decided once
        milestone_exception_decide(viewer=org.admin, exception_id=request.pk, approve=False)


def test_a_supervisor_asks_and_the_branch_manager_refuses_with_a_note(org, open_plan):
    # R1 of 杭州一组 is promoted by the admin; the branch manager (a level up) decides
    rep = org.reps["R1"]
    near_a_million(rep)
    membership_move_checked(
        person=rep,
        effective=TODAY,
        unit=org.team_b,
        role=Role.SUPERVISOR,
        by=org.admin,
        choices={"milestone": "exception", "milestone_reason": "理由"},
        confirm=True,  # 杭州二组 gets a head and R1's customers are handed over
    )
    (request,) = MilestoneException.objects.all()
    assert request.unit == org.team_a
    with pytest.raises(TiejunError):  # a refusal needs a note
        milestone_exception_decide(viewer=org.manager, exception_id=request.pk, approve=False)
    decided = milestone_exception_decide(
        viewer=org.manager, exception_id=request.pk, approve=False, note="不符合条件"
    )
    assert decided.status == ExceptionStatus.REFUSED
    entry = AuditEntry.objects.get(object_type="milestone_exception", action="refuse")
    assert entry.reason == "不符合条件"


# --- the API ---------------------------------------------------------------------------------


def api_move(client, **body):
    body = {"employee_no": "R3", "unit_code": "HZ2", "role": "supervisor", **body}
    body.setdefault("effective_date", TODAY.isoformat())
    return client.post("/api/v1/moves", body, content_type="application/json")


def test_api_answers_409_with_the_options_and_saves_each_choice(org, open_plan, rep):
    client = client_for(org.manager)
    refused = api_move(client, confirm=True)
    assert refused.status_code == 409
    (warning,) = refused.json()["warnings"]
    assert warning["code"] == "milestone.forfeit"
    assert warning["options"] == ["postpone", "exception", "proceed"]
    assert warning["detail"]["suggested_effective_date"] == SUGGESTED.isoformat()
    assert api_move(client, milestone="proceed").status_code == 400  # no reason
    assert api_move(client, milestone="burn").status_code == 422
    moved = api_move(client, milestone="postpone")
    assert moved.status_code == 201, moved.content
    assert moved.json()["valid_from"] == SUGGESTED.isoformat()
    assert current(rep).valid_from == SUGGESTED


def test_api_exception_then_approval_and_visibility(org, open_plan, rep):
    moved = api_move(
        client_for(org.manager), milestone="exception", milestone_reason="年底冲刺需要主管"
    )
    assert moved.status_code == 201, moved.content
    (request,) = MilestoneException.objects.all()
    listed = client_for(org.manager).get("/api/v1/incentives/exceptions").json()
    assert [(e["id"], e["status"], e["requested_by"]) for e in listed] == [
        (request.pk, "pending", "M1")
    ]
    assert client_for(org.reps["R5"]).get("/api/v1/incentives/exceptions").json() == []
    url = f"/api/v1/incentives/exceptions/{request.pk}"
    outsider = client_for(person("M2", org.other_branch, Role.MANAGER))
    assert outsider.post(url + "/approve", {}, content_type="application/json").status_code == 404
    asked = client_for(org.manager).post(url + "/approve", {}, content_type="application/json")
    assert asked.status_code == 403
    admin = client_for(org.admin)
    assert admin.post(url + "/refuse", {}, content_type="application/json").status_code == 400
    approved = admin.post(url + "/approve", {"note": "同意"}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "A1"
    big = "/api/v1/incentives/exceptions/99999999999999999999999/approve"
    assert admin.post(big, {}, content_type="application/json").status_code == 422


def test_api_exception_list_is_pinned(org, open_plan, django_assert_num_queries):
    # given: three leavers with an exception asked each, two of them in the manager's branch
    for no in ("R3", "R4", "R5"):
        near_a_million(org.reps[no])
        person_deactivate_checked(
            person=org.reps[no],
            by=org.admin,
            choices={"milestone": "exception", "milestone_reason": "理由"},
        )
    assert MilestoneException.objects.count() == 3
    client = client_for(org.manager)
    client.get("/api/v1/incentives/exceptions")
    # session, person, admin?, membership, subtree, rows: the same for any number of rows
    with django_assert_num_queries(6):
        rows = client.get("/api/v1/incentives/exceptions").json()
    assert sorted(r["employee_no"] for r in rows) == ["R3", "R4"]


# --- the pages -------------------------------------------------------------------------------


def test_the_person_page_shows_the_advisor_with_its_data(org, plan, rep):
    client = client_for(org.manager)
    response = client.post(
        "/people/R3/",
        {"effective_date": TODAY.isoformat(), "unit": org.team_b.pk, "role": "supervisor"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-code="milestone.forfeit"' in html and "data-advisor" in html
    assert f'data-suggested-effective-date="{SUGGESTED.isoformat()}"' in html
    assert 'data-ytd="988600.00"' in html and 'data-threshold="1000000.00"' in html
    assert f'data-postpone-date="{SUGGESTED.isoformat()}"' in html
    assert 'name="milestone" value="postpone"' in html
    assert 'value="postpone" class' not in html  # a button of its own, not a radio
    assert 'value="proceed"' in html and 'value="exception"' not in html
    assert "/incentives/people/R3/advisor/move/" in html  # the choice's own submit
    # confirming without a choice is refused again
    again = client.post(
        "/people/R3/",
        {
            "effective_date": TODAY.isoformat(),
            "unit": org.team_b.pk,
            "role": "supervisor",
            "confirm": "on",
        },
    )
    assert again.status_code == 400 and current(rep).role == Role.REP
    # the postpone button sends the same form to the advisor's page: saved from the suggested
    # date, and the choice is on record as a postponement, not only as the move
    saved = client.post(
        "/incentives/people/R3/advisor/move/",
        {
            "effective_date": TODAY.isoformat(),
            "unit": org.team_b.pk,
            "role": "supervisor",
            "milestone": "postpone",
        },
    )
    assert saved.status_code == 302 and current(rep).valid_from == SUGGESTED
    entry = AuditEntry.objects.get(object_type="milestone", action="postpone")
    assert entry.object_id == "R3" and entry.actor_id == org.manager.pk
    assert entry.after["effective"] == SUGGESTED.isoformat()


def test_the_advisor_page_saves_proceed_with_a_reason(org, plan, rep):
    client = client_for(org.manager)
    form = {
        "effective_date": TODAY.isoformat(),
        "unit": org.team_b.pk,
        "role": "supervisor",
        "milestone": "proceed",
    }
    url = "/incentives/people/R3/advisor/move/"
    missing = client.post(url, form)
    assert missing.status_code == 400 and current(rep).role == Role.REP
    assert 'data-code="milestone.forfeit"' in missing.content.decode()
    saved = client.post(url, {**form, "milestone_reason": "团队急需主管"})
    assert saved.status_code == 302 and saved["Location"] == "/people/R3/"
    assert current(rep).valid_from == TODAY and current(rep).role == Role.SUPERVISOR
    assert AuditEntry.objects.get(object_type="milestone", action="forfeit").actor_id == (
        org.manager.pk
    )


def test_the_advisor_page_checks_who_may_move(org, plan, rep):
    form = {"effective_date": TODAY.isoformat(), "unit": org.team_b.pk, "role": "supervisor"}
    url = "/incentives/people/R3/advisor/move/"
    assert client_for(org.reps["R5"]).post(url, form).status_code == 404
    assert client_for(org.supervisor_a).post(url, form).status_code == 404
    assert (
        client_for(org.manager).post("/incentives/people/NOPE/advisor/move/", form).status_code
        == 404
    )
    assert current(rep).role == Role.REP


def test_the_exceptions_page_approves_and_is_pinned(org, open_plan, rep, django_assert_num_queries):
    promote(
        org,
        rep,
        by=org.admin,
        choices={"milestone": "exception", "milestone_reason": "年底冲刺需要主管"},
    )
    (request,) = MilestoneException.objects.all()
    client = client_for(org.manager)
    client.get("/incentives/exceptions/")
    with django_assert_num_queries(9):
        page = client.get("/incentives/exceptions/")
    # one more leaver's exception in the branch: the same number of queries
    near_a_million(org.reps["R4"])
    person_deactivate_checked(
        person=org.reps["R4"],
        by=org.admin,
        choices={"milestone": "exception", "milestone_reason": "理由"},
    )
    with django_assert_num_queries(9):
        client.get("/incentives/exceptions/")
    html = page.content.decode()
    assert f'data-exception="{request.pk}" data-status="pending"' in html and "data-approve" in html
    # someone else's branch sees nothing and may not decide
    outsider = client_for(person("M2", org.other_branch, Role.MANAGER))
    assert (
        f'data-exception="{request.pk}"'
        not in outsider.get("/incentives/exceptions/").content.decode()
    )
    url = f"/incentives/exceptions/{request.pk}/decide/"
    assert outsider.post(url, {"decision": "approve"}).status_code == 404
    done = client.post(url, {"decision": "approve"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == ExceptionStatus.APPROVED and request.decided_by == org.manager


# --- the moves import, transfer orders, leavers ----------------------------------------------


def _file(tmp_path, rows):
    path = tmp_path / "moves.csv"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode())
    return str(path)


def test_the_moves_import_needs_a_choice_and_takes_one(org, plan, rep, tmp_path, capsys):
    header = ["employee_no", "unit_code", "role", "effective_date"]
    row = ["R3", "HZ2", "supervisor", TODAY.isoformat()]
    with pytest.raises(CommandError) as caught:
        call_command("import", "moves", _file(tmp_path, [header, row]), "--confirm")
    assert caught.value.returncode == 2
    assert "row 2: warning: ¥988,600 of ¥1,000,000 this year" in capsys.readouterr().err
    assert current(rep).role == Role.REP
    rows = [[*header, "milestone"], [*row, "postpone"]]
    call_command("import", "moves", _file(tmp_path, rows))
    assert json.loads(capsys.readouterr().out)["created"] == 1
    assert current(rep).valid_from == SUGGESTED


def test_the_moves_import_takes_proceed_with_a_reason(org, plan, rep, tmp_path, capsys):
    rows = [
        ["employee_no", "unit_code", "role", "effective_date", "里程碑处理", "里程碑原因"],
        ["R3", "HZ2", "supervisor", TODAY.isoformat(), "proceed", ""],
    ]
    with pytest.raises(CommandError):
        call_command("import", "moves", _file(tmp_path, rows))
    assert "row 2: " in (err := capsys.readouterr().err) and "give a reason" in err
    rows[1][-1] = "团队急需主管"
    call_command("import", "moves", _file(tmp_path, rows))
    assert current(rep).valid_from == TODAY
    assert (
        AuditEntry.objects.get(object_type="milestone", action="forfeit").reason == "团队急需主管"
    )


def test_a_transfer_order_takes_the_postponed_date(org, plan, rep):
    office = Office.objects.create(
        unit=org.branch, name="杭州办公室", lat=D("30.27"), lon=D("120.15")
    )
    with pytest.raises(MoveNeedsConfirmation):
        order_issue(
            person=rep,
            unit=org.team_b,
            role=Role.SUPERVISOR,
            effective=TODAY,
            report_by=dt.datetime(2026, 12, 23, 9, tzinfo=dt.UTC),
            office=office,
            by=org.manager,
        )
    order = order_issue(
        person=rep,
        unit=org.team_b,
        role=Role.SUPERVISOR,
        effective=TODAY,
        report_by=dt.datetime(2026, 12, 23, 9, tzinfo=dt.UTC),
        office=office,
        by=org.manager,
        choices={"milestone": "postpone"},
    )
    assert order.effective == SUGGESTED and order.membership.valid_from == SUGGESTED


def test_the_admin_deactivate_action_is_checked_too(org, open_plan, rep):
    # given: staff deactivating, from the admin, the rep near the milestone and another rep
    Person.objects.filter(pk=org.admin.pk).update(is_staff=True, is_superuser=True)
    other = org.reps["R1"]
    staff = Client()
    staff.force_login(Person.objects.get(pk=org.admin.pk))
    # when
    response = staff.post(
        "/admin/org/person/",
        {"action": "deactivate", "_selected_action": [rep.pk, other.pk]},
        follow=True,
    )
    # then: the rep whose leaving forfeits the milestone stays, with a warning saying how to
    # decide; the other is deactivated; nothing is recorded for the one held back
    rep.refresh_from_db()
    other.refresh_from_db()
    assert rep.is_active and not other.is_active
    html = response.content.decode()
    assert "forfeits" in html and "--choice milestone=postpone|exception|proceed" in html
    assert f'href="/people/{rep.employee_no}/"' in html
    assert not AuditEntry.objects.filter(object_type="milestone").exists()


def test_a_leaver_is_checked_too(org, open_plan, rep):
    with pytest.raises(MoveNeedsConfirmation) as caught:
        person_deactivate_checked(person=rep, by=org.manager, confirm=True)
    (warning,) = caught.value.warnings
    assert warning.detail["leaving"] is True and "leaving from 12-16 forfeits" in warning.message
    rep.refresh_from_db()
    assert rep.is_active
    # postpone: nothing is deactivated, the choice is recorded with the date
    person_deactivate_checked(person=rep, by=org.manager, choices={"milestone": "postpone"})
    rep.refresh_from_db()
    assert rep.is_active
    entry = AuditEntry.objects.get(object_type="milestone", action="postpone")
    assert entry.after == {
        "effective": SUGGESTED.isoformat(),
        "leaving": True,
        "unit": "HZ2",
        "role": "rep",
    }
    # an exception: deactivated, the request pending
    person_deactivate_checked(
        person=rep, by=org.manager, choices={"milestone": "exception", "milestone_reason": "病休"}
    )
    rep.refresh_from_db()
    assert not rep.is_active
    assert MilestoneException.objects.get().leaving
    assert AuditEntry.objects.get(action="confirm_leave").object_id == "R3"


def test_a_plan_may_keep_the_milestone_of_leavers(org, plan_data, rep):
    plan_load(
        data={
            **plan_data,
            "milestones": [{**plan_data["milestones"][0], "forfeit_on_leaving": False}],
        }
    )
    person_deactivate_checked(person=rep, by=org.manager)
    rep.refresh_from_db()
    assert not rep.is_active


def test_the_deactivate_command_refuses_then_proceeds(org, plan, rep, capsys):
    with pytest.raises(SystemExit) as caught:
        call_command("person", "deactivate", "R3", "--confirm")
    assert caught.value.code == 1
    assert "milestone.forfeit" in capsys.readouterr().err
    call_command(
        "person",
        "deactivate",
        "R3",
        "--choice",
        "milestone=proceed",
        "--choice",
        "milestone_reason=离职",
    )
    rep.refresh_from_db()
    assert not rep.is_active
    assert AuditEntry.objects.get(object_type="milestone", action="forfeit").reason == "离职"


def test_those_who_may_decide_an_exception_are_told_once(org, open_plan, rep):
    promote(org, rep, choices={"milestone": "exception", "milestone_reason": "年底冲刺需要主管"})
    (request,) = MilestoneException.objects.all()
    approvers = exception_approvers(request, today=TODAY)
    # the manager who asked is not among them; each approver may decide it
    assert approvers and org.manager not in approvers and rep not in approvers
    assert all(can_decide_exception(a, request, today=TODAY) for a in approvers)
    messages = Message.objects.filter(key__startswith=f"milestone-exception:{request.pk}:")
    assert messages.count() == len([a for a in approvers if a.email or a.phone]) >= 1
    message = messages.first()
    assert rep.name in message.text and "年底冲刺需要主管" in message.text
    assert "/incentives/exceptions/" in message.text
    # queued once: asking the outbox again adds nothing
    assert exception_request_notify(request, today=TODAY) == 0
