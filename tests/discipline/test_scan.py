"""The nightly scan: one flag per suspicious pattern, idempotent, withdrawn when it is gone."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tiejun.audit.models import AuditEntry
from tiejun.discipline.models import Flag, FlagKind, FlagStatus
from tiejun.discipline.scan import flags_scan
from tiejun.discipline.services import flag_dismiss
from tiejun.discipline.tasks import is_due, nightly
from tiejun.field.models import Visit

from .conftest import DAY, at, checkin, offset
from .scenario import suspicious_day

pytestmark = pytest.mark.django_db


def kinds(result):
    return {(f.kind, f.person.employee_no) for f in result.flags}


def test_each_pattern_raises_one_flag_with_its_evidence(company, time_machine):
    # given
    suspicious_day(company, time_machine)
    # when
    result = flags_scan(day=DAY)
    # then
    assert kinds(result) == {
        (FlagKind.OUTSIDE_GEOFENCE, "R1"),
        (FlagKind.IMPOSSIBLE_SPEED, "R2"),
        (FlagKind.SHARED_POSITION, "R3"),
        (FlagKind.REVERSAL, "R4"),
    }
    assert result.created == 4
    flags = {f.kind: f for f in result.flags}
    outside = flags[FlagKind.OUTSIDE_GEOFENCE]
    assert outside.evidence["count"] == 3
    assert [v["customer_code"] for v in outside.evidence["visits"]] == ["C01", "C02", "C03"]
    assert all(900 < v["distance_m"] < 1100 for v in outside.evidence["visits"])
    assert outside.unit == company.team_a
    speed = flags[FlagKind.IMPOSSIBLE_SPEED]
    (leg,) = speed.evidence["legs"]
    assert (leg["from"]["customer_code"], leg["to"]["customer_code"]) == ("C04", "C05")
    assert leg["minutes"] == 20.0
    assert 350 < leg["speed_kmh"] < 450
    cluster = flags[FlagKind.SHARED_POSITION]
    assert cluster.score == 3
    assert {v["customer_code"] for v in cluster.evidence["clusters"][0]["visits"]} == {
        "X1",
        "X2",
        "X3",
    }
    reversal = flags[FlagKind.REVERSAL]
    (change,) = reversal.evidence["changes"]
    assert change["what"] == "deleted"
    assert change["amount_before"] == "88000.00"
    assert change["reason"] == "客户取消"
    assert reversal.score == 88000.0
    assert reversal.unit == company.team_b
    assert all(f.status == FlagStatus.OPEN for f in result.flags)


def test_scanning_again_changes_nothing_and_keeps_reviews(company, time_machine):
    suspicious_day(company, time_machine)
    first = flags_scan(day=DAY)
    ids = sorted(f.pk for f in first.flags)
    r1_flag = next(f for f in first.flags if f.person.employee_no == "R1")
    flag_dismiss(flag=r1_flag, by=company.supervisor_a, reason="客户搬家，地址未更新")

    again = flags_scan(day=DAY)

    assert (again.created, again.updated, again.withdrawn, again.unchanged) == (0, 0, 0, 4)
    assert sorted(f.pk for f in again.flags) == ids
    assert Flag.objects.get(pk=r1_flag.pk).status == FlagStatus.DISMISSED
    # one audit entry for the scan that wrote, none for the one that changed nothing
    assert AuditEntry.objects.filter(object_type="redline_flag", action="scan").count() == 1


def test_a_pattern_that_is_gone_withdraws_its_open_flag(company, time_machine):
    suspicious_day(company, time_machine)
    flags_scan(day=DAY)
    Visit.objects.filter(person=company.reps["R2"], customer__code="C05").delete()

    result = flags_scan(day=DAY)

    assert result.withdrawn == 1
    assert (FlagKind.IMPOSSIBLE_SPEED, "R2") not in kinds(result)
    assert Flag.objects.count() == 3


def test_outside_the_geofence_is_flagged_once_a_window(company):
    r1 = company.reps["R1"]
    c = company.customers
    day_before = DAY - dt.timedelta(days=1)
    checkin(r1, c["C01"], at(9, 0, day_before), offset(c["C01"].lat, 800), c["C01"].lon)
    checkin(r1, c["C02"], at(15, 0, day_before), offset(c["C02"].lat, 800), c["C02"].lon)
    assert flags_scan(day=day_before).flags == []  # two are not yet "repeated"
    checkin(r1, c["C03"], at(9, 0), offset(c["C03"].lat, 800), c["C03"].lon)
    (flag,) = flags_scan(day=DAY).flags
    assert flag.evidence["count"] == 3
    next_day = DAY + dt.timedelta(days=1)
    checkin(r1, c["C01"], at(9, 0, next_day), offset(c["C01"].lat, 800), c["C01"].lon)
    assert flags_scan(day=next_day).flags == []  # the window already has its flag


def test_thresholds_are_settings(company, time_machine, settings):
    suspicious_day(company, time_machine)
    settings.REDLINE_OUTSIDE_MIN = 4
    settings.REDLINE_MAX_SPEED_KMH = 1000
    settings.REDLINE_CLUSTER_MIN_CUSTOMERS = 4
    settings.REDLINE_REVERSAL_DAYS = 1
    assert flags_scan(day=DAY).flags == []


def test_the_command_prints_json_and_refuses_a_bad_date(company, time_machine, capsys):
    suspicious_day(company, time_machine)
    call_command("redlines", "scan", "--date", DAY.isoformat(), "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2026-12-02"
    assert data["created"] == 4
    assert {(f["kind"], f["employee_no"]) for f in data["flags"]} == {
        ("outside_geofence", "R1"),
        ("impossible_speed", "R2"),
        ("shared_position", "R3"),
        ("reversal", "R4"),
    }
    call_command("redlines", "scan", "--date", DAY.isoformat())
    text = capsys.readouterr().out
    assert "2026-12-02: 4 flags (0 new, 0 updated, 0 withdrawn)" in text
    for bad in ("2026-13-01", "yesterday", "2999-12-31"):
        with pytest.raises(CommandError) as error:
            call_command("redlines", "scan", "--date", bad)
        assert error.value.returncode == 2
    assert Flag.objects.count() == 4


def test_the_nightly_job_scans_yesterday_at_its_local_minute(company, time_machine, settings):
    suspicious_day(company, time_machine)
    flags, applied = nightly(DAY + dt.timedelta(days=1))
    assert (flags, applied) == (4, 0)
    settings.REDLINE_SCAN_AT = "02:30"
    # Huey hands a naive UTC time: 18:30 UTC is 02:30 in Shanghai
    assert is_due(dt.datetime(2026, 12, 2, 18, 30))
    assert not is_due(dt.datetime(2026, 12, 2, 2, 30))
