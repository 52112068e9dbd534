"""A move with warnings needs an explicit confirmation everywhere (issue 15 item 4): the page
asks, the API answers 409 with the warnings, the ``moves`` import exits 2 with ``row N:
warning: …``, and the directory sync holds the move — each writes nothing until confirmed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.accounts.fakes import FakeServer, configure, sample_company
from tests.factories import client_for
from tiejun.accounts.directory import directory_sync
from tiejun.audit.models import AuditEntry
from tiejun.imports.models import ImportJob, JobState
from tiejun.org.models import Membership, Person, Role
from tiejun.targets.models import Target
from tiejun.targets.services import target_set

JAN = dt.date(2027, 1, 1)


def current(person):
    return Membership.objects.select_related("unit").get(person=person, valid_to__isnull=True)


def move(client, **body):
    return client.post("/api/v1/moves", body, content_type="application/json")


# --- the API ------------------------------------------------------------------------------


def test_api_answers_409_with_the_warnings_and_writes_nothing(org):
    manager = client_for(org.manager)
    response = move(manager, employee_no="S1", unit_code="HZ2", effective_date="2027-01-01")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["detail"] == "This move has 1 warning(s); confirm to save it anyway."
    assert body["warnings"] == [
        {
            "code": "heads.headless",
            "message": "杭州一组 is left without a head from 2027-01-01 when 员工S1 leaves",
            "options": [],
            "detail": {"unit": "HZ1", "from": "2027-01-01", "to": ""},
        }
    ]
    assert current(org.supervisor_a).unit == org.team_a
    assert not AuditEntry.objects.filter(object_type="membership", action="transfer").exists()


def test_api_saves_with_confirm_and_carries_out_the_target_choice(org):
    target_set(month=JAN, metric="revenue", value=Decimal(80000), person=org.reps["R1"])
    target_set(month=JAN, metric="revenue", value=Decimal(40000), person=org.reps["R2"])
    manager = client_for(org.manager)
    refused = move(manager, employee_no="R1", unit_code="HZ2", effective_date="2027-01-01")
    assert refused.status_code == 409
    [warning] = refused.json()["warnings"]
    assert warning["code"] == "target.next_month"
    assert warning["options"] == ["leave", "move", "resplit"]
    response = move(
        manager,
        employee_no="R1",
        unit_code="HZ2",
        effective_date="2027-01-01",
        confirm=True,
        target="resplit",
    )
    assert response.status_code == 201, response.content
    assert [w["code"] for w in response.json()["warnings"]] == ["target.next_month"]
    assert current(org.reps["R1"]).unit == org.team_b
    assert Target.objects.get(month=JAN, person=org.reps["R2"]).value == Decimal(120000)
    assert Target.objects.get(month=JAN, person=org.reps["R1"]).value == Decimal(0)


def test_api_rejects_an_unknown_target_choice(org):
    response = move(
        client_for(org.manager),
        employee_no="R1",
        unit_code="HZ2",
        effective_date="2027-01-01",
        target="burn",
    )
    assert response.status_code == 422


def test_api_without_warnings_is_201_without_confirm(org):
    response = move(
        client_for(org.manager), employee_no="R3", unit_code="HZ1", effective_date="2027-01-01"
    )
    assert response.status_code == 201
    assert response.json()["warnings"] == []


def test_api_checks_visibility_before_warnings(org):
    """A foreign person is 404 whatever the move would break, never a list of warnings."""
    response = move(
        client_for(org.manager), employee_no="R5", unit_code="HZ1", effective_date="2027-01-01"
    )
    assert response.status_code == 404


# --- the page -----------------------------------------------------------------------------


def test_the_page_asks_before_saving_and_saves_once_confirmed(org):
    client = client_for(org.admin)
    form = {"effective_date": "2027-01-01", "unit": org.team_a.pk, "role": Role.SUPERVISOR}
    response = client.post("/people/R2/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "data-move-warnings" in page
    assert "杭州一组 would have two heads from 2027-01-01: 员工S1 and 员工R2" in page
    assert 'name="confirm"' in page
    assert current(org.reps["R2"]).role == Role.REP
    response = client.post("/people/R2/", {**form, "confirm": "on"})
    assert response.status_code == 302
    assert current(org.reps["R2"]).role == Role.SUPERVISOR


def test_the_page_offers_only_the_target_options_that_apply(org):
    target_set(month=JAN, metric="revenue", value=Decimal(50000), person=org.reps["R2"])
    client = client_for(org.admin)
    form = {"effective_date": "2027-01-01", "unit": org.team_a.pk, "role": Role.SUPERVISOR}
    page = client.post("/people/R2/", form).content.decode()
    assert 'value="leave"' in page and 'value="resplit"' in page
    assert 'value="move"' not in page  # a promotion takes them out of every split
    response = client.post("/people/R2/", {**form, "confirm": "on", "target": "resplit"})
    assert response.status_code == 302
    assert Target.objects.get(month=JAN, person=org.reps["R1"]).value == Decimal(50000)


def test_the_get_page_shows_no_confirmation(org):
    page = client_for(org.admin).get("/people/R2/").content.decode()
    assert 'name="confirm"' not in page and "data-move-warnings" not in page


# --- the moves import ---------------------------------------------------------------------


def _file(tmp_path, rows):
    path = tmp_path / "moves.csv"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode())
    return str(path)


MOVES = [
    ["employee_no", "unit_code", "role", "effective_date"],
    ["R3", "HZ1", "", "2027-01-01"],
    ["S1", "HZ2", "", "2027-01-01"],
]


def test_the_import_lists_warnings_exits_2_and_writes_nothing(org, tmp_path, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("import", "moves", _file(tmp_path, MOVES))
    assert caught.value.returncode == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "row 3: warning: 杭州一组 is left without a head from 2027-01-01 when 员工S1 leaves"
    ]
    assert current(org.reps["R3"]).unit == org.team_b  # the clean row is not written either
    assert current(org.supervisor_a).unit == org.team_a


def test_the_import_json_lists_the_warnings(org, tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import", "moves", _file(tmp_path, MOVES), "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False
    assert body["errors"] == [
        {
            "row": 3,
            "column": "warning",
            "problem": "杭州一组 is left without a head from 2027-01-01 when 员工S1 leaves",
        }
    ]


def test_the_import_with_confirm_writes_every_row(org, tmp_path, capsys):
    call_command("import", "moves", _file(tmp_path, MOVES), "--confirm")
    assert json.loads(capsys.readouterr().out)["created"] == 2
    assert current(org.reps["R3"]).unit == org.team_a
    assert current(org.supervisor_a).unit == org.team_b
    entry = AuditEntry.objects.get(action="confirm_move", object_id="S1")
    assert entry.after["warnings"] == ["heads.headless"]


def test_the_import_takes_a_target_column(org, tmp_path, capsys):
    target_set(month=JAN, metric="revenue", value=Decimal(30000), person=org.reps["R1"])
    target_set(month=JAN, metric="revenue", value=Decimal(30000), person=org.reps["R2"])
    rows = [
        ["employee_no", "unit_code", "role", "effective_date", "target"],
        ["R1", "HZ2", "", "2027-01-01", "resplit"],
    ]
    call_command("import", "moves", _file(tmp_path, rows), "--confirm")
    assert Target.objects.get(month=JAN, person=org.reps["R2"]).value == Decimal(60000)
    bad = [rows[0], ["R2", "NB1", "", "2027-01-01", "burn"]]
    with pytest.raises(CommandError):
        call_command("import", "moves", _file(tmp_path, bad), "--confirm")
    assert "row 2: target: target is one of leave, move, resplit, not burn" in (
        capsys.readouterr().err
    )


def test_confirm_is_refused_for_a_kind_without_warnings(org, tmp_path):
    path = _file(tmp_path, [["code", "name", "kind", "parent_code"], ["X1", "新组", "team", "HZ"]])
    with pytest.raises(CommandError) as caught:
        call_command("import", "units", path, "--confirm")
    assert caught.value.returncode == 2


# --- the directory sync -------------------------------------------------------------------


def _sync(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("directory", "sync", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def platforms(db, settings):
    """WeCom, DingTalk and Feishu on loopback with a small company (as tests/accounts)."""
    with FakeServer() as server:
        configure(settings, server)
        sample_company(server.state)
        yield server


def _sup1_leaves(fake):
    """The platform moves the leader of 杭州一组 (sup1) into 杭州二组 as a member."""
    Membership.objects.update(valid_from=timezone.localdate() - dt.timedelta(days=30))
    sup = next(u for u in fake.state.users if u.userid == "sup1")
    sup.depts = ["5"]
    for dept in fake.state.depts:
        if "sup1" in (dept.leaders or []):
            dept.leaders = [x for x in dept.leaders if x != "sup1"]


def test_the_sync_holds_a_move_with_warnings_and_lists_them(platforms):
    directory_sync(platform="wecom")
    _sup1_leaves(platforms)
    code, out, _err = _sync("wecom", "--dry-run", "--json")
    assert code == 0
    diff = json.loads(out)
    [move_] = [c for c in diff["changes"] if c["action"] == "person.move"]
    assert move_["held"].startswith("warnings, run with --confirm to apply:")
    assert [w["code"] for w in move_["detail"]["warnings"]] == ["heads.headless"]
    # the real run holds it too, and says so
    code, out, _err = _sync("wecom")
    assert code == 0
    assert "! person.move sup1" in out and "is left without a head" in out
    assert current(Person.objects.get(employee_no="sup1")).role == Role.SUPERVISOR


def test_the_sync_applies_a_move_with_warnings_when_confirmed(platforms):
    directory_sync(platform="wecom")
    _sup1_leaves(platforms)
    code, out, err = _sync("wecom", "--confirm")
    assert code == 0, err
    assert "~ person.move sup1" in out
    membership = current(Person.objects.get(employee_no="sup1"))
    assert (membership.unit.code, membership.role) == ("WX-5", Role.REP)
    entry = AuditEntry.objects.get(action="confirm_move", object_id="sup1")
    assert entry.after["warnings"] == ["heads.headless"]


# --- the import page ----------------------------------------------------------------------


def _post_moves(client, django_capture_on_commit_callbacks, **extra):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(MOVES)
    upload = SimpleUploadedFile("moves.csv", out.getvalue().encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/import/", {"kind": "moves", "file": upload, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_import_page_offers_the_confirmation_and_honours_it(
    org, huey_now, django_capture_on_commit_callbacks
):
    client = client_for(org.admin)
    assert 'name="option_confirm"' in client.get("/import/").content.decode()
    refused = _post_moves(client, django_capture_on_commit_callbacks, action="import")
    assert refused.state == JobState.FAILED
    assert refused.errors == [
        [3, "warning", "杭州一组 is left without a head from 2027-01-01 when 员工S1 leaves", ""]
    ]
    assert current(org.supervisor_a).unit == org.team_a
    done = _post_moves(
        client, django_capture_on_commit_callbacks, action="import", option_confirm="on"
    )
    assert done.state == JobState.DONE
    assert current(org.supervisor_a).unit == org.team_b
