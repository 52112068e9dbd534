"""``tiejun board`` and ``tiejun scoreboard rebuild``."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.factories import deal
from tiejun.scoreboard.models import Fact
from tiejun.targets.services import target_set

MONTH = dt.date(2026, 6, 1)
EARLY = dt.date(2026, 5, 1)


@pytest.fixture
def june(org):
    target_set(month=MONTH, metric="revenue", unit=org.branch, value=Decimal(50000), today=EARLY)
    target_set(month=MONTH, metric="revenue", unit=org.team_a, value=Decimal(30000), today=EARLY)
    target_set(
        month=MONTH, metric="revenue", person=org.reps["R1"], value=Decimal(10000), today=EARLY
    )
    deal(org.reps["R1"], "6000.50", dt.date(2026, 6, 3))
    deal(org.reps["R2"], 2500, dt.date(2026, 6, 10))
    deal(org.reps["R3"], 700, dt.date(2026, 6, 10))
    return org


def board_json(capsys, *args):
    call_command("board", *args)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("code", ["HQ", "ZJ", "HZ", "HZ1"])
@pytest.mark.parametrize("metric", ["revenue", "new_customers"])
def test_board_json_is_the_api_json(june, client, capsys, code, metric):
    # given
    client.force_login(june.admin)
    query = {"month": "2026-06", "as_of": "2026-06-10", "metric": metric}
    # when
    api = client.get(f"/api/v1/board/{code}", query)
    cli = board_json(
        capsys, code, "--month", "2026-06", "--as-of", "2026-06-10", "--metric", metric, "--json"
    )
    # then
    assert api.status_code == 200
    assert cli == api.json()
    assert cli["unit"]["code"] == code


def test_board_defaults_match_the_api_defaults(june, client, capsys):
    client.force_login(june.admin)
    assert board_json(capsys, "HZ", "--json") == client.get("/api/v1/board/HZ").json()


def test_board_table_is_readable(june, capsys):
    call_command("board", "HZ1", "--month", "2026-06", "--as-of", "2026-06-10")
    out = capsys.readouterr().out
    assert "杭州一组 (HZ1)" in out
    assert "30000.00" in out
    header = next(line for line in out.splitlines() if line.lstrip().startswith("Rank"))
    rows = out.splitlines()[out.splitlines().index(header) + 1 :]
    assert [r.split()[1] for r in rows] == ["R1", "R2"]  # a team's rows are its reps

    def end_of(line, text):  # display columns up to the end of text; CJK counts two
        prefix = line[: line.index(text) + len(text)]
        return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in prefix)

    # Chinese names are two columns wide, and the figures still line up under their heading
    assert end_of(rows[0], "6000.50") == end_of(rows[1], "2500.00") == end_of(header, "Achieved")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "unknown unit 'NOPE'"),
        (["HZ", "--month", "2026-13"], "month must be YYYY-MM"),
        (["HZ", "--as-of", "yesterday"], "as_of must be a date YYYY-MM-DD"),
        (["HZ", "--metric", "profit"], "unknown metric profit"),
    ],
)
def test_board_bad_input_exits_2(org, args, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("board", *args, "--json")
    assert caught.value.returncode == 2


def test_scoreboard_rebuild_restores_lost_facts(june, capsys, client):
    client.force_login(june.admin)
    before = client.get("/api/v1/board/HQ", {"month": "2026-06", "as_of": "2026-06-10"}).json()
    facts = Fact.objects.count()
    Fact.objects.all().delete()
    call_command("scoreboard", "rebuild")
    assert f"rebuilt {facts} facts from deals" in capsys.readouterr().out
    assert Fact.objects.count() == facts
    assert (
        client.get("/api/v1/board/HQ", {"month": "2026-06", "as_of": "2026-06-10"}).json() == before
    )
