import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from tests.factories import kept_for_the_module
from tiejun.crm.models import Deal
from tiejun.demo.generator import demo_build, demo_fingerprint
from tiejun.org.models import Membership, Person, Role, Unit, UnitKind
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit
from tiejun.scoreboard.services import scoreboard_rebuild
from tiejun.targets.models import Target
from tiejun.workdays import add_months

TODAY = dt.date(2026, 6, 15)
CURRENT = dt.date(2026, 6, 1)
MONTHS = [add_months(CURRENT, -i) for i in range(5, -1, -1)]


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        out = io.StringIO()
        call_command("demo", reps=40, months=6, today="2026-06-15", stdout=out)
        yield out.getvalue()


@pytest.fixture
def demo(_demo_data, db):
    return _demo_data


def _facts():
    return sorted(
        Fact.objects.values_list("day", "metric", "unit_id", "person_id", "value"),
        key=lambda r: (r[0], r[1], r[2], r[3] or 0),
    )


def test_demo_prints_the_login(demo):
    assert "admin / tiejun-demo" in demo
    assert "ZJ-HZ-0101" in demo
    admin = Person.objects.get(employee_no="admin")
    assert admin.check_password("tiejun-demo")
    assert Person.objects.get(employee_no="ZJ-HZ-0101").check_password("tiejun-demo")
    assert admin.is_superuser


def test_org_tree_has_zhejiang_branches_and_another_region(demo):
    names = set(Unit.objects.values_list("name", flat=True))
    assert {"铁军科技", "浙江大区", "江苏大区"} <= names
    zj_branches = set(
        Unit.objects.filter(kind=UnitKind.BRANCH, parent__code="ZJ").values_list("name", flat=True)
    )
    assert {"杭州分公司", "宁波分公司", "义乌分公司", "温州分公司"} <= zj_branches
    roles = Counter(Membership.objects.on(TODAY).values_list("role", flat=True))
    assert roles[Role.ADMIN] == 1
    assert roles[Role.COORDINATOR] >= 1
    assert roles[Role.MANAGER] >= Unit.objects.filter(kind=UnitKind.BRANCH).count()


def test_every_team_has_6_to_10_reps_and_a_supervisor_today(demo):
    reps = Counter(
        Membership.objects.on(TODAY).filter(role=Role.REP).values_list("unit__code", flat=True)
    )
    supervisors = Counter(
        Membership.objects.on(TODAY)
        .filter(role=Role.SUPERVISOR)
        .values_list("unit__code", flat=True)
    )
    teams = list(Unit.objects.filter(kind=UnitKind.TEAM).values_list("code", flat=True))
    assert len(teams) >= 5
    for team in teams:
        assert 6 <= reps[team] <= 10, team
        assert supervisors[team] == 1, team


def test_history_has_mid_month_transfers_and_a_promotion(demo):
    moves = Membership.objects.exclude(valid_to=None).order_by("person_id", "valid_from")
    assert moves.exists()
    transfers = promotions = 0
    for closed in moves:
        following = Membership.objects.get(
            person=closed.person,
            valid_from__gt=closed.valid_from,
            valid_from__lte=closed.valid_to + dt.timedelta(days=1),
        )
        # the next membership opens the day after the previous one closes
        assert following.valid_from == closed.valid_to + dt.timedelta(days=1)
        assert 8 <= following.valid_from.day <= 22  # the middle of a month
        if closed.role == Role.REP and following.role == Role.SUPERVISOR:
            promotions += 1
        elif closed.role == following.role == Role.REP and closed.unit_id != following.unit_id:
            transfers += 1
    assert promotions >= 1
    assert transfers >= 1
    # nobody has two memberships on any day
    assert not (
        Membership.objects.on(TODAY).values("person").annotate(n=Count("id")).filter(n__gt=1)
    )


