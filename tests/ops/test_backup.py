"""``tiejun backup`` / ``tiejun restore`` on SQLite and PostgreSQL, while gunicorn serves the app and
clients keep checking in, recording deals and reading the board."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import tarfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from tests.ops.conftest import (
    KEY_TABLES,
    busy,
    checksum,
    consistency,
    counts,
    figures,
    migrate_and_seed,
    pg_available,
    pg_create,
    pg_drop,
    pg_url,
    query,
    scratch_env,
    served,
    tiejun,
    visit_body,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[Callable[[str], str]]:
    """A factory of empty scratch databases of one engine: ``make("live")`` → its URL."""
    made: list[str] = []
    if request.param == "postgresql" and not pg_available():
        pytest.skip("pg_dump / pg_restore are not installed")
    prefix = f"tiejun_h3_{uuid.uuid4().hex[:10]}"

    def make(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite3"
        pg_create(f"{prefix}_{name}")
        made.append(f"{prefix}_{name}")
        return pg_url(f"{prefix}_{name}")

    yield make
    for name in made:
        pg_drop(name)


def payload_of(backup: Path, folder: Path) -> Path:
    """The database copy inside a signed backup, extracted to ``folder``."""
    with tarfile.open(backup) as archive:
        name = next(n for n in archive.getnames() if n.startswith("database."))
        archive.extract(name, folder, filter="data")
    return folder / name


def repack(backup: Path, payload: Path, target: Path) -> None:
    """``backup``'s manifest and signature around another database copy (a tampered one)."""
    with tarfile.open(backup) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            if member.name.startswith("database."):
                new.add(payload, arcname=member.name)
            else:
                content = old.extractfile(member)
                assert content is not None, member.name
                new.addfile(member, io.BytesIO(content.read()))


def _visit_ids(url: str) -> set[str]:
    return {str(uuid.UUID(str(row[0]))) for row in query(url, "SELECT id FROM field_visit")}


