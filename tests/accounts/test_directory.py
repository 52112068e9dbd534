"""``tiejun directory sync`` against the loopback fakes of WeCom, DingTalk and Feishu."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.accounts.fakes import Dept, User
from tests.factories import build_org
from tiejun.accounts.directory import directory_sync
from tiejun.accounts.models import ExternalDepartment, ExternalIdentity
from tiejun.accounts.tasks import nightly_directory_sync, sync_is_due
from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Customer
from tiejun.crm.services.customers import customer_create
from tiejun.org.models import Membership, Person, Unit
from tiejun.org.services import person_update, unit_update

pytestmark = pytest.mark.django_db


def sync(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("directory", "sync", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def role_of(employee_no: str) -> tuple[str, str]:
    m = Membership.objects.get(person__employee_no=employee_no, valid_to__isnull=True)
    return m.unit.code, m.role


def test_dry_run_prints_the_diff_and_writes_nothing(fake):
    code, out, _err = sync("wecom", "--dry-run")
    assert code == 0
    assert "+ unit.create WX-1" in out and "+ person.create zhang" in out
    assert "dry run, nothing written" in out
    assert not Unit.objects.exists() and not Person.objects.exists()
    assert not AuditEntry.objects.filter(object_type="directory").exists()


def test_wecom_sync_builds_the_org_from_departments_and_members(fake):
    code, out, err = sync("wecom")
    assert code == 0, err
    # departments → units by depth; the sub-group under 杭州一组 folds into the team
    kinds = dict(Unit.objects.values_list("code", "kind"))
    assert kinds == {
        "WX-1": "company",
        "WX-2": "region",
        "WX-3": "branch",
        "WX-4": "team",
        "WX-5": "team",
    }
    assert Unit.objects.get(code="WX-4").parent.code == "WX-3"
    # members → people; WeCom has no job number, so the user id is the employee number
    assert role_of("boss") == ("WX-1", "manager")
    assert role_of("rm") == ("WX-2", "manager")
    assert role_of("sup1") == ("WX-4", "supervisor")
    assert role_of("zhang") == ("WX-4", "rep")
    assert role_of("wang") == ("WX-4", "rep")  # from the folded sub-group
    assert role_of("li") == ("WX-5", "rep")
    zhang = Person.objects.get(employee_no="zhang")
    assert (zhang.name, zhang.phone, zhang.email) == ("张三", "13900000005", "zhang@corp.cn")
    assert not zhang.has_usable_password()
    assert ExternalIdentity.objects.filter(platform="wecom").count() == 7
    assert ExternalDepartment.objects.filter(platform="wecom").count() == 5
    entry = AuditEntry.objects.get(object_type="directory", object_id="wecom")
    assert entry.after["unit.create"] == 5 and entry.after["person.create"] == 7
    # a second run finds nothing to do
    code, out, _ = sync("wecom")
    assert "synced: none" in out


def test_dingtalk_pages_through_members_and_uses_job_numbers(fake):
    fake.state.page_size = 1
    code, _out, err = sync("dingtalk")
    assert code == 0, err
    assert role_of("E005") == ("DD-4", "rep")
    assert role_of("li") == ("DD-5", "rep")  # no job number: the user id
    assert role_of("E004") == ("DD-4", "supervisor")
    assert fake.state.calls.count("/topapi/v2/user/list") > len(fake.state.depts)  # paged
    assert (
        ExternalIdentity.objects.get(platform="dingtalk", external_id="zhang").person.employee_no
        == "E005"
    )


def test_feishu_pages_through_departments_and_members(fake):
    fake.state.page_size = 2
    code, _out, err = sync("feishu", "--json")
    assert code == 0, err
    assert set(Unit.objects.values_list("code", flat=True)) == {
        "FS-0",
        "FS-2",
        "FS-3",
        "FS-4",
        "FS-5",
    }
    assert Unit.objects.get(code="FS-0").name == "铁军科技"
    assert role_of("E004") == ("FS-4", "supervisor")
    assert role_of("E007") == ("FS-4", "rep")
    children = [c for c in fake.state.calls if c.endswith("/children")]
    assert len(children) == 3  # five departments, two a page


def test_json_output_is_the_diff(fake):
    code, out, _ = sync("wecom", "--dry-run", "--json")
    assert code == 0
    diff = json.loads(out)
    assert diff["platform"] == "wecom" and diff["dry_run"] is True
    assert diff["summary"] == {"unit.create": 5, "person.create": 7}
    first = diff["changes"][0]
    assert first == {
        "action": "unit.create",
        "key": "1",
        "target": "WX-1",
        "detail": {"name": "铁军科技", "kind": "company", "parent": None},
        "held": "",
    }


def _backdate_everyone() -> None:
    Membership.objects.update(valid_from=timezone.localdate() - dt.timedelta(days=30))


def test_moves_take_effect_today_and_keep_history(fake):
    sync("wecom")
    _backdate_everyone()
    # zhang moves to 二组 and becomes its leader on the platform
    zhang = next(u for u in fake.state.users if u.userid == "zhang")
    zhang.depts = ["5"]
    next(d for d in fake.state.depts if d.id == "5").leaders = ["zhang"]
    code, out, err = sync("wecom")
    assert code == 0, err
    assert "~ person.move zhang" in out
    today = timezone.localdate()
    history = list(
        Membership.objects.filter(person__employee_no="zhang")
        .order_by("valid_from")
        .values_list("unit__code", "role", "valid_to")
    )
    assert history == [("WX-4", "rep", today - dt.timedelta(days=1)), ("WX-5", "supervisor", None)]


def test_people_no_longer_listed_are_deactivated_and_their_customers_handed_over(fake):
    sync("wecom")
    _backdate_everyone()
    zhang = Person.objects.get(employee_no="zhang")
    customer_create(code="C-1", name="客户一", owner=zhang)
    org_person = Person.objects.create_user("LOCAL", name="本地员工")  # never linked: left alone
    fake.state.users = [u for u in fake.state.users if u.userid != "zhang"]
    code, out, err = sync("wecom")
    assert code == 0, err
    assert "- person.deactivate zhang" in out
    zhang.refresh_from_db()
    org_person.refresh_from_db()
    assert not zhang.is_active and org_person.is_active
    assert Customer.objects.get(code="C-1").owner.employee_no == "sup1"  # the team's supervisor


def test_hand_edits_are_held_unless_forced(fake):
    sync("wecom")
    unit_update(unit=Unit.objects.get(code="WX-5"), name="二组（手改）")
    person_update(
        person=Person.objects.get(employee_no="li"), name="李四（手改）", email="", phone=""
    )
    next(d for d in fake.state.depts if d.id == "5").name = "杭州二组新名"
    next(u for u in fake.state.users if u.userid == "li").name = "李四新名"
    code, out, _ = sync("wecom")
    assert code == 0
    assert "! unit.rename WX-5" in out and "changed by hand in Tiejun" in out
    assert "! person.update li" in out
    assert Unit.objects.get(code="WX-5").name == "二组（手改）"
    code, out, _ = sync("wecom", "--force")
    assert code == 0
    assert Unit.objects.get(code="WX-5").name == "杭州二组新名"
    assert Person.objects.get(employee_no="li").name == "李四新名"


def test_an_existing_org_is_linked_not_duplicated(fake):
    build_org()
    # the platform's 张三 is R1 in Tiejun (same mobile), the root is the existing company
    Person.objects.filter(employee_no="R1").update(phone="+86 139 0000 0005")
    code, out, err = sync("wecom", "--dry-run")
    assert code == 0, err
    assert "= unit.link HQ (1)" in out
    assert "= person.link R1 (zhang)" in out


def test_an_expired_token_is_fetched_again_once(fake):
    fake.state.fail_next("/cgi-bin/department/list", 42001)
    code, _out, err = sync("wecom")
    assert code == 0, err
    assert fake.state.calls.count("/cgi-bin/gettoken") == 2
    assert Unit.objects.count() == 5


def test_a_rate_limit_backs_off_and_retries(fake):
    fake.state.fail_next("/topapi/v2/user/list", 90018, 90018)
    fake.state.fail_next("/open-apis/contact/v3/users/find_by_department", "http429")
    assert sync("dingtalk")[0] == 0
    assert sync("feishu")[0] == 0
    assert Person.objects.filter(employee_no="E005").exists()


def test_a_rate_limit_that_does_not_end_is_an_error(fake, settings):
    settings.DIRECTORY_RATE_RETRIES = 2
    fake.state.fail_next("/cgi-bin/department/list", 45009, 45009, 45009)
    code, _out, err = sync("wecom")
    assert code == 1
    assert "department/list answered error 45009" in err


def test_an_error_midway_leaves_the_org_as_it_was(fake):
    sync("wecom")
    before = (Unit.objects.count(), Person.objects.count(), Membership.objects.count())
    fake.state.depts.append(Dept("7", "杭州三组", "3"))
    fake.state.users.append(User("zhao", "赵六", ["7"]))
    fake.state.fail_next("/cgi-bin/user/list", 0, 0, 60011)  # the third department's list fails
    code, _out, err = sync("wecom")
    assert code == 1
    assert "WeCom user/list answered error 60011" in err
    assert "nothing written" in err
    assert (Unit.objects.count(), Person.objects.count(), Membership.objects.count()) == before


def test_kinds_must_be_a_run_ending_at_team(fake):
    code, _out, err = sync("wecom", "--kinds", "company,branch,team")
    assert code == 1 and "--kinds" in err
    code, _out, err = sync("wecom", "--kinds", "company,region,team")
    assert code == 1


def test_kinds_map_depth_to_unit_kind(fake):
    # a root region under the existing company: 华东大区 → region, 杭州分公司 → branch, teams below
    build_org()
    code, _out, err = sync("wecom", "--root", "2", "--kinds", "region,branch,team")
    assert code == 0, err
    assert Unit.objects.get(code="WX-2").parent.code == "HQ"
    assert Unit.objects.get(code="WX-4").kind == "team"


def test_an_unconfigured_platform_is_refused(settings):
    settings.FEISHU_APP_ID = ""
    code, _out, err = sync("feishu")
    assert code == 1 and "not configured" in err


def test_the_nightly_schedule_syncs_each_configured_platform(fake, settings):
    settings.DIRECTORY_SYNC_AT = "02:30"
    settings.DINGTALK_CLIENT_ID = settings.FEISHU_APP_ID = ""
    local = timezone.localtime().replace(hour=2, minute=30)
    assert sync_is_due(local)
    assert not sync_is_due(local.replace(minute=31))
    done = nightly_directory_sync.call_local()
    assert set(done) == {"wecom"}
    assert Unit.objects.filter(code="WX-1").exists()


def test_nothing_is_due_without_a_platform(settings):
    settings.WECOM_CORP_ID = settings.DINGTALK_CLIENT_ID = settings.FEISHU_APP_ID = ""
    assert not sync_is_due(timezone.localtime().replace(hour=2, minute=30))


def test_a_direct_call_returns_the_result(fake):
    result = directory_sync(platform="wecom", dry_run=True)
    assert result.summary() == {"unit.create": 5, "person.create": 7}


def test_a_job_number_taken_by_someone_else_is_held_not_a_crash(fake):
    sync("dingtalk")
    # a new member on the platform carries the job number of a person linked to someone else
    fake.state.users.append(User("newbie", "新人", ["5"], job_number="E005"))
    code, out, err = sync("dingtalk")
    assert code == 0, err
    assert "! person.create E005 (newbie)" in out and "is taken" in out


def test_a_leaver_who_would_forfeit_a_milestone_is_held_with_what_to_do(fake):
    """The directory sync runs the leaver check: a rep ¥11,400 short of a yearly milestone is
    held, and even a confirmed sync cannot choose for them (postpone or go ahead with a reason),
    so the held line says where to choose."""
    from tests.factories import deal
    from tests.incentives.conftest import STD_2026
    from tiejun.incentives.services import plan_load
    from tiejun.org.selectors import work_calendar

    sync("wecom")
    Membership.objects.update(valid_from=dt.date(timezone.localdate().year, 1, 1))
    plan_load(data={**STD_2026, "units": [Unit.objects.get(parent__isnull=True).code]})
    zhang = Person.objects.get(employee_no="zhang")
    today = timezone.localdate()
    days = work_calendar().previous_workdays(today, 60)
    deal(zhang, 988600 - 4000 * len(days), dt.date(today.year, 1, 5), today=today)
    for day in days:
        deal(zhang, 4000, day, today=today)
    fake.state.users = [u for u in fake.state.users if u.userid != "zhang"]

    _code, out, _err = sync("wecom", "--json")
    held = [c for c in json.loads(out)["changes"] if c["target"] == "zhang"]
    assert held and "--confirm" in held[0]["held"]
    assert held[0]["detail"]["warnings"][0]["code"] == "milestone.forfeit"
    _code, out, _err = sync("wecom", "--json", "--confirm")
    (change,) = [c for c in json.loads(out)["changes"] if c["target"] == "zhang"]
    assert "needs a choice" in change["held"] and "postpone" in change["held"]
    assert Person.objects.get(employee_no="zhang").is_active  # nothing written for zhang
