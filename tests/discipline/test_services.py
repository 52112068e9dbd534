"""Cases: opening, evidence, decisions by the roles allowed, and a dismissal's hand-over."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Customer, OwnershipChange
from tiejun.discipline.models import Case, CaseStatus, Category, Decision, Flag, FlagStatus
from tiejun.discipline.scan import flags_scan
from tiejun.discipline.services import (
    case_decide,
    case_open,
    cases_apply_due,
    check_evidence,
    evidence_add,
    flag_dismiss,
)
from tiejun.errors import Forbidden, NotFound, TiejunError
from tiejun.org.models import PersonSession
from tiejun.org.services import token_create

from .conftest import DAY
from .scenario import suspicious_day

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 16)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def category(code="false_visit"):
    return Category.objects.get(code=code)


def open_case(org, rep="R1", by=None, **kw):
    return case_open(
        by=by or org.supervisor_a,
        person=org.reps[rep],
        category=kw.pop("category", category()),
        occurred_on=kw.pop("occurred_on", DAY),
        facts=kw.pop("facts", "12月2日三次签到均距客户一公里以上，电话核实客户未见到人。"),
        today=TODAY,
        **kw,
    )


def test_the_default_red_lines_are_loaded():
    assert list(Category.objects.values_list("code", flat=True)) == [
        "false_visit",
        "false_deal",
        "poaching",
        "kickback",
        "data_leak",
        "values",
    ]
    assert category("kickback").label == "Kickbacks"


def test_a_supervisor_opens_a_case_about_their_rep_and_it_is_audited(company):
    case = open_case(company)
    assert case.status == CaseStatus.OPEN
    assert (case.unit, case.role) == (company.team_a, "rep")
    entry = AuditEntry.objects.get(object_type="redline_case", action="create")
    assert entry.object_id == case.number
    assert entry.actor_id == company.supervisor_a.pk
    assert entry.after["employee_no"] == "R1"


@pytest.mark.parametrize(
    ("who", "rep"),
    [("supervisor_a", "R3"), ("supervisor_a", "R5"), ("manager", "R5"), ("R2", "R1")],
)
def test_nobody_opens_a_case_outside_their_chain(company, who, rep):
    by = getattr(company, who, None) or company.reps[who]
    with pytest.raises(NotFound):
        open_case(company, rep=rep, by=by)
    assert not Case.objects.exists()


def test_nobody_opens_a_case_about_themself_or_a_fellow_leader(company):
    with pytest.raises(NotFound):
        case_open(
            by=company.supervisor_a,
            person=company.supervisor_a,
            category=category(),
            occurred_on=DAY,
            facts="x",
            today=TODAY,
        )
    with pytest.raises(NotFound):
        open_case(company, by=company.supervisor_b, rep="R1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"facts": "   "}, "facts"),
        ({"occurred_on": TODAY + dt.timedelta(days=1)}, "occurred_on"),
        ({"facts": "x" * 10_001}, "facts"),
        ({"facts": "a\x00b"}, "facts"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(company, changes, field):
    with pytest.raises(TiejunError) as error:
        open_case(company, **changes)
    assert error.value.field == field
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(object_type="redline_case").exists()


def test_a_retired_category_is_not_offered(company):
    Category.objects.filter(code="values").update(active=False)
    with pytest.raises(TiejunError):
        open_case(company, category=category("values"))


def test_a_warning_by_the_supervisor_but_a_dismissal_only_by_a_manager(company):
    case = open_case(company)
    with pytest.raises(Forbidden):
        case_decide(
            case=case,
            by=company.supervisor_a,
            decision=Decision.DISMISSAL,
            reason="多次虚假签到",
            effective_date=TODAY,
            today=TODAY,
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    decided = case_decide(
        case=case,
        by=company.supervisor_a,
        decision=Decision.WARNING,
        reason="首次，书面警告",
        effective_date=TODAY,
        today=TODAY,
    )
    assert (decided.status, decided.decision, decided.decided_by) == (
        CaseStatus.DECIDED,
        Decision.WARNING,
        company.supervisor_a,
    )
    assert decided.applied_at is None
    company.reps["R1"].refresh_from_db()
    assert company.reps["R1"].is_active
    with pytest.raises(TiejunError):  # decided once
        case_decide(
            case=case,
            by=company.manager,
            decision=Decision.DISMISSAL,
            reason="x",
            effective_date=TODAY,
            today=TODAY,
        )
    entry = AuditEntry.objects.get(object_type="redline_case", action="decide")
    assert entry.after == {
        "status": "decided",
        "decision": "warning",
        "effective_date": "2026-12-16",
    }
    assert entry.reason == "首次，书面警告"


def test_a_dismissal_deactivates_the_person_and_hands_their_customers_over(company, client):
    # given R1 holds three customers, a session and an API token
    r1 = company.reps["R1"]
    client.force_login(r1)
    token_create(person=r1)
    case = open_case(company)
    # when the branch manager dismisses R1 from today
    case_decide(
        case=case,
        by=company.manager,
        decision=Decision.DISMISSAL,
        reason="虚假签到，证据确凿",
        effective_date=TODAY,
        today=TODAY,
    )
    # then R1 can no longer sign in, and the customers went to the team's supervisor
    r1.refresh_from_db()
    assert not r1.is_active
    assert not PersonSession.objects.filter(person=r1).exists()
    assert not r1.api_tokens.filter(revoked_at__isnull=True).exists()
    assert Customer.objects.filter(owner=r1).count() == 0
    assert (
        Customer.objects.filter(owner=company.supervisor_a, code__in=["C01", "C02", "C03"]).count()
        == 3
    )
    assert OwnershipChange.objects.filter(from_person=r1, reason="leaver").count() == 3
    case.refresh_from_db()
    assert case.applied_at is not None
    assert case.customers_handed_over == 3
    assert AuditEntry.objects.filter(
        object_type="person", action="deactivate", object_id="R1"
    ).exists()
    assert AuditEntry.objects.filter(object_type="redline_case", action="dismissal").exists()


def test_a_dismissal_from_a_later_day_waits_for_that_day(company):
    case = open_case(company)
    later = TODAY + dt.timedelta(days=14)
    case_decide(
        case=case,
        by=company.admin,
        decision=Decision.DISMISSAL,
        reason="月底离职",
        effective_date=later,
        today=TODAY,
    )
    assert company.reps["R1"].__class__.objects.get(pk=company.reps["R1"].pk).is_active
    assert cases_apply_due(today=later - dt.timedelta(days=1)) == 0
    assert cases_apply_due(today=later) == 1
    assert not company.reps["R1"].__class__.objects.get(pk=company.reps["R1"].pk).is_active
    assert cases_apply_due(today=later) == 0  # once


@pytest.mark.parametrize(
    ("effective", "field"),
    [
        (None, "effective_date"),
        (DAY - dt.timedelta(days=1), "effective_date"),
        (TODAY + dt.timedelta(days=91), "effective_date"),
    ],
)
def test_the_effective_date_is_checked(company, effective, field):
    case = open_case(company)
    with pytest.raises(TiejunError) as error:
        case_decide(
            case=case,
            by=company.manager,
            decision=Decision.WARNING,
            reason="r",
            effective_date=effective,
            today=TODAY,
        )
    assert error.value.field == field
    case.refresh_from_db()
    assert case.is_open


def test_the_person_may_not_decide_their_own_case(company):
    case = case_open(
        by=company.manager,
        person=company.supervisor_a,
        category=category(),
        occurred_on=DAY,
        facts="主管代签",
        today=TODAY,
    )
    with pytest.raises(Forbidden):
        case_decide(
            case=case,
            by=company.supervisor_a,
            decision=Decision.CLEARED,
            reason="r",
            effective_date=None,
            today=TODAY,
        )


def test_evidence_is_type_and_size_checked(company, settings):
    case = open_case(company)
    settings.REDLINE_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(TiejunError, match="at most"):
        check_evidence(SimpleUploadedFile("big.png", PNG + b"\x00" * 1000))
    with pytest.raises(TiejunError, match="accepted files"):
        check_evidence(SimpleUploadedFile("run.exe", b"MZ\x90\x00"))
    with pytest.raises(TiejunError, match="not a png"):
        check_evidence(SimpleUploadedFile("photo.png", b"<script>alert(1)</script>"))
    with pytest.raises(TiejunError, match="empty"):
        check_evidence(SimpleUploadedFile("note.txt", b""))
    with pytest.raises(TiejunError, match="not a txt"):
        check_evidence(SimpleUploadedFile("note.txt", b"\xff\xfe\x00\x00"))
    evidence = evidence_add(
        case=case,
        by=company.supervisor_a,
        upload=SimpleUploadedFile("../../etc/客户电话录音.png", PNG),
        note="客户确认",
    )
    assert evidence.name == "客户电话录音.png"
    assert evidence.content_type == "image/png"
    assert evidence.file.name.startswith(f"redlines/{case.pk}/")
    assert "客户" not in evidence.file.name
    assert default_storage.open(evidence.file.name).read() == PNG
    assert AuditEntry.objects.get(action="attach").after["file"] == "客户电话录音.png"


def test_no_evidence_after_the_decision(company):
    case = open_case(company)
    case_decide(
        case=case,
        by=company.manager,
        decision=Decision.WARNING,
        reason="r",
        effective_date=TODAY,
        today=TODAY,
    )
    with pytest.raises(TiejunError, match="decided"):
        evidence_add(case=case, by=company.manager, upload=io.BytesIO(b"x"))


def test_a_flag_becomes_a_case_or_is_dismissed_with_a_reason(company, time_machine):
    suspicious_day(company, time_machine)
    flags_scan(day=DAY)
    r1_flag = Flag.objects.get(person=company.reps["R1"])
    r2_flag = Flag.objects.get(person=company.reps["R2"])
    case = open_case(company, flag=r1_flag)
    r1_flag.refresh_from_db()
    assert (r1_flag.status, r1_flag.case, r1_flag.reviewed_by) == (
        FlagStatus.CASE,
        case,
        company.supervisor_a,
    )
    with pytest.raises(TiejunError):  # reviewed already
        open_case(company, flag=r1_flag)
    with pytest.raises(TiejunError):  # about someone else
        open_case(company, rep="R1", flag=r2_flag)
    with pytest.raises(TiejunError):
        flag_dismiss(flag=r2_flag, by=company.supervisor_a, reason="  ")
    flag_dismiss(flag=r2_flag, by=company.supervisor_a, reason="定位漂移，已核实在杭州")
    r2_flag.refresh_from_db()
    assert r2_flag.status == FlagStatus.DISMISSED
    assert (
        AuditEntry.objects.get(object_type="redline_flag", action="dismiss").reason
        == "定位漂移，已核实在杭州"
    )


def test_the_apply_command_applies_due_dismissals(company, capsys):
    case = open_case(company)
    case_decide(
        case=case,
        by=company.manager,
        decision=Decision.DISMISSAL,
        reason="月底生效",
        effective_date=dt.date(2026, 12, 31),
        today=TODAY,
    )
    call_command("redlines", "apply", "--date", "2026-12-30")
    assert capsys.readouterr().out.strip() == "0 dismissals applied"
    call_command("redlines", "apply", "--date", "2026-12-31")
    assert capsys.readouterr().out.strip() == "1 dismissal applied"
    company.reps["R1"].refresh_from_db()
    assert not company.reps["R1"].is_active
    assert not Customer.objects.filter(owner=company.reps["R1"]).exists()
