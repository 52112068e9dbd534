"""The newer features alive in the demo: branch offices, a wall screen per region, and this
month's target sign-off confirmed by most (tiejun.demo.alive)."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command

from tests.factories import client_for, kept_for_the_module
from tiejun.demo.alive import CONFIRMED_SHARE
from tiejun.demo.field import CITY_CENTRES
from tiejun.org.models import Person, Unit, UnitKind
from tiejun.scoreboard.models import SavedScreen
from tiejun.targets.models import TargetConfirmation
from tiejun.targets.signoff import signoff_for_unit
from tiejun.transfers.models import Office

CURRENT = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        out = io.StringIO()
        call_command("demo", reps=40, months=2, history_years=0, today="2026-06-15", stdout=out)
        yield out.getvalue()


@pytest.fixture
def demo(_demo_data, db):
    return _demo_data


def test_every_branch_has_an_office_near_its_city(demo):
    branches = Unit.objects.filter(kind=UnitKind.BRANCH)
    offices = {o.unit_id: o for o in Office.objects.all()}
    assert len(offices) == Office.objects.count() == branches.count() >= 2
    for branch in branches:
        office = offices[branch.pk]
        lat, lon = CITY_CENTRES[branch.code.split("-")[-1]]
        assert abs(float(office.lat) - lat) < 0.02 and abs(float(office.lon) - lon) < 0.02
        assert office.name == branch.name and office.address and office.radius_m > 0


def test_a_wall_screen_per_region_whose_code_the_demo_prints(demo):
    regions = Unit.objects.filter(kind=UnitKind.REGION)
    screens = list(SavedScreen.objects.prefetch_related("slots__unit"))
    assert len(screens) == regions.count() >= 2
    for screen in screens:
        assert f"/tv/s/{screen.code}/" in demo
        units = [slot.unit for slot in screen.slots.all()]
        assert units and all(u.kind == UnitKind.BRANCH for u in units)
        assert len({u.parent_id for u in units}) == 1
        assert screen.created_by.employee_no == f"{units[0].parent.code}-0000"
        assert screen.panels == ["board", "kickoff"]
    zhejiang = next(s for s in screens if s.slots.all()[0].unit.parent.code == "ZJ")
    assert zhejiang.slots.all()[0].unit.name == "杭州分公司"  # Hangzhou's board first


def test_the_regions_manager_opens_the_screen_on_the_tv(demo, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC))
    screen = SavedScreen.objects.get(name="浙江大区大屏")
    client = client_for(Person.objects.get(employee_no="ZJ-0000"))
    # when
    page = client.get(f"/tv/s/{screen.code}/")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-panel="board"' in html and "杭州分公司" in html


def test_most_people_confirmed_this_months_targets_and_a_few_have_not(demo):
    company = Unit.objects.get(kind=UnitKind.COMPANY)
    signoff = signoff_for_unit(company, CURRENT)
    owing = len(signoff.rows)
    # every confirmation matches the targets as they stand (none asks again)
    assert signoff.confirmed_count == TargetConfirmation.objects.filter(month=CURRENT).count()
    assert signoff.confirmed_count == round(owing * CONFIRMED_SHARE)
    assert 0 < len(signoff.pending) < owing / 3
    assert TargetConfirmation.objects.exclude(month=CURRENT).count() == 0
    assert all(r.confirmed_at.date() <= dt.date(2026, 6, 15) for r in signoff.rows if r.confirmed)
    found = re.search(r"(\d+) of (\d+) people have confirmed", demo)
    assert found and (int(found[1]), int(found[2])) == (signoff.confirmed_count, owing)


def test_the_same_seed_gives_the_same_screen_codes(db):
    from tiejun.demo.alive import plan_screens
    from tiejun.demo.generator import UnitPlan

    units = [
        UnitPlan("ZJ", "浙江大区", UnitKind.REGION, "TJ", 0),
        UnitPlan("ZJ-HZ", "杭州分公司", UnitKind.BRANCH, "ZJ", 0),
    ]
    first = plan_screens(units, seed=7)
    assert first == plan_screens(units, seed=7)
    assert [s.units for s in first] == [["ZJ-HZ"]]
    assert re.fullmatch(r"[A-Z2-9]{4}", first[0].code)