def _wait(predicate: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_backup_while_serving_then_restore_round_trip(database, tmp_path):
    # given the app serving a company, and clients writing to it all the time
    live = database("live")
    env = scratch_env(tmp_path, live)
    seed = migrate_and_seed(env)
    backup = tmp_path / "nightly.backup"
    engine = "sqlite" if live.startswith("sqlite") else "postgresql"
    with served(env, workers=2) as base:
        with busy(base, seed, clients=3) as traffic:
            _wait(lambda: len(traffic.acked_visits) >= 30)
            # when a backup is taken in the middle of it
            started = time.monotonic()
            done = tiejun(env, "backup", str(backup), "--json")
            finished = time.monotonic()
            acked_at_end = len(traffic.acked_visits)
            _wait(lambda: len(traffic.acked_visits) >= acked_at_end + 20)
        summary = json.loads(done.stdout)
        figures(
            f"backup-{engine}",
            acked_visits_before_backup=len(traffic.acked_before(started)[0]),
            visits_in_backup=summary["tables"]["field_visit"],
            acked_visits_after_backup=len(traffic.acked_before(finished)[0]),
            deals_in_backup=summary["tables"]["crm_deal"],
            rows=summary["rows"],
            bytes=summary["bytes"],
            backup_seconds=round(finished - started, 2),
            requests_retried=traffic.retried,
        )
        assert summary["engine"] == engine
        assert summary["bytes"] == backup.stat().st_size > 0
        assert not list(tmp_path.glob(".nightly.backup.*"))  # no temporary file left behind
        # then it holds every write acknowledged before it started, none acknowledged after
        visits_before, deals_before = traffic.acked_before(started)
        visits_after, deals_after = traffic.acked_before(finished)
        assert len(visits_before) <= summary["tables"]["field_visit"] <= len(visits_after)
        assert len(deals_before) <= summary["tables"]["crm_deal"] <= len(deals_after)

        # and restored into a fresh database it has exactly the rows it counted, consistent
        fresh = database("fresh")
        (tmp_path / "fresh").mkdir()
        fresh_env = scratch_env(tmp_path / "fresh", fresh)
        restored = tiejun(fresh_env, "restore", str(backup), "--yes")
        assert "Restored" in restored.stdout
        assert counts(fresh, list(summary["tables"])) == summary["tables"]
        facts = consistency(fresh)
        assert facts["visits"] == facts["visit_facts"] == summary["tables"]["field_visit"]
        assert facts["revenue"] == facts["revenue_facts"]
        assert (
            visits_before
            <= _visit_ids(fresh)
            <= visits_after | {v for _, v in traffic.acked_visits}
        )
        if engine == "sqlite":  # the copy inside can be read: the same rows, byte for byte
            file_url = f"sqlite:///{payload_of(backup, tmp_path / 'unpacked')}"
            for table in KEY_TABLES:
                assert checksum(fresh, table) == checksum(file_url, table), table

        # when a deal is recorded after the backup and the backup is restored into the live
        # database while it serves (SQLite: with clients still writing)
        admin = httpx.Client(headers={"Authorization": f"Bearer {seed['R1']['token']}"})
        late = {
            "deal_no": "AFTER-BACKUP-1",
            "employee_no": "R1",
            "customer_code": seed["R1"]["customers"][0],
            "amount": "123.00",
            "won_date": time.strftime("%Y-%m-%d"),
        }
        assert admin.post(f"{base}/api/v1/deals", json=late).status_code == 201
        if engine == "sqlite":
            with busy(base, seed, clients=2) as traffic2:
                _wait(lambda: len(traffic2.acked_visits) >= 5)
                restored = tiejun(env, "restore", str(backup), "--yes")
                settle = len(traffic2.acked_visits)
                _wait(lambda: len(traffic2.acked_visits) >= settle + 5)
            assert query(live, "PRAGMA integrity_check") == [("ok",)]
        else:
            restored = tiejun(env, "restore", str(backup), "--yes")
        # then the late deal is gone, the app keeps serving, and writes go on
        assert admin.get(f"{base}/api/v1/deals/AFTER-BACKUP-1").status_code == 404
        assert admin.get(f"{base}/api/v1/board/HZ1").status_code == 200
        again = admin.post(f"{base}/api/v1/visits", json=visit_body(seed["R1"]["customers"][1]))
        assert again.status_code == 201, again.text
        admin.close()
    log = served.last_log  # type: ignore[attr-defined]
    faults = Counter(
        line.split("database fault: ", 1)[1][:80]
        for line in log.splitlines()
        if "database fault: " in line
    )
    figures(f"backup-{engine}-answers", answers=dict(traffic.statuses), faults=dict(faults))
    facts = consistency(live)
    assert facts["visits"] == facts["visit_facts"]
    assert facts["revenue"] == facts["revenue_facts"]
    if engine == "postgresql":  # nothing else wrote: the live rows are the backup's plus one visit
        assert counts(live, ["crm_deal"]) == {"crm_deal": summary["tables"]["crm_deal"]}
        assert counts(live, ["field_visit"]) == {
            "field_visit": summary["tables"]["field_visit"] + 1
        }
        for table in ("crm_deal", "audit_auditentry"):
            assert checksum(live, table) == checksum(fresh, table), table


# --- refusals and clear errors ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_home(tmp_path_factory) -> tuple[dict[str, str], Path]:
    home = tmp_path_factory.mktemp("tj-ops-sqlite")
    env = scratch_env(home, f"sqlite:///{home / 'db.sqlite3'}")
    migrate_and_seed(env)
    backup = home / "good.backup"
    tiejun(env, "backup", str(backup))
    return env, backup


def _error_line(done) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_backup_prints_what_it_wrote(sqlite_home):
    env, _ = sqlite_home
    target = Path(env["TIEJUN_HOME"]) / "printed.backup"
    done = tiejun(env, "backup", str(target))
    assert f"Wrote {target} (" in done.stdout
    assert "org_person: 8" in done.stdout  # the seeded company's people


def test_backup_to_an_unwritable_place_is_a_clear_error(sqlite_home):
    env, _ = sqlite_home
    home = Path(env["TIEJUN_HOME"])
    for target, reason in [
        (home / "missing" / "x.backup", "does not exist"),
        (home, "it is a folder"),
        (home / "db.sqlite3" / "x.backup", "does not exist"),
    ]:
        done = tiejun(env, "backup", str(target), check=False)
        assert done.returncode == 2, done.stderr
        assert reason in _error_line(done)


def test_backup_without_pg_dump_is_a_clear_error(tmp_path):
    # The tool is looked for before anything connects: no database is needed to see this.
    env = scratch_env(tmp_path, pg_url("tiejun_h3_never_created"), PATH=str(tmp_path))
    done = tiejun(env, "backup", str(tmp_path / "x.backup"), check=False)
    assert done.returncode == 2
    assert "pg_dump is not installed" in _error_line(done)
    assert not list(tmp_path.glob("*.backup*"))


def test_restore_refuses_what_is_not_a_backup_of_this_engine(sqlite_home, tmp_path):
    env, _backup = sqlite_home
    db = Path(env["TIEJUN_HOME"]) / "db.sqlite3"
    before = query(f"sqlite:///{db}", "SELECT count(*) FROM org_person")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    pg_like = tmp_path / "pg.backup"
    pg_like.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    other_sqlite = tmp_path / "other.sqlite3"
    sqlite3.connect(other_sqlite).execute("CREATE TABLE t (x)").connection.close()
    for wrong in (text, pg_like, other_sqlite):
        done = tiejun(env, "restore", str(wrong), "--yes", check=False)
        assert done.returncode == 2
        line = _error_line(done)
        assert "is not a Tiejun backup for this database (sqlite)" in line
        assert "Nothing was changed" in line
    missing = tiejun(env, "restore", str(tmp_path / "nope.backup"), "--yes", check=False)
    assert missing.returncode == 2 and "There is no file" in _error_line(missing)
    assert query(f"sqlite:///{db}", "SELECT count(*) FROM org_person") == before


def test_restore_without_yes_and_no_terminal_refuses(sqlite_home):
    env, backup = sqlite_home
    done = tiejun(env, "restore", str(backup), check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "confirm with --yes" in _error_line(done)


def test_a_backup_from_an_older_schema_says_to_migrate(sqlite_home, tmp_path):
    env, backup = sqlite_home
    old = payload_of(backup, tmp_path)  # an unsigned copy, as an older Tiejun wrote them
    with sqlite3.connect(old) as conn:  # as if the last migration of field had not run yet
        conn.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'field')"
        )
    conn.close()
    target_env = {**env, "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
    done = tiejun(target_env, "restore", str(old), "--yes", "--trust-unsigned")
    assert "1 migrations are not applied. Run `tiejun migrate`" in done.stdout
    assert "restored WITHOUT verifying" in done.stderr


def test_a_sqlite_backup_is_refused_by_postgresql(sqlite_home, tmp_path):
    if not pg_available():
        pytest.skip("pg_dump / pg_restore are not installed")
    _, backup = sqlite_home
    env = scratch_env(tmp_path, pg_url("tiejun_h3_never_created"))
    done = tiejun(env, "restore", str(backup), "--yes", check=False)
    assert done.returncode == 2
    assert "is not a Tiejun backup for this database (postgresql)" in _error_line(done)


# --- signed backups: tampered, re-dumped or foreign files are refused -----------------------------


def _refused(done, *words: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    line = _error_line(done)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one clear line
    for word in words:
        assert word in line, line
    return line


def test_a_tampered_sqlite_backup_is_refused(sqlite_home, tmp_path):
    env, backup = sqlite_home
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    target_env = {**env, "TIEJUN_DATABASE_URL": target}
    # given: the copy inside a good backup with amounts cut and a trigger added, repacked with
    # the original manifest and signature
    copy = payload_of(backup, tmp_path / "unpacked")
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE crm_deal SET amount = amount / 10")
        conn.execute(
            "CREATE TRIGGER cut_amounts AFTER INSERT ON crm_deal "
            "BEGIN UPDATE crm_deal SET amount = 1 WHERE id = NEW.id; END"
        )
    conn.close()
    tampered = tmp_path / "tampered.backup"
    repack(backup, copy, tampered)
    # when / then: refused, naming what failed, and nothing is written
    line = _refused(
        tiejun(target_env, "restore", str(tampered), "--yes", check=False),
        "failed verification",
        "checksum",
        "unknown triggers (cut_amounts)",
        "Nothing was changed",
    )
    assert "--trust-unsigned" in line
    assert not (tmp_path / "target.sqlite3").exists() or not query(
        target, "SELECT name FROM sqlite_master WHERE name = 'crm_deal'"
    )
    # and the bare copy (no signature at all) is refused too
    _refused(tiejun(target_env, "restore", str(copy), "--yes", check=False), "is not signed")
    # --trust-unsigned restores it, saying loudly what it did not verify
    done = tiejun(target_env, "restore", str(tampered), "--yes", "--trust-unsigned")
    assert "Restored" in done.stdout
    assert "WARNING: --trust-unsigned" in done.stderr
    assert "checksum" in done.stderr and "cut_amounts" in done.stderr


def test_a_backup_signed_with_another_key_is_refused(sqlite_home, tmp_path):
    env, backup = sqlite_home
    target_env = {
        **env,
        "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path / 'target.sqlite3'}",
        "TIEJUN_SECRET_KEY": "another-installation-s-key",
    }
    _refused(
        tiejun(target_env, "restore", str(backup), "--yes", check=False),
        "signature does not match",
        "TIEJUN_SECRET_KEY",
    )
    # the same file restores with the key that signed it
    good_env = {**env, "TIEJUN_DATABASE_URL": f"sqlite:///{tmp_path / 'good.sqlite3'}"}
    done = tiejun(good_env, "restore", str(backup), "--yes")
    assert "Restored" in done.stdout and "WARNING" not in done.stderr


def test_a_redumped_postgresql_archive_without_the_audit_trigger_is_refused(tmp_path):
    if not pg_available():
        pytest.skip("pg_dump / pg_restore are not installed")
    prefix = f"tiejun_h10_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{n}" for n in ("live", "forged", "target")]
    for name in names:
        pg_create(name)
    try:
        live, forged, target = (pg_url(n) for n in names)
        env = scratch_env(tmp_path, live)
        migrate_and_seed(env)
        backup = tmp_path / "signed.backup"
        tiejun(env, "backup", str(backup))
        # given: the archive restored elsewhere, amounts cut, the audit trigger dropped, re-dumped
        (tmp_path / "forged").mkdir()
        forged_env = scratch_env(tmp_path / "forged", forged)
        tiejun(forged_env, "restore", str(backup), "--yes")
        import psycopg

        with psycopg.connect(forged, autocommit=True) as conn:
            conn.execute("DROP TRIGGER audit_entry_immutable ON audit_auditentry")
            conn.execute("UPDATE crm_deal SET amount = amount / 10")
        redumped = tmp_path / "redumped.pgdump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={redumped}", forged], check=True, timeout=300
        )
        (tmp_path / "target").mkdir()
        target_env = scratch_env(tmp_path / "target", target)
        # when / then: the bare archive is refused, and so is it inside the signed envelope
        _refused(
            tiejun(target_env, "restore", str(redumped), "--yes", check=False), "is not signed"
        )
        repacked = tmp_path / "repacked.backup"
        repack(backup, redumped, repacked)
        _refused(
            tiejun(target_env, "restore", str(repacked), "--yes", check=False),
            "failed verification",
            "checksum",
            "audit_entry_immutable is missing",
        )
        assert query(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'crm_deal'") == [
            (0,)
        ]
        # --trust-unsigned restores it, warns, and puts the audit trigger back
        done = tiejun(target_env, "restore", str(redumped), "--yes", "--trust-unsigned")
        assert "Restored" in done.stdout
        assert "WARNING: --trust-unsigned" in done.stderr
        assert "audit_entry_immutable" in done.stderr and "put back" in done.stderr
        triggers = query(
            target,
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass "
            "AND NOT tgisinternal ORDER BY 1",
        )
        assert triggers == [("audit_entry_immutable",), ("audit_entry_no_truncate",)]
    finally:
        for name in names:
            pg_drop(name)


