"""TV mode at any team size (issue 14, points 5, 6, 8): pages of rows that turn with the rotation,
target and left on every row, the kickoff and review panels, the company's time zone."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import client_for, deal, person
from tiejun.org.services import unit_create
from tiejun.scoreboard.views.tv import TV_ROWS_PER_PAGE, pages_of
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
TODAY = dt.date(2026, 6, 10)
NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NAMES = [
    "李晓东",
    "袁艳红",
    "潘亮亮",
    "丁思琪",
    "张超婷",
    "赵雅婷",
    "金雪梅",
    "孙静浩",
    "王鑫勇",
    "熊雪梅",
    "黎艳军",
    "邱锦程",
    "万晓明",
]


@pytest.fixture
def big_team(org, time_machine):
    time_machine.move_to(NOON)
    team = unit_create(
        code="HZ-BIG",
        name="杭州市西湖区文三路数字经济产业园直销一部",
        kind="team",
        parent=org.branch,
    )
    reps = []
    for i, name in enumerate(NAMES, start=1):
        rep = person(f"B{i:02d}", team, name=name)
        target_set(
            month=MONTH,
            metric="revenue",
            person=rep,
            value=Decimal(10000),
            today=dt.date(2026, 5, 1),
        )
        if i > 1:
            deal(rep, 1000 * i, TODAY, today=TODAY)
        reps.append(rep)
    return team, reps


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, [0]), (1, [1]), (8, [8]), (9, [5, 4]), (13, [7, 6]), (17, [6, 6, 5]), (40, [8] * 5)],
)
def test_pages_are_as_few_as_fit_and_balanced(count, sizes):
    pages = pages_of(count)
    assert [p.stop - p.start for p in pages] == sizes
    assert all(size <= TV_ROWS_PER_PAGE for size in sizes)
    assert pages[0].start == 0 and pages[-1].stop == count


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="pace-[a-z]+[^"]*" data-code="([^"]+)"', html)


def test_a_13_rep_team_turns_its_page_then_the_next_unit(org, big_team):
    team, reps = big_team
    client = client_for(org.manager)
    first = client.get(f"/tv/?units={team.code},HZ1&interval=9")
    html = first.content.decode()
    page1 = _rows(html)
    assert len(page1) == 7
    assert 'data-page="1" data-pages="2"' in html
    # the rotation shows page 2 of this team before the next unit
    assert (
        f'hx-get="/tv/panel/{team.code}/?units={team.code}%2CHZ1&amp;metric=revenue&amp;interval=9&amp;page=2"'
        in html
    )
    second = client.get(f"/tv/panel/{team.code}/?units={team.code},HZ1&interval=9&page=2")
    page2 = _rows(second.content.decode())
    assert len(page2) == 6
    assert sorted(page1 + page2) == sorted(r.employee_no for r in reps)
    assert second.context["panel"]["first_rank"] == 8
    assert 'hx-get="/tv/panel/HZ1/?units=HZ-BIG%2CHZ1&amp;metric=revenue&amp;interval=9"' in (
        second.content.decode()
    )
    # a page past the end shows the last one
    assert (
        _rows(client.get(f"/tv/panel/{team.code}/?units={team.code}&page=9").content.decode())
        == page2
    )


def test_every_row_shows_target_done_and_left(org, big_team):
    team, reps = big_team
    html = client_for(org.manager).get(f"/tv/panel/{team.code}/?units={team.code}").content.decode()
    row = re.search(rf'data-code="{reps[7].employee_no}">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = row.group(1)
    assert 'data-figure="target">¥10,000<' in cells
    assert 'data-figure="achieved">¥8,000<' in cells
    assert 'data-figure="left">¥2,000<' in cells
    # ahead and behind: each row's own pace (the leaders on page 1, the last on page 2)
    assert "pace pace-ahead" in html and "pace pace-behind" not in html
    page2 = client_for(org.manager).get(f"/tv/panel/{team.code}/?units={team.code}&page=2")
    assert "pace pace-behind" in page2.content.decode()


def test_the_page_query_count_does_not_grow_with_the_team(org, big_team, django_assert_num_queries):
    team, _reps = big_team
    client = client_for(org.manager)
    for url in (
        f"/tv/panel/{team.code}/?units={team.code}",
        f"/tv/panel/{team.code}/?units={team.code}&page=2",
    ):
        client.get(url)
        with django_assert_num_queries(9):
            assert client.get(url).status_code == 200


def test_the_clock_and_data_as_of_keep_the_company_time_zone(org, big_team, settings):
    team, _reps = big_team
    html = client_for(org.manager).get(f"/tv/?units={team.code}").content.decode()
    assert f'data-time-zone="{settings.TIME_ZONE}"' in html
    assert re.search(r"data as of 12:0\d:\d\d", html)  # noon in Shanghai, 04:00 in UTC
    settings.TIME_ZONE = "Europe/London"  # a company elsewhere: 05:00 there
    html = client_for(org.manager).get(f"/tv/?units={team.code}").content.decode()
    assert 'data-time-zone="Europe/London"' in html
    assert re.search(r"data as of 05:0\d:\d\d", html)


@pytest.mark.parametrize("panel", ["kickoff", "review"])
def test_the_kickoff_and_review_panels_page_the_same_way(org, big_team, panel):
    team, reps = big_team
    client = client_for(org.manager)
    response = client.get(f"/tv/panel/{team.code}/?units={team.code}&panel={panel}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-panel="{panel}"' in html
    codes = re.findall(r'<tr data-code="([^"]+)"', html)
    assert len(codes) == 7 and set(codes) <= {r.employee_no for r in reps}
    assert f"panel={panel}&amp;page=2" in html


def test_an_unknown_panel_is_not_found(org, big_team):
    team, _reps = big_team
    assert client_for(org.manager).get(f"/tv/panel/{team.code}/?panel=nope").status_code == 404


def test_a_screen_by_url_rotates_through_the_panels_it_names(org, big_team):
    team, _reps = big_team
    client = client_for(org.manager)
    html = client.get(f"/tv/?units={team.code},HZ1&panels=kickoff,board,clock").content.decode()
    # the board first (the panels' own order), unknown ones left out; page 2, then the kickoff
    assert 'data-panel="board"' in html
    last = client.get(
        f"/tv/panel/{team.code}/?units={team.code},HZ1&panels=board,kickoff&interval=30&page=2"
    ).content.decode()
    assert (
        f'hx-get="/tv/panel/{team.code}/?units={team.code}%2CHZ1&amp;metric=revenue&amp;interval=30'
        '&amp;panels=board%2Ckickoff&amp;panel=kickoff"'
    ) in last
