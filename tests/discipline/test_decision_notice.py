"""A decision on a red-line case is told to the person through the outbox: e-mail, else SMS, in
their language; it names the case, the red line, the decision and its day, and points to their
record — never the facts or the evidence. "No violation found" is not sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tiejun.discipline import services
from tiejun.discipline.models import Category, Decision
from tiejun.discipline.services import case_decide, case_open, evidence_add
from tiejun.errors import Forbidden
from tiejun.notify.models import Message

from .conftest import DAY

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 16)
FACTS = "12月2日三次签到均距客户一公里以上，电话核实客户未见到人。"
REASON = "首次，书面警告"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_case(org, rep="R1"):
    return case_open(
        by=org.supervisor_a,
        person=org.reps[rep],
        category=Category.objects.get(code="false_visit"),
        occurred_on=DAY,
        facts=FACTS,
        today=TODAY,
    )


def decide(case, by, decision=Decision.WARNING, effective=TODAY):
    return case_decide(
        case=case,
        by=by,
        decision=decision,
        reason=REASON,
        effective_date=effective,
        today=TODAY,
    )


def notices():
    return list(Message.objects.filter(key__startswith="redline_case:"))


def test_a_warning_is_told_by_e_mail_without_the_facts_or_evidence(
    company, django_capture_on_commit_callbacks
):
    # given an open case with a file of evidence
    case = open_case(company)
    evidence_add(
        case=case,
        by=company.supervisor_a,
        upload=SimpleUploadedFile("签到截图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        note="三次签到的位置",
    )
    # when the supervisor gives a warning
    with django_capture_on_commit_callbacks(execute=True):
        decide(case, company.supervisor_a, effective=dt.date(2026, 12, 18))
    # then R1 gets one e-mail naming the case, the red line, the decision and its day
    (message,) = notices()
    assert (message.channel, message.address) == ("email", "r1@example.com")
    assert message.key == f"redline_case:{case.pk}:decided"
    assert message.subject == f"Red-line case {case.number}: Warning"
    assert message.text == (
        f"员工R1, the red-line case {case.number} about you (False visits or check-ins) has been "
        "decided: Warning, effective 2026-12-18. The decision and its reason are on your "
        f"record: {settings.PUBLIC_URL}/redlines/mine/"
    )
    for secret in (FACTS, "签到截图", "三次签到的位置", REASON, "一公里"):
        assert secret not in message.text and secret not in message.subject


def test_nothing_is_sent_before_the_commit_nor_twice(company, django_capture_on_commit_callbacks):
    case = open_case(company)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(case, company.supervisor_a)
    assert notices() == [] and len(callbacks) == 1
    callbacks[0]()
    callbacks[0]()  # the outbox key makes a second run send nothing
    assert len(notices()) == 1


def test_without_an_e_mail_the_notice_goes_by_sms(company, django_capture_on_commit_callbacks):
    r1 = company.reps["R1"]
    r1.email, r1.phone = "", "13800138000"
    r1.save(update_fields=["email", "phone"])
    case = open_case(company)
    with django_capture_on_commit_callbacks(execute=True):
        decide(case, company.manager, decision=Decision.DISMISSAL)
    (message,) = notices()
    assert message.channel == "sms" and "13800138000" in message.address
    assert "Dismissal" in message.text and case.number in message.text


def test_without_an_address_nothing_is_queued(company, django_capture_on_commit_callbacks):
    r1 = company.reps["R1"]
    r1.email, r1.phone = "", ""
    r1.save(update_fields=["email", "phone"])
    with django_capture_on_commit_callbacks(execute=True):
        decided = decide(open_case(company), company.supervisor_a)
    assert decided.decision == Decision.WARNING and notices() == []


def test_no_violation_found_is_not_sent(company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decide(open_case(company), company.supervisor_a, decision=Decision.CLEARED)
    assert notices() == [] and callbacks == []


def test_a_refused_decision_sends_nothing(company, django_capture_on_commit_callbacks):
    case = open_case(company)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Forbidden):
        decide(case, company.supervisor_a, decision=Decision.DISMISSAL)  # a manager's call
    assert notices() == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_notice_is_in_the_persons_language(
    company, django_capture_on_commit_callbacks, monkeypatch, language
):
    # given R1 reads Tiejun in one language while the decider uses the other
    r1 = company.reps["R1"]
    r1.language = language
    r1.save(update_fields=["language"])
    monkeypatch.setattr(services, "_", lambda text: f"[{translation.get_language()}] {text}")
    case = open_case(company)
    # when
    other = "en" if language == "zh-hans" else "zh-hans"
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        decide(case, company.supervisor_a)
    # then
    (message,) = notices()
    assert message.subject.startswith(f"[{language}] ")
    assert message.text.startswith(f"[{language}] ")