# --- uploaded files ride along ------------------------------------------------------------------


def test_uploaded_files_are_backed_up_checked_and_put_back(tmp_path):
    # given a company with a check-in photo and a piece of red-line evidence on disk
    source = tmp_path / "source"
    source.mkdir()
    env = scratch_env(source, f"sqlite:///{source / 'db.sqlite3'}")
    migrate_and_seed(env)
    media = source / "media"
    photo = media / "visits" / "2026" / "12" / "门头照.jpg"
    evidence = media / "redlines" / "RL-000001" / "a1b2.pdf"
    for path, content in ((photo, b"\xff\xd8 jpeg bytes"), (evidence, b"%PDF-1.7 evidence")):
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
    backup = source / "with-files.backup"
    done = tiejun(env, "backup", str(backup), "--json")
    assert json.loads(done.stdout)["files"] == 2
    with tarfile.open(backup) as archive:
        names = set(archive.getnames())
    assert {"media/visits/2026/12/门头照.jpg", "media/redlines/RL-000001/a1b2.pdf"} <= names

    # when it is restored on another machine whose media folder holds a stray file
    other = tmp_path / "other"
    (other / "media" / "stray").mkdir(parents=True)
    (other / "media" / "stray" / "old.jpg").write_bytes(b"not in the backup")
    other_env = scratch_env(other, f"sqlite:///{other / 'db.sqlite3'}")
    done = tiejun(other_env, "restore", str(backup), "--yes")
    # then the files are exactly the backup's, byte for byte
    assert "2 files put back" in done.stdout
    restored = other / "media"
    assert (restored / "visits/2026/12/门头照.jpg").read_bytes() == photo.read_bytes()
    assert (restored / "redlines/RL-000001/a1b2.pdf").read_bytes() == evidence.read_bytes()
    assert not (restored / "stray").exists()
    assert not list(other.glob(".media*"))  # no staging folder left behind

    # and a backup whose evidence file was swapped is refused, changing nothing
    tampered = tmp_path / "tampered.backup"
    with tarfile.open(backup) as old, tarfile.open(tampered, "w") as new:
        for member in old.getmembers():
            content = old.extractfile(member)
            assert content is not None, member.name
            data = content.read()
            if member.name.endswith("a1b2.pdf"):
                data, member.size = b"%PDF-1.7 forged", len(b"%PDF-1.7 forged")
            new.addfile(member, io.BytesIO(data))
    third = tmp_path / "third"
    third.mkdir()
    third_env = scratch_env(third, f"sqlite:///{third / 'db.sqlite3'}")
    done = tiejun(third_env, "restore", str(tampered), "--yes", check=False)
    assert done.returncode == 2
    line = _error_line(done)
    assert "redlines/RL-000001/a1b2.pdf does not match the manifest" in line, line
    assert "Nothing was changed" in line
    assert not (third / "media").exists()
