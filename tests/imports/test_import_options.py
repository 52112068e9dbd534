"""Run options on the import page and in the engine (issue 13): a kind's extensions offer them
("invite everyone created" on a people import); optional columns may be left out of a file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tiejun.accounts.models import ExternalIdentity, Invitation
from tiejun.imports.cells import Cells, Context
from tiejun.imports.engine import Extension, Kind, kind_columns, kind_options, run_import
from tiejun.imports.models import ImportJob, JobState
from tiejun.imports.registry import EXTENSIONS, KINDS, extend, register
from tiejun.notify.models import Message
from tiejun.org.models import Person

pytestmark = pytest.mark.django_db

PEOPLE = (
    "工号,姓名,所属单元,角色,入职日期,邮箱,手机号,企业微信账号\n"
    "N1,孙悦然,HZ1,rep,2026-01-05,n1@example.cn,13800000011,sunyr\n"
    "N2,周子涵,HZ1,rep,2026-01-05,n2@example.cn,,zhouzh\n"
    "R1,员工R1,HZ1,rep,2026-01-05,r1@example.cn,,\n"
)


def upload(text: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def send(client, huey_now, django_capture_on_commit_callbacks):
    """POST a file (and options) as the signed-in user; the job runs before the answer."""

    def post(kind: str, text: str, *, action: str = "import", **extra: str):
        data = {"kind": kind, "file": upload(text), "action": action, **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/import/", data)

    return post


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:800]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


# --- the page -----------------------------------------------------------------------------


def test_the_page_offers_invite_for_people(org, client):
    client.force_login(org.admin)
    page = client.get("/import/").content.decode()
    assert 'name="option_invite"' in page and 'type="checkbox"' in page
    assert 'name="option_invite_choice"' in page
    assert "Invite everyone this file creates" in page
    # the optional columns are listed with the kind
    assert "wecom_userid,dingtalk_userid,feishu_user_id" in page


def test_an_import_with_invite_ticked_invites_everyone_it_created(org, client, send):
    # given R1 already in Tiejun
    client.force_login(org.admin)
    # when the coordinator imports with "invite" ticked
    response = send("people", PEOPLE, option_invite="on", option_invite_choice="email")
    # then
    job = job_of(response)
    assert job.state == JobState.DONE, job.errors
    assert job.options == {"invite": "email"}
    assert job.result["invited"] == 2 and job.result["created"] == 2
    assert sorted(Message.objects.values_list("address", flat=True)) == [
        "n1@example.cn",
        "n2@example.cn",
    ]
    assert set(Invitation.objects.values_list("created_by__employee_no", flat=True)) == {"A1"}
    assert dict(ExternalIdentity.objects.values_list("external_id", "person__employee_no")) == {
        "sunyr": "N1",
        "zhouzh": "N2",
    }
    page = client.get(response["Location"]).content.decode()
    assert 'data-invited="2"' in page and "2 people invited to set a password." in page
    assert "by e-mail" in page


def test_a_check_invites_nobody_and_its_import_does(
    org, client, send, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    check = job_of(send("people", PEOPLE, action="check", option_invite="on"))
    assert check.state == JobState.CHECKED and check.options == {"invite": "email"}
    assert not Invitation.objects.exists() and not Person.objects.filter(employee_no="N1")
    assert (
        "the import will invite everyone it creates"
        in client.get(f"/import/jobs/{check.pk}/").content.decode()
    )
    # "import this file now" keeps the option
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/import/jobs/{check.pk}/import/")
    follow_up = job_of(response)
    assert follow_up.options == {"invite": "email"}
    assert follow_up.state == JobState.DONE and follow_up.result["invited"] == 2
    assert Invitation.objects.count() == 2


def test_invite_without_an_address_names_the_rows(org, client, send):
    client.force_login(org.admin)
    job = job_of(send("people", PEOPLE, option_invite="on", option_invite_choice="sms"))
    assert job.state == JobState.FAILED
    assert [e[:2] for e in job.errors] == [[3, "phone"]]
    assert not Person.objects.filter(employee_no__in=["N1", "N2"]).exists()


def test_invite_on_a_kind_without_it_is_a_form_error(org, client, send):
    client.force_login(org.admin)
    units = "code,name,kind,parent_code\nHZ3,杭州三组,team,HZ\n"
    response = send("units", units, option_invite="on")
    assert response.status_code == 200
    assert "This kind of file does not offer it." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_manager_invites_the_people_of_their_subtree(org, client, send):
    client.force_login(org.manager)
    job = job_of(send("people", PEOPLE, option_invite="on"))
    assert job.state == JobState.DONE, job.errors
    assert job.result["invited"] == 2
    assert set(Invitation.objects.values_list("created_by", flat=True)) == {org.manager.pk}


# --- the engine's optional columns, for any kind -------------------------------------------


@pytest.fixture
def toy_kind() -> Iterator[list[dict[str, str]]]:
    """A row-by-row kind with an optional column of its own, and an extension's column."""
    seen: list[dict[str, str]] = []

    def apply(cells: Cells, ctx: Context) -> str:
        seen.append(dict(cells.record))
        return "created"

    extend("toys", Extension("sizes", columns=("size",), headers={"尺寸": "size"}))
    kind = Kind(
        "toys",
        ("code",),
        "code",
        optional=("colour",),
        headers={"颜色": "colour"},
        apply=apply,
    )
    register(kind)
    yield seen
    KINDS.pop("toys")
    EXTENSIONS.pop("toys")


def test_optional_columns_may_be_missing_or_present(db, toy_kind):
    assert kind_columns(KINDS["toys"]) == (("code",), ("colour", "size"))
    assert kind_options("toys") == {}
    assert run_import("toys", b"code\nA\n").ok
    assert toy_kind[-1] == {"code": "A", "colour": "", "size": ""}  # absent: empty cells
    assert run_import("toys", "code,颜色,尺寸\nB,红,L\n".encode()).ok
    assert toy_kind[-1] == {"code": "B", "colour": "红", "size": "L"}
    bad = run_import("toys", b"code,colour,colour,shape\nC,red,blue,round\n")
    assert [(e.column, e.problem) for e in bad.errors] == [
        ("colour", "duplicate column"),
        ("shape", "unknown column"),
    ]
    missing = run_import("toys", b"colour\nred\n")
    assert [(e.column, e.problem) for e in missing.errors] == [("code", "missing column")]