def test_deals_every_month_with_repeat_customers_and_channels(demo):
    per_month = Counter((d.year, d.month) for d in Deal.objects.values_list("won_date", flat=True))
    for month in MONTHS:
        assert per_month[(month.year, month.month)] > 20, month
    assert Deal.objects.filter(won_date__gt=TODAY).count() == 0
    channels = Counter(Deal.objects.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "visit"
    assert len(channels) >= 3
    deals = Deal.objects.count()
    customers = Deal.objects.values("customer").distinct().count()
    assert customers < deals  # repeat customers: new customers differ from deal count
    # deals sit on the team of the rep on the won day
    for d in Deal.objects.select_related("person")[:200]:
        membership = Membership.objects.on(d.won_date).get(person=d.person)
        assert membership.unit_id == d.unit_id
    names = list(Deal.objects.values_list("customer__name", flat=True)[:500])
    assert any(n.startswith(("义乌市", "永康市", "宁波", "杭州", "温州")) for n in names)


def test_reps_spread_around_their_targets(demo):
    month = add_months(CURRENT, -1)
    board_rows = []
    for team in Unit.objects.filter(kind=UnitKind.TEAM):
        board = board_for_unit(team, month=month, as_of=dt.date(2026, 5, 31))
        board_rows += [r for r in board.rows if r.completion is not None]
    completions = [r.completion for r in board_rows]
    assert len(completions) >= 30
    assert any(c > 1.0 for c in completions)
    assert any(c < 0.6 for c in completions)
    company = board_for_unit(Unit.objects.get(code="TJ"), month=month, as_of=dt.date(2026, 5, 31))
    assert 0.6 < company.completion < 1.4


def test_targets_cascade_every_month_including_next(demo):
    for month in [*MONTHS, add_months(CURRENT, 1)]:
        for metric in ("revenue", "new_customers"):
            targets = Target.objects.filter(month=month, metric=metric)
            assert targets.filter(unit__code="TJ").exists(), (month, metric)
            assert targets.filter(person__isnull=False).count() >= 30
    # children commit to at least the unit's target (层层绑定) in most units, with a gap somewhere
    gaps = ok = 0
    for month in (CURRENT, add_months(CURRENT, 1)):
        own = dict(
            Target.objects.filter(month=month, metric="revenue", unit__isnull=False).values_list(
                "unit_id", "value"
            )
        )
        sums: dict[int, Decimal] = defaultdict(Decimal)
        for unit in Unit.objects.exclude(kind=UnitKind.TEAM):
            sums[unit.pk] = sum(
                (own.get(c.pk, Decimal(0)) for c in unit.children.all()), Decimal(0)
            )
        day = month if month <= CURRENT else TODAY
        for team_id, total in (
            Target.objects.filter(month=month, metric="revenue", person__isnull=False)
            .filter(person__memberships__in=Membership.objects.on(day).filter(role=Role.REP))
            .values_list("person__memberships__unit_id")
            .annotate(total=Sum("value"))
        ):
            sums[team_id] = total
        for unit_id, value in own.items():
            if sums[unit_id] >= value:
                ok += 1
            else:
                gaps += 1
    assert gaps >= 1
    assert ok > 10 * gaps


def test_facts_equal_a_rebuild(demo):
    before = _facts()
    assert before
    scoreboard_rebuild()
    assert _facts() == before
    new_customers = Fact.objects.filter(metric="new_customers").aggregate(v=Sum("value"))["v"]
    assert new_customers == Deal.objects.values("customer").distinct().count()


def test_if_empty_does_nothing_the_second_time(demo):
    before = demo_fingerprint()
    out = io.StringIO()
    call_command("demo", if_empty=True, today="2026-06-15", stdout=out)
    assert "not loaded" in out.getvalue()
    assert demo_fingerprint() == before


@pytest.mark.django_db(
    transaction=True
)  # flush truncates: it cannot run inside a test's transaction
def test_the_same_seed_gives_the_same_company():
    demo_build(reps=24, months=3, seed=7, today=TODAY)
    first = demo_fingerprint()
    deals = Deal.objects.count()
    call_command("flush", interactive=False, verbosity=0)
    demo_build(reps=24, months=3, seed=7, today=TODAY)
    assert demo_fingerprint() == first
    assert Deal.objects.count() == deals
    call_command("flush", interactive=False, verbosity=0)
    demo_build(reps=24, months=3, seed=8, today=TODAY)
    assert demo_fingerprint() != first
