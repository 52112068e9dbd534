"""``tiejun import``: in-process through call_command, and as the installed command."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.migrated import migrate
from tiejun.org.models import Unit

from .conftest import DEALS, PEOPLE, TARGETS, UNITS, counts, csv_bytes, xlsx_bytes

TIEJUN = Path(sys.executable).with_name("tiejun")


def test_call_command_prints_one_json_object(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_bytes(UNITS, "gb18030"))
    call_command("import", "units", str(path))
    assert json.loads(capsys.readouterr().out) == {
        "kind": "units",
        "created": 5,
        "updated": 0,
        "unchanged": 0,
    }
    assert Unit.objects.count() == 5


def test_call_command_dry_run(db, tmp_path, capsys):
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx_bytes(UNITS))
    call_command("import", "units", str(path), "--dry-run")
    assert json.loads(capsys.readouterr().out) == {
        "kind": "units", "created": 5, "updated": 0, "unchanged": 0, "dry_run": True,
    }  # fmt: skip
    assert not Unit.objects.exists()


def test_call_command_bad_rows_go_to_stderr(company, tmp_path, capsys):
    before = counts()
    path = tmp_path / "deals.csv"
    rows = [DEALS[0], DEALS[1], ["D2", "E1", "C2", "", "-1", "2026-06-03", ""]]
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError) as caught:
        call_command("import", "deals", str(path))
    assert caught.value.returncode == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["row 3: amount: the amount must be greater than zero"]
    assert counts() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["widgets", "x.csv"], "unknown import kind widgets"),
        (["deals", "/nonexistent/deals.csv"], "cannot read /nonexistent/deals.csv"),
    ],
)
def test_call_command_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("import", *args)
    assert caught.value.returncode == 2


# --- the installed command, against its own SQLite database ------------------------------------


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    home = tmp_path_factory.mktemp("tiejun-cli")
    env = {
        **os.environ,
        "TIEJUN_HOME": str(home),
        "TIEJUN_DATABASE_URL": f"sqlite:///{home}/cli.sqlite3",
        "TIEJUN_LANGUAGE": "en",
    }
    migrate(env, timeout=300)

    def run(*args, **files):
        for name, data in files.items():
            (home / name).write_bytes(data)
        return subprocess.run(
            [str(TIEJUN), *args], env=env, cwd=home, capture_output=True, text=True, timeout=120
        )

    run.db = home / "cli.sqlite3"
    return run


def table_counts(db):
    with sqlite3.connect(db) as conn:
        return {
            t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("org_unit", "org_person", "targets_target", "crm_deal", "scoreboard_fact")
        }


@pytest.mark.own_database
@pytest.mark.own_database
def test_cli_imports_every_kind_and_refuses_bad_files(cli):
    # units, people, targets and deals go in, each printing one JSON object
    for kind, rows in [
        ("units", UNITS),
        ("people", PEOPLE),
        ("targets", TARGETS),
        ("deals", DEALS),
    ]:
        done = cli("import", kind, f"{kind}.csv", **{f"{kind}.csv": csv_bytes(rows, "gb18030")})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {
            "kind": kind,
            "created": len(rows) - 1,
            "updated": 0,
            "unchanged": 0,
        }
    before = table_counts(cli.db)
    assert before["crm_deal"] == 4 and before["scoreboard_fact"] > 0

    # a bad file: every bad row on stderr, exit 2, nothing written
    bad = [DEALS[0], DEALS[1], ["D9", "NOBODY", "C9", "", "1", "2026-06-03", ""],
           ["D8", "E1", "C8", "", "-1", "2099-01-01", ""]]  # fmt: skip
    refused = cli("import", "deals", "bad.csv", **{"bad.csv": csv_bytes(bad)})
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines()[:2] == [
        "row 3: employee_no: unknown employee NOBODY",
        "row 4: amount: the amount must be greater than zero",
    ]
    assert "Traceback" not in refused.stderr
    assert table_counts(cli.db) == before

    # June is locked by now: a change needs --reason
    change = csv_bytes([TARGETS[0], ["2026-06", "unit", "T1", "revenue", "22000"]])
    locked = cli("import", "targets", "change.csv", **{"change.csv": change})
    assert locked.returncode == 2
    assert locked.stderr.splitlines()[0] == (
        "row 2: value: targets for 2026-06 are locked; a change needs a reason"
    )
    reasoned = cli("import", "targets", "change.csv", "--reason", "大客户提前签约追加目标")
    assert reasoned.returncode == 0, reasoned.stderr
    assert json.loads(reasoned.stdout) == {
        "kind": "targets",
        "created": 0,
        "updated": 1,
        "unchanged": 0,
    }

    # a dry run reports and writes nothing; a deal imported again is updated
    redo = csv_bytes([DEALS[0], ["D1", "E1", "C1", "客户一", "6100", "2026-06-03", ""]])
    dry = cli("import", "deals", "redo.csv", "--dry-run", **{"redo.csv": redo})
    assert json.loads(dry.stdout) == {
        "kind": "deals",
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "dry_run": True,
    }
    again = cli("import", "deals", "redo.csv")
    assert json.loads(again.stdout) == {"kind": "deals", "created": 0, "updated": 1, "unchanged": 0}

    board = cli("board", "T1", "--month", "2026-06", "--as-of", "2026-06-30", "--json")
    assert board.returncode == 0, board.stderr
    data = json.loads(board.stdout)
    assert (data["target"], data["achieved"]) == ("22000.00", "9100.50")


@pytest.mark.own_database
@pytest.mark.own_database
def test_cli_clear_errors_without_traceback(cli):
    # the units (again, if the test above ran first on this database: unchanged then), so that
    # the board's bad date is refused for the date, not for an unknown unit
    units = cli("import", "units", "units.csv", **{"units.csv": csv_bytes(UNITS, "gb18030")})
    assert units.returncode == 0, units.stderr
    for args, message in [
        (["import", "deals", "missing.csv"], "cannot read missing.csv"),
        (["import", "widgets", "missing.csv"], "unknown import kind widgets"),
        (["import", "units", "latin.csv"], "row 2: file: the file is not text in UTF-8 or GB18030"),
        (["board", "NOPE"], "unknown unit 'NOPE'"),
        (["board", "CO", "--as-of", "2026-02-30"], "as_of must be a date YYYY-MM-DD"),
    ]:
        done = cli(
            *args,
            **{"latin.csv": "code,name,kind,parent_code\nX,Société,company,\n".encode("latin-1")},
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr
        assert "Traceback" not in done.stderr


# --- --json and the progress bar --------------------------------------------------------------


def test_json_prints_the_summary_on_success_and_the_problems_on_failure(company, tmp_path, capsys):
    path = tmp_path / "deals.csv"
    path.write_bytes(csv_bytes([DEALS[0], DEALS[2]]))
    call_command("import", "deals", str(path), "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "kind": "deals", "created": 1, "updated": 0, "unchanged": 0, "dry_run": True,
    }  # fmt: skip

    before = counts()
    path.write_bytes(
        csv_bytes([DEALS[0], DEALS[2], ["D9", "E1", "C9", "", "-1", "2026-06-03", "visit"]])
    )
    with pytest.raises(CommandError) as caught:
        call_command("import", "deals", str(path), "--json")
    assert caught.value.returncode == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["kind"] == "deals" and data["ok"] is False
    assert {(e["row"], e["column"]) for e in data["errors"]} == {(3, "amount")}
    # the same problems, one line each, on stderr
    assert captured.err.splitlines() == [
        f"row {e['row']}: {e['column']}: {e['problem']}" for e in data["errors"]
    ]
    assert counts() == before


@pytest.mark.parametrize(
    ("args", "column"),
    [(["widgets", "x.csv"], "kind"), (["deals", "/nonexistent/deals.csv"], "file")],
)
def test_json_reports_a_refused_command_too(db, capsys, args, column):
    with pytest.raises(CommandError) as caught:
        call_command("import", *args, "--json")
    assert caught.value.returncode == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["kind"] == args[0]
    assert [e["column"] for e in data["errors"]] == [column]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_goes_to_a_terminal_only(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_bytes(UNITS))
    terminal = Terminal()
    call_command("import", "units", str(path), "--dry-run", stderr=terminal)
    drawn = terminal.getvalue()
    assert "\x1b[" in drawn  # drawn, then cleared (the bar is transient)
    assert "5/5" in drawn
    assert json.loads(capsys.readouterr().out)["created"] == 5
    # not a terminal: nothing but the problems, if any
    piped = io.StringIO()
    call_command("import", "units", str(path), "--dry-run", stderr=piped)
    assert piped.getvalue() == ""
