"""The red-line pages: reviewers only, a flag with its evidence, a case with files and decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import client_for
from tiejun.audit.models import AuditEntry
from tiejun.crm.models import Customer
from tiejun.discipline.models import Case, CaseStatus, Category, Decision, Flag, FlagStatus
from tiejun.discipline.scan import flags_scan
from tiejun.discipline.services import case_open

from .conftest import DAY, ZONE
from .scenario import suspicious_day

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def flagged(company, time_machine):
    suspicious_day(company, time_machine)
    time_machine.move_to(dt.datetime(2026, 12, 16, 10, 30, tzinfo=ZONE))  # the suite's clock
    flags_scan(day=DAY)
    return company


def test_a_rep_cannot_open_the_register_and_lands_on_their_record(company):
    client = client_for(company.reps["R1"])
    for url in ("/redlines/flags/", "/redlines/cases/", "/redlines/cases/new/"):
        assert client.get(url).status_code == 404
    response = client.get("/redlines/")
    assert response.status_code == 302
    assert response["Location"] == "/redlines/mine/"
    assert "Nothing on your record." in client.get("/redlines/mine/").content.decode()


def test_the_supervisor_reviews_a_flag_with_its_evidence(flagged, django_assert_num_queries):
    client = client_for(flagged.supervisor_a)
    client.get("/redlines/flags/")
    with django_assert_num_queries(7):
        response = client.get("/redlines/flags/")
    body = response.content.decode()
    assert "员工R1" in body and "员工R2" in body
    assert "员工R3" not in body  # another team's
    flag = Flag.objects.get(person=flagged.reps["R1"])
    body = client.get(f"/redlines/flags/{flag.pk}/").content.decode()
    assert "3 check-ins more than 300 m from the customer within 7 days." in body
    assert "西湖客户01" in body and "2026-12-02 09:00" in body
    other = Flag.objects.get(person=flagged.reps["R3"])
    assert client.get(f"/redlines/flags/{other.pk}/").status_code == 404


def test_the_flags_page_costs_the_same_for_more_flags(flagged, django_assert_num_queries):
    client = client_for(flagged.manager)
    client.get("/redlines/flags/")
    with django_assert_num_queries(7):
        body = client.get("/redlines/flags/").content.decode()
    assert body.count("data-flag=") == 4


def test_the_reversal_evidence_shows_money(flagged):
    client = client_for(flagged.manager)
    flag = Flag.objects.get(person=flagged.reps["R4"])
    body = client.get(f"/redlines/flags/{flag.pk}/").content.decode()
    assert "¥88,000.00" in body
    assert "客户取消" in body


def test_open_a_case_from_a_flag_attach_evidence_and_read_it(flagged):
    client = client_for(flagged.supervisor_a)
    flag = Flag.objects.get(person=flagged.reps["R1"])
    category = Category.objects.get(code="false_visit")
    response = client.post(
        f"/redlines/flags/{flag.pk}/case/",
        {"category": category.pk, "occurred_on": "2026-12-02", "facts": "电话核实客户未见到人"},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/redlines/cases/{case.pk}/"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CASE
    # a file of the wrong type is refused on the page, nothing stored
    response = client.post(
        f"/redlines/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("录音.mp3", b"not audio"), "note": ""},
    )
    assert response.status_code == 400
    assert "not a mp3 file" in response.content.decode()
    assert not case.evidence.exists()
    client.post(
        f"/redlines/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("现场照片.png", PNG), "note": "门店无人"},
    )
    evidence = case.evidence.get()
    url = f"/redlines/cases/{case.pk}/evidence/{evidence.pk}/"
    body = client.get(f"/redlines/cases/{case.pk}/").content.decode()
    assert "现场照片.png" in body and url in body
    assert "3 check-ins more than 300 m" in body  # the flag's evidence stays with the case
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action="download", object_id=case.number).count() == 1
    # another team's supervisor, and the person, get 404 for the case and the file
    for outsider in (flagged.supervisor_b, flagged.reps["R1"]):
        other = client_for(outsider)
        assert other.get(f"/redlines/cases/{case.pk}/").status_code == 404
        assert other.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="download").count() == 1


def test_a_supervisor_is_not_offered_a_dismissal_and_cannot_post_one(company):
    case = case_open(
        by=company.supervisor_a,
        person=company.reps["R2"],
        category=Category.objects.get(code="poaching"),
        occurred_on=DAY,
        facts="私下转走同事客户",
    )
    client = client_for(company.supervisor_a)
    body = client.get(f"/redlines/cases/{case.pk}/").content.decode()
    assert 'value="dismissal"' not in body and 'value="warning"' in body
    response = client.post(
        f"/redlines/cases/{case.pk}/decision/",
        {"decision": "dismissal", "reason": "x", "effective_date": "2026-12-16"},
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_the_branch_manager_dismisses_and_the_customers_are_handed_over(company):
    case = case_open(
        by=company.supervisor_a,
        person=company.reps["R2"],
        category=Category.objects.get(code="kickback"),
        occurred_on=DAY,
        facts="收受客户回扣",
    )
    client = client_for(company.manager)
    response = client.post(
        f"/redlines/cases/{case.pk}/decision/",
        {"decision": "dismissal", "reason": "收受回扣属实", "effective_date": "2026-12-16"},
        follow=True,
    )
    body = response.content.decode()
    assert "is decided: Dismissal" in body
    assert "员工R2 is deactivated; 2 customers handed over." in body
    case.refresh_from_db()
    assert (case.decision, case.customers_handed_over) == (Decision.DISMISSAL, 2)
    assert not Customer.objects.filter(owner=company.reps["R2"]).exists()
    company.reps["R2"].refresh_from_db()
    assert not company.reps["R2"].is_active


def test_open_a_case_from_the_form_only_about_someone_in_the_chain(company):
    client = client_for(company.supervisor_a)
    body = client.get("/redlines/cases/new/").content.decode()
    assert 'value="R1"' in body and 'value="R3"' not in body and 'value="S1"' not in body
    category = Category.objects.get(code="data_leak")
    response = client.post(
        "/redlines/cases/new/",
        {"employee_no": "R3", "category": category.pk, "occurred_on": "2026-12-10", "facts": "x"},
    )
    assert response.status_code == 400
    response = client.post(
        "/redlines/cases/new/",
        {"employee_no": "R1", "category": category.pk, "occurred_on": "2026-12-10", "facts": ""},
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
    response = client.post(
        "/redlines/cases/new/",
        {
            "employee_no": "R1",
            "category": category.pk,
            "occurred_on": "2026-12-10",
            "facts": "把客户名单发给竞品",
        },
    )
    assert response.status_code == 302
    assert Case.objects.get().person == company.reps["R1"]


def test_dismissing_a_flag_needs_a_reason(flagged):
    client = client_for(flagged.supervisor_a)
    flag = Flag.objects.get(person=flagged.reps["R2"])
    response = client.post(f"/redlines/flags/{flag.pk}/dismiss/", {"reason": "  "})
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    response = client.post(f"/redlines/flags/{flag.pk}/dismiss/", {"reason": "定位漂移"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
