"""The one-pass cascade: the pure split, the plan, the save and ``tiejun targets cascade``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import client_for, deal, person
from tiejun.audit.models import AuditEntry
from tiejun.errors import Forbidden, TiejunError
from tiejun.org.models import Membership, Role, UnitKind
from tiejun.org.services import membership_move, person_deactivate, unit_create
from tiejun.targets.allocation import allocate_rounded, cascade
from tiejun.targets.cascade import base_period, cascade_plan, cascade_save, default_base
from tiejun.targets.models import Target, TargetChange
from tiejun.targets.services import target_set

TODAY = dt.date(2026, 12, 4)  # December is half-finished
JAN = dt.date(2027, 1, 1)
D = Decimal


# --- the pure split ----------------------------------------------------------------------------


def test_rounded_shares_are_round_but_one_and_add_up_exactly():
    shares = allocate_rounded(D(1234567), {"a": D(1), "b": D(1), "c": D(1)}, D("0.01"), D(1000))
    assert sum(shares.values()) == D(1234567)
    assert sorted(shares.values()) == [D(411000), D(411567), D(412000)]


def test_pinned_shares_keep_their_value_and_the_rest_is_shared():
    shares = allocate_rounded(D(1000), {"a": D(1), "b": D(1), "c": D(2)}, D(1), D(1), {"a": D(400)})
    assert shares == {"a": D(400), "b": D(200), "c": D(400)}
    # pins above the total leave the others nothing, never a negative share
    assert allocate_rounded(D(100), {"a": D(1), "b": D(1)}, D(1), D(1), {"a": D(150)}) == {
        "a": D(150),
        "b": D(0),
    }


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=15),
    unit=st.sampled_from([D(1), D(100), D(1000)]),
)
def test_every_rounded_split_adds_up_and_all_but_one_share_is_round(total, weights, unit):
    keyed = {i: D(w) for i, w in enumerate(weights)}
    shares = allocate_rounded(D(total), keyed, D("0.01"), unit)
    assert sum(shares.values()) == D(total)
    assert all(v >= 0 for v in shares.values())
    assert sum(1 for v in shares.values() if v % unit) <= 1


def test_cascade_splits_every_level_with_its_own_method():
    children = {"R": ["A", "B"], "A": ["a1", "a2", "a3"], "B": ["b1"]}
    values = cascade(
        root="R",
        total=D(900000),
        children=children,
        methods=["share", "even"],
        base={"A": D(2), "B": D(1)},
        step=D("0.01"),
        unit=D(1000),
        pinned={"a1": D(100000)},
    )
    assert values["A"] + values["B"] == D(900000)
    assert (values["A"], values["B"]) == (D(600000), D(300000))
    assert values["a1"] == D(100000)  # typed by hand, kept
    assert values["a1"] + values["a2"] + values["a3"] == values["A"]
    assert values["b1"] == values["B"]


def test_a_level_by_hand_keeps_what_is_there_and_may_leave_a_gap():
    values = cascade(
        root="R",
        total=D(100),
        children={"R": ["A", "B"]},
        methods=["hand"],
        base={},
        step=D(1),
        unit=D(1),
        pinned={"A": D(30)},
        current={"B": D(50)},
    )
    assert values == {"R": D(100), "A": D(30), "B": D(50)}


# --- the base period ---------------------------------------------------------------------------


def test_the_default_base_is_the_last_complete_month_not_the_current_one():
    assert default_base(TODAY) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert default_base(TODAY, 3) == (dt.date(2026, 9, 1), dt.date(2026, 11, 30))
    with pytest.raises(TiejunError, match="not complete yet") as error:
        base_period(dt.date(2026, 12, 1), today=TODAY)
    assert error.value.field == "base"
    assert base_period(dt.date(2026, 10, 1), months=2, today=TODAY) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 30),
    )


# --- the plan ----------------------------------------------------------------------------------


def _history(org):
    """November: HZ sold 3× what NB sold; R1 sold 3× R2. December (half-finished): only NB."""
    deal(org.reps["R1"], 30000, dt.date(2026, 11, 10), today=TODAY)
    deal(org.reps["R2"], 10000, dt.date(2026, 11, 12), today=TODAY)
    deal(org.reps["R3"], 20000, dt.date(2026, 11, 13), today=TODAY)
    deal(org.reps["R5"], 20000, dt.date(2026, 11, 20), today=TODAY)
    deal(org.reps["R5"], 900000, dt.date(2026, 12, 2), today=TODAY)


def test_an_even_cascade_reaches_every_rep_and_every_level_adds_up(org, django_assert_num_queries):
    with django_assert_num_queries(5):
        plan = cascade_plan(
            unit=org.region, month=JAN, metric="revenue", total=D(1000000), today=TODAY
        )
    by_code = {n.code: n for n in plan.nodes}
    assert [n.code for n in plan.nodes] == [
        "ZJ",
        "HZ",
        "HZ1",
        "R1",
        "R2",
        "HZ2",
        "R3",
        "R4",
        "NB",
        "NB1",
        "R5",
    ]
    assert by_code["HZ"].value == by_code["NB"].value == D(500000)
    assert by_code["HZ1"].value == by_code["HZ2"].value == D(250000)
    assert by_code["R5"].value == D(500000)
    for node in plan.nodes:
        if node.children:
            assert node.children_sum == node.value
    # supervisors and managers get no person target; reps do
    assert {n.code for n in plan.people} == {"R1", "R2", "R3", "R4", "R5"}


def test_by_share_uses_the_last_complete_month_and_shows_each_share(org):
    _history(org)
    plan = cascade_plan(
        unit=org.region,
        month=JAN,
        metric="revenue",
        total=D(800000),
        methods=["share"],
        today=TODAY,
    )
    by_code = {n.code: n for n in plan.nodes}
    # November only: HZ 60,000 and NB 20,000 — December's 900,000 of NB is not counted
    assert (by_code["HZ"].value, by_code["NB"].value) == (D(600000), D(200000))
    assert by_code["HZ"].base_share == D("0.75")
    assert (by_code["R1"].value, by_code["R2"].value) == (D(300000), D(100000))
    assert by_code["HZ1"].value == D(400000) and by_code["HZ2"].value == D(200000)
    assert by_code["R4"].value == 0  # sold nothing in November
    assert plan.base_start == dt.date(2026, 11, 1)


def test_only_active_reps_on_the_months_first_day_get_a_target(org):
    # given: R4 moves to NB1 from 20 December, R5 leaves at the end of December, a new rep joins
    # HZ2 on the first of January, R3 is deactivated, and NB gets a team with no one in it
    membership_move(person=org.reps["R4"], effective=dt.date(2026, 12, 20), unit=org.team_c)
    Membership.objects.filter(person=org.reps["R5"]).update(valid_to=dt.date(2026, 12, 31))
    person("R6", org.team_b, Role.REP, start=JAN)
    person_deactivate(person=org.reps["R3"])
    unit_create(code="NB2", name="宁波二组", kind=UnitKind.TEAM, parent=org.other_branch)
    # when
    plan = cascade_plan(unit=org.region, month=JAN, metric="revenue", total=D(90000), today=TODAY)
    # then: the reps of 1 January, each in the team they are in then; the empty team is skipped
    people = {n.code: plan.by_key[n.parent].code for n in plan.people}
    assert people == {"R1": "HZ1", "R2": "HZ1", "R6": "HZ2", "R4": "NB1"}
    assert [u.code for u in plan.skipped] == ["NB2"]
    assert {n.code: n.value for n in plan.nodes if n.scope == "unit"} == {
        "ZJ": D(90000),
        "HZ": D(45000),
        "HZ1": D(22500),
        "HZ2": D(22500),
        "NB": D(45000),
        "NB1": D(45000),
    }


def test_bad_input_is_refused(org):
    with pytest.raises(TiejunError, match="round to"):
        cascade_plan(
            unit=org.region, month=JAN, metric="revenue", total=D(1), rounding=D(7), today=TODAY
        )
    with pytest.raises(TiejunError, match="negative"):
        cascade_plan(unit=org.region, month=JAN, metric="revenue", total=D(-1), today=TODAY)
    with pytest.raises(TiejunError, match="unknown split method"):
        cascade_plan(
            unit=org.region, month=JAN, metric="revenue", total=D(1), methods=["lucky"], today=TODAY
        )


# --- saving ------------------------------------------------------------------------------------


def test_saving_writes_every_target_once_with_its_trail(org):
    plan = cascade_plan(unit=org.region, month=JAN, metric="revenue", total=D(1000000), today=TODAY)
    saved = cascade_save(plan=plan, by=org.admin, today=TODAY)
    assert (saved.created, saved.updated, saved.unchanged) == (11, 0, 0)
    assert Target.objects.filter(month=JAN).count() == 11
    assert TargetChange.objects.filter(month=JAN, changed_by=org.admin).count() == 11
    assert (
        AuditEntry.objects.filter(action="cascade", object_id="2027-01:revenue:unit:ZJ").count()
        == 1
    )
    assert AuditEntry.objects.filter(object_type="target", action="create").count() == 11
    # the same plan again changes nothing
    again = cascade_plan(
        unit=org.region, month=JAN, metric="revenue", total=D(1000000), today=TODAY
    )
    assert not again.changed
    assert cascade_save(plan=again, by=org.admin, today=TODAY).unchanged == 11
    assert TargetChange.objects.filter(month=JAN).count() == 11


def test_a_cell_edited_by_hand_is_kept_when_the_rest_is_re_split(org):
    r1 = ("person", org.reps["R1"].pk)
    plan = cascade_plan(
        unit=org.branch,
        month=JAN,
        metric="revenue",
        total=D(400000),
        rounding=D(1000),
        pinned={r1: D(150000)},
        today=TODAY,
    )
    values = {n.code: n.value for n in plan.nodes}
    assert values["R1"] == D(150000) and values["R2"] == D(50000)
    assert values["HZ1"] == D(200000) and values["R3"] + values["R4"] == D(200000)
    assert [n.code for n in plan.nodes if n.pinned] == ["R1"]


def test_a_supervisor_may_not_recut_their_own_locked_team_a_manager_may_with_a_reason(org):
    # given: December's targets of team A, set before December locked
    dec = dt.date(2026, 12, 1)
    before = dt.date(2026, 11, 20)
    cascade_save(
        plan=cascade_plan(
            unit=org.team_a, month=dec, metric="revenue", total=D(100000), today=before
        ),
        by=org.manager,
        today=before,
    )
    cut = cascade_plan(unit=org.team_a, month=dec, metric="revenue", total=D(1000), today=TODAY)
    with pytest.raises(Forbidden):
        cascade_save(plan=cut, by=org.supervisor_a, reason="客户合同延期到下个月签约", today=TODAY)
    with pytest.raises(TiejunError, match="reason"):
        cascade_save(plan=cut, by=org.manager, today=TODAY)
    assert Target.objects.get(unit=org.team_a, month=dec).value == D(100000)
    cascade_save(plan=cut, by=org.manager, reason="客户合同延期到下个月签约", today=TODAY)
    assert Target.objects.get(unit=org.team_a, month=dec).value == D(1000)
    assert TargetChange.objects.filter(month=dec, locked=True).count() == 3


def test_a_supervisor_may_not_cut_the_locked_figure_of_their_team_by_setting_one(org):
    # given: December's reps' targets (the team's figure is their sum), set before the lock
    before = dt.date(2026, 11, 20)
    dec = dt.date(2026, 12, 1)
    for rep in ("R1", "R2"):
        target_set(month=dec, metric="revenue", person=org.reps[rep], value=D(50000), today=before)
    # when / then: a team target below the reps' 100,000 is a cut, made by the level above
    with pytest.raises(Forbidden):
        target_set(
            month=dec,
            metric="revenue",
            unit=org.team_a,
            value=D(1),
            by=org.supervisor_a,
            reason="客户合同延期到下个月签约",
            today=TODAY,
        )
    assert not Target.objects.filter(unit=org.team_a).exists()
    # setting the figure the reps already add up to is no cut
    target_set(
        month=dec,
        metric="revenue",
        unit=org.team_a,
        value=D(100000),
        by=org.supervisor_a,
        today=TODAY,
    )


def test_a_supervisor_may_not_cascade_outside_their_team(org):
    plan = cascade_plan(unit=org.branch, month=JAN, metric="revenue", total=D(1), today=TODAY)
    with pytest.raises(Forbidden):
        cascade_save(plan=plan, by=org.supervisor_a, today=TODAY)
    assert not Target.objects.exists()


# --- the command -------------------------------------------------------------------------------


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("targets", *args, stdout=out)
    return out.getvalue()


def test_the_command_cascades_and_lists_every_unit_and_person_written(org):
    _history(org)
    out = _run(
        "cascade",
        "ZJ",
        "--month",
        "2027-01",
        "--total",
        "1,234,567",
        "--method",
        "share",
        "--round",
        "1000",
        "--today",
        TODAY.isoformat(),
        "--json",
    )
    data = json.loads(out)
    assert data["written"] is True and data["dry_run"] is False
    assert data["base"] == {"from": "2026-11", "to": "2026-11"}
    codes = {t["code"] for t in data["targets"]}
    assert codes == {"ZJ", "HZ", "HZ1", "HZ2", "NB", "NB1", "R1", "R2", "R3", "R4", "R5"}
    assert (data["units"], data["people"]) == (6, 5)
    assert Target.objects.filter(month=JAN).count() == 11
    hz = next(t for t in data["targets"] if t["code"] == "HZ")
    assert hz["base_share"] == "0.7500" and hz["parent"] == "ZJ"
    total = sum(Decimal(t["value"]) for t in data["targets"] if t["parent"] == "ZJ")
    assert total == Decimal("1234567")


def test_a_dry_run_writes_nothing(org):
    out = _run(
        "cascade",
        "HZ",
        "--month",
        "2027-01",
        "--total",
        "80000",
        "--dry-run",
        "--today",
        TODAY.isoformat(),
    )
    assert "dry run" in out and "R1" in out
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cascade", "ZJ", "--month", "2027-13", "--total", "1"], "YYYY-MM"),
        (["cascade", "ZJ", "--month", "2027-01", "--total", "lots"], "--total must be a number"),
        (["cascade", "XX", "--month", "2027-01", "--total", "1"], "unknown unit"),
        (
            [
                "cascade",
                "ZJ",
                "--month",
                "2027-01",
                "--total",
                "1",
                "--method",
                "share",
                "--base",
                "2026-12",
            ],
            "not complete",
        ),
        (["cascade", "ZJ", "--month", "2027-01", "--total", "1", "--round", "7"], "round to"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(org, args, message):
    with pytest.raises(CommandError, match=message) as error:
        _run(*args, "--today", TODAY.isoformat())
    assert error.value.returncode == 2
    assert not Target.objects.exists()


# --- the API -----------------------------------------------------------------------------------


def _api(client, code, **body):
    return client.post(f"/api/v1/targets/{code}/cascade", body, content_type="application/json")


def test_the_api_previews_and_saves_a_cascade_with_cells_by_hand(org, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)
    client = client_for(org.manager)
    body = {"month": "2027-01", "total": "100000", "methods": ["even"], "by_hand": {"R1": "40000"}}
    preview = _api(client, "HZ", dry_run=True, **body)
    assert preview.status_code == 200, preview.content
    data = preview.json()
    assert (data["written"], data["people"], data["units"]) == (False, 4, 3)
    values = {t["code"]: t["value"] for t in data["targets"]}
    assert values == {
        "HZ": "100000.00",
        "HZ1": "50000.00",
        "R1": "40000.00",
        "R2": "10000.00",
        "HZ2": "50000.00",
        "R3": "25000.00",
        "R4": "25000.00",
    }
    assert not Target.objects.exists()
    saved = _api(client, "HZ", **body)
    assert saved.status_code == 200 and saved.json()["written"] is True
    assert Target.objects.filter(month=JAN).count() == 7


def test_the_api_refuses_foreign_units_and_unknown_cells(org, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)
    client = client_for(org.manager)
    assert _api(client, "NB", month="2027-01", total="1").status_code == 404
    assert _api(client_for(org.supervisor_a), "HZ", month="2027-01", total="1").status_code == 403
    bad = _api(client, "HZ", month="2027-01", total="1", by_hand={"R5": "1"})
    assert bad.status_code == 400 and "R5" in bad.json()["detail"]
    assert _api(client, "HZ", month="2027-01", total="1", base="2026-12").status_code == 400
    assert not Target.objects.exists()
