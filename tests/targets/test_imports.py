"""The targets import obeys the lock rules of ``target_set``: a real reason, and a leader's own
unit or own target changed only by the level above."""

import datetime as dt
from decimal import Decimal

from tests.imports.conftest import csv_bytes
from tiejun.imports.services import run_import
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set

JUNE = dt.date(2026, 6, 1)
BEFORE = dt.date(2026, 5, 20)
LOCKED = dt.date(2026, 6, 10)
HEADER = ["month", "scope", "code", "metric", "value"]
REASON = "客户合同延期到下个月签约"


def test_a_supervisors_file_may_not_cut_their_own_locked_targets(org):
    # given: June targets of team A, its supervisor and a rep, set before June locked
    target_set(month=JUNE, metric="revenue", unit=org.team_a, value=Decimal(5000), today=BEFORE)
    target_set(month=JUNE, metric="revenue", person=org.supervisor_a, value=900, today=BEFORE)
    target_set(month=JUNE, metric="revenue", person=org.reps["R1"], value=800, today=BEFORE)
    rows = [
        HEADER,
        ["2026-06", "unit", "HZ1", "revenue", "1"],
        ["2026-06", "person", "S1", "revenue", "1"],
        ["2026-06", "person", "R1", "revenue", "700"],
    ]
    # when: the supervisor imports it, with a real reason
    result = run_import(
        "targets", csv_bytes(rows), by=org.supervisor_a, reason=REASON, today=LOCKED
    )
    # then: each own row is an error row, and nothing at all is written
    problems = {(e.row, e.column): e.problem for e in result.errors}
    assert set(problems) == {(2, "code"), (3, "code")}
    assert all("level above you" in p for p in problems.values())
    assert (result.created, result.updated) == (0, 0)
    assert Target.objects.get(unit=org.team_a).value == 5000
    assert Target.objects.get(person=org.reps["R1"]).value == 800
    assert TargetChange.objects.count() == 3
    # the rep's row alone is the supervisor's to change
    ok = run_import(
        "targets", csv_bytes([HEADER, rows[3]]), by=org.supervisor_a, reason=REASON, today=LOCKED
    )
    assert ok.ok, [str(e) for e in ok.errors]
    assert Target.objects.get(person=org.reps["R1"]).value == 700


def test_a_token_reason_is_refused_for_every_locked_row(org):
    target_set(month=JUNE, metric="revenue", unit=org.team_a, value=Decimal(5000), today=BEFORE)
    rows = [HEADER, ["2026-06", "unit", "HZ1", "revenue", "1"]]
    result = run_import("targets", csv_bytes(rows), by=org.manager, reason="...", today=LOCKED)
    assert [str(e) for e in result.errors] == [
        "row 2: value: targets for 2026-06 are locked; give a reason of at least 10 letters or "
        "digits, or half as many Chinese characters (characters are counted, not words; "
        "spaces and punctuation do not count)"
    ]
    assert Target.objects.get(unit=org.team_a).value == 5000
    accepted = run_import("targets", csv_bytes(rows), by=org.manager, reason=REASON, today=LOCKED)
    assert accepted.ok and accepted.updated == 1
    assert Target.objects.get(unit=org.team_a).value == 1
