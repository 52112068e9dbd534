"""The people import's platform id columns and "invite everyone created" (issue 13): the accounts
app adds them to the org's kind through the import registry's extensions."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.imports.conftest import TODAY, UNITS, csv_bytes
from tiejun.accounts.models import ExternalIdentity, Invitation
from tiejun.accounts.services import link_external_id
from tiejun.audit.models import AuditEntry
from tiejun.imports.engine import run_import
from tiejun.notify.models import Message
from tiejun.org.models import Person, Unit
from tiejun.org.services import person_create

pytestmark = pytest.mark.django_db

HEADER = ["employee_no", "name", "unit_code", "role", "start_date", "email", "phone"]
# The Chinese header a coordinator's own sheet has, platform ids included.
CHINESE = ["工号", "姓名", "所属单元", "角色", "入职日期", "邮箱", "手机号", "企业微信账号"]


def person_row(no: str, name: str, email: str = "", phone: str = "", unit: str = "T1") -> list:
    return [no, name, unit, "rep", "2026-01-05", email, phone]


@pytest.fixture
def units(db):
    result = run_import("units", csv_bytes(UNITS), today=TODAY)
    assert result.ok, result.errors


def links() -> dict[str, tuple[str, str]]:
    return {
        link.external_id: (link.platform, link.person.employee_no)
        for link in ExternalIdentity.objects.select_related("person")
    }


# --- the columns ---------------------------------------------------------------------------


def test_the_id_columns_are_optional_and_link_each_row(units):
    # given a file without the columns, then one with them (English and Chinese spellings)
    plain = [HEADER, person_row("E1", "张晓明", "e1@example.com")]
    assert run_import("people", csv_bytes(plain), today=TODAY).ok
    rows = [
        [*HEADER, "wecom_userid", "钉钉UserID", "飞书账号"],
        [*person_row("E1", "张晓明", "e1@example.com"), "zhangxm", "ding-001", "ou_7d8a6e"],
        [*person_row("E2", "李春华"), "lichunhua", "", ""],
    ]
    # when
    result = run_import("people", csv_bytes(rows), today=TODAY)
    # then
    assert result.ok, result.errors
    assert (result.created, result.unchanged) == (1, 1)
    assert links() == {
        "zhangxm": ("wecom", "E1"),
        "ding-001": ("dingtalk", "E1"),
        "ou_7d8a6e": ("feishu", "E1"),
        "lichunhua": ("wecom", "E2"),
    }
    entries = AuditEntry.objects.filter(action="link", object_id="E1")
    assert sorted((e.after for e in entries), key=str) == sorted(
        [{"wecom": "zhangxm"}, {"dingtalk": "ding-001"}, {"feishu": "ou_7d8a6e"}], key=str
    )


def test_an_empty_cell_keeps_the_link_and_a_new_id_replaces_it(units):
    rows = [[*HEADER, "wecom_userid"], [*person_row("E1", "张晓明"), "zhangxm"]]
    assert run_import("people", csv_bytes(rows), today=TODAY).ok
    rows[1][-1] = ""
    assert run_import("people", csv_bytes(rows), today=TODAY).ok
    assert links() == {"zhangxm": ("wecom", "E1")}
    rows[1][-1] = "zhang.xm"
    assert run_import("people", csv_bytes(rows), today=TODAY).ok
    assert links() == {"zhang.xm": ("wecom", "E1")}
    entry = AuditEntry.objects.filter(action="link").latest("pk")
    assert (entry.before, entry.after) == ({"wecom": "zhangxm"}, {"wecom": "zhang.xm"})


def test_an_id_linked_to_someone_else_is_a_row_error_and_nothing_is_written(units):
    assert run_import("people", csv_bytes([HEADER, person_row("E9", "王建国")]), today=TODAY).ok
    link_external_id(Person.objects.get(employee_no="E9"), "wecom", "wangjg", None)
    rows = [
        [*HEADER, "企业微信UserID", "dingtalk_userid"],
        [*person_row("E1", "张晓明"), "wangjg", ""],  # someone else's
        [*person_row("E2", "李春华"), "lich", "ding-9"],
        [*person_row("E3", "赵一鸣"), "lich", "ding-9"],  # the same ids on two rows
        [*person_row("E4", "钱多多"), "bad\tid", ""],
    ]
    result = run_import("people", csv_bytes(rows), today=TODAY)
    assert not result.ok
    problems = {(e.row, e.column): e.problem for e in result.errors}
    assert problems[(2, "wecom_userid")] == "WeCom user wangjg is already linked to another person"
    assert problems[(4, "wecom_userid")] == "WeCom user lich is given to row 3 too"
    assert problems[(4, "dingtalk_userid")] == "DingTalk user ding-9 is given to row 3 too"
    assert "printable characters only" in problems[(5, "wecom_userid")]
    # the file's spelling names the column in the message's label
    assert next(e for e in result.errors if e.row == 2).label == "企业微信userid"
    assert not Person.objects.filter(employee_no__in=["E1", "E2", "E3", "E4"]).exists()
    assert links() == {"wangjg": ("wecom", "E9")}


def _queries(rows: list[list[str]]) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = run_import("people", csv_bytes(rows), today=TODAY)
    assert result.ok, result.errors
    return len(queries)


@pytest.mark.parametrize("people", [5, 60])  # (SQLite splits longer inserts by its parameters)
def test_linking_adds_the_same_few_statements_whatever_the_rows(units, people):
    # given the people already imported
    plain = [HEADER] + [person_row(f"E{i:03d}", "张晓明") for i in range(people)]
    assert run_import("people", csv_bytes(plain), today=TODAY).ok
    with_ids = [[*HEADER, "wecom_userid"]]
    with_ids += [[*row, f"wx{i:03d}"] for i, row in enumerate(plain[1:])]
    # when the same file is imported without and with their WeCom ids
    without = _queries(plain)
    linked = _queries(with_ids)
    # then the ids cost a fixed number of statements, never one per row: who holds the ids,
    # the people, their links, one insert of the links, one of their audit entries (and the
    # savepoint around the two)
    assert linked - without == 7
    assert ExternalIdentity.objects.count() == people
    assert _queries(with_ids) - without == 5  # again: nothing to write


# --- invite everyone created -------------------------------------------------------------


def test_invite_sends_a_link_to_everyone_created_and_nobody_else(
    units, django_capture_on_commit_callbacks
):
    # given E1 who is already in Tiejun
    assert run_import("people", csv_bytes([HEADER, person_row("E1", "张晓明", "e1@x.cn")])).ok
    rows = [
        HEADER,
        person_row("E1", "张晓明", "e1@x.cn", "13800000001"),  # updated
        person_row("E2", "李春华", "e2@x.cn"),
        person_row("E3", "赵一鸣", "e3@x.cn"),
    ]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("people", csv_bytes(rows), today=TODAY, options={"invite": "email"})
    # then
    assert result.ok, result.errors
    assert result.to_json() == {
        "kind": "people",
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "invited": 2,
    }
    assert sorted(Message.objects.values_list("address", flat=True)) == ["e2@x.cn", "e3@x.cn"]
    assert all("/account/activate/" in m.text for m in Message.objects.all())
    assert set(Invitation.objects.values_list("person__employee_no", flat=True)) == {"E2", "E3"}


def test_invitations_wait_for_the_commit(units, django_capture_on_commit_callbacks):
    rows = [HEADER, person_row("E2", "李春华", "e2@x.cn")]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run_import("people", csv_bytes(rows), options={"invite": "email"})
    assert result.ok and result.notes["invited"] == 0
    assert not Invitation.objects.exists()  # the import's transaction has not committed yet
    assert callbacks


def test_a_dry_run_or_a_bad_file_invites_nobody(units, django_capture_on_commit_callbacks):
    rows = [HEADER, person_row("E2", "李春华", "e2@x.cn")]
    with django_capture_on_commit_callbacks(execute=True):
        dry = run_import("people", csv_bytes(rows), dry_run=True, options={"invite": "email"})
        bad = run_import(
            "people",
            csv_bytes([*rows, person_row("E3", "赵一鸣", "e3@x.cn", unit="NOPE")]),
            options={"invite": "email"},
        )
    assert dry.ok and dry.to_json()["invited"] == 0 and dry.created == 1
    assert not bad.ok
    assert not Invitation.objects.exists() and not Message.objects.exists()
    assert not Person.objects.filter(employee_no__in=["E2", "E3"]).exists()


def test_a_new_person_without_the_address_is_a_row_error(units):
    rows = [
        HEADER,
        person_row("E2", "李春华", "e2@x.cn"),
        person_row("E3", "赵一鸣", "", "13800000003"),
    ]
    result = run_import("people", csv_bytes(rows), options={"invite": "email"})
    assert [(e.row, e.column, e.problem) for e in result.errors] == [
        (3, "email", "an e-mail address is needed to send the invitation")
    ]
    rows[1][6] = "12345"
    sms = run_import("people", csv_bytes(rows), options={"invite": "sms"})
    assert [(e.row, e.column) for e in sms.errors] == [(2, "phone")]
    assert "is not a phone number" in sms.errors[0].problem
    assert not Person.objects.filter(employee_no__in=["E2", "E3"]).exists()


def test_sms_invitations(units, django_capture_on_commit_callbacks):
    rows = [HEADER, person_row("E3", "赵一鸣", "", "13800000003")]
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("people", csv_bytes(rows), options={"invite": "sms"})
    assert result.ok and result.notes["invited"] == 1
    assert Message.objects.get().address == "13800000003"


def test_only_a_people_import_offers_invite(units):
    result = run_import("units", csv_bytes(UNITS), options={"invite": "email"})
    assert [e.problem for e in result.errors] == ["a units import has no option invite"]
    result = run_import("people", csv_bytes([HEADER]), options={"invite": "fax"})
    assert [e.problem for e in result.errors] == ["invite is one of email, sms, not fax"]


def test_a_manager_file_invites_as_the_manager(org, django_capture_on_commit_callbacks):
    rows = [HEADER, person_row("N1", "孙悦然", "n1@x.cn", unit="HZ1")]
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("people", csv_bytes(rows), by=org.manager, options={"invite": "email"})
    assert result.ok and result.notes["invited"] == 1
    assert Invitation.objects.get().created_by == org.manager


# --- the command ---------------------------------------------------------------------------


def command(*args: str) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_the_command_invites_with_invite(units, tmp_path, settings):
    settings.PUBLIC_URL = "https://tiejun.example.cn"
    path = tmp_path / "people.csv"
    rows = [CHINESE, [*person_row("E1", "张晓明", "e1@x.cn", "13800000001"), "zhangxm"]]
    path.write_bytes(csv_bytes(rows))
    summary, _err = command("people", str(path), "--invite", "--dry-run")
    assert summary == {
        "kind": "people",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "dry_run": True,
        "invited": 0,
    }
    assert not Person.objects.filter(employee_no="E1").exists()
    # the test's transaction never commits: the command's invitations run when it would
    summary, _err = command("people", str(path), "--invite", "--channel", "sms")
    assert summary["created"] == 1 and links() == {"zhangxm": ("wecom", "E1")}


def test_the_command_sends_after_its_commit(transactional_db, tmp_path):
    assert run_import("units", csv_bytes(UNITS)).ok
    path = tmp_path / "people.csv"
    rows = [HEADER, person_row("E1", "张晓明", "e1@x.cn"), person_row("E2", "李春华", "e2@x.cn")]
    path.write_bytes(csv_bytes(rows))
    summary, _err = command("people", str(path), "--invite")
    assert summary["invited"] == 2
    assert Message.objects.filter(channel="email").count() == 2
    again, _err = command("people", str(path), "--invite")
    assert (again["unchanged"], again["invited"]) == (2, 0)
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["units", "--invite"], "--invite works with a people import only"),
        (["people", "--channel", "sms"], "--channel goes with --invite"),
    ],
)
def test_the_command_refuses_invite_where_it_means_nothing(db, tmp_path, args, message):
    path = tmp_path / "file.csv"
    path.write_bytes(csv_bytes([HEADER]))
    with pytest.raises(CommandError, match=message) as refused:
        call_command("import", args[0], str(path), *args[1:], stdout=io.StringIO())
    assert refused.value.returncode == 2


def test_existing_people_keep_their_invitations(units, django_capture_on_commit_callbacks):
    person = person_create(
        employee_no="E1",
        name="张晓明",
        unit=Unit.objects.get(code="T1"),
        role="rep",
        start_date=dt.date(2026, 1, 5),
        email="e1@x.cn",
    )
    rows = [HEADER, person_row("E1", "张晓明", "e1@x.cn", "13800000001")]
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("people", csv_bytes(rows), options={"invite": "email"})
    assert result.ok and result.updated == 1 and result.notes["invited"] == 0
    assert not Invitation.objects.filter(person=person).exists()


def test_the_bulk_link_service_refuses_unknown_people_and_platforms(units):
    from tiejun.accounts.services import external_ids_link
    from tiejun.errors import NotFound, TiejunError

    assert run_import("people", csv_bytes([HEADER, person_row("E1", "张晓明")])).ok
    with pytest.raises(NotFound, match="unknown employee NOPE"):
        external_ids_link(links=[("E1", "wecom", "a"), ("NOPE", "wecom", "b")], by=None)
    with pytest.raises(TiejunError, match="Unknown platform"):
        external_ids_link(links=[("E1", "slack", "a")], by=None)
    assert not ExternalIdentity.objects.exists()
    assert external_ids_link(links=[("E1", "wecom", "a"), ("E1", "feishu", "ou_1")], by=None) == 2
    assert external_ids_link(links=[("E1", "wecom", "a")], by=None) == 0
