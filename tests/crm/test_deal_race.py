"""Two creates with the same deal number at the same instant, against a real served app (gunicorn,
several workers and threads) on SQLite and on PostgreSQL: one is recorded, the other refused
(409, or 404 when its caller may not see the winner), and nothing is ever overwritten."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.ops.conftest import (
    figures,
    migrate_and_seed,
    pg_create,
    pg_drop,
    pg_url,
    query,
    scratch_env,
    served,
    tiejun,
)

pytestmark = pytest.mark.slow
ROUNDS = 12


def _postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    if not _postgres_reachable():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    name = f"tiejun_race_{int(time.time() * 1000) % 10**9}"
    pg_create(name)
    try:
        yield pg_url(name)
    finally:
        pg_drop(name)


def _token(env: dict[str, str], employee_no: str) -> str:
    code = (
        "from tiejun.org.models import Person; from tiejun.org.services import token_create; "
        f"print('TOKEN', token_create(person=Person.objects.get(employee_no={employee_no!r})))"
    )
    done = tiejun(env, "shell", "-c", code)
    return next(x for x in done.stdout.splitlines() if x.startswith("TOKEN "))[6:]


def _race(base: str, first: tuple[str, dict], second: tuple[str, dict]) -> list[httpx.Response]:
    """POST both bodies at the same instant (each from its own client); both answers."""
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def fire(slot: int, token: str, body: dict) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            client.get(f"{base}/api/v1/deals?page_size=1")  # warm the connection
            barrier.wait()
            answers[slot] = client.post(f"{base}/api/v1/deals", json=body)

    threads = [
        threading.Thread(target=fire, args=(0, *first)),
        threading.Thread(target=fire, args=(1, *second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _body(deal_no: str, employee_no: str, customer: str, amount: str) -> dict[str, str]:
    return {
        "deal_no": deal_no,
        "employee_no": employee_no,
        "customer_code": customer,
        "customer_name": customer,
        "amount": amount,
        "won_date": time.strftime("%Y-%m-%d"),
    }


def test_two_creates_with_one_number_record_one_and_overwrite_nothing(database, tmp_path):
    # given: a served app; R1 (Hangzhou), R5 (Ningbo) and the admin, each with a token
    env = scratch_env(tmp_path, database)
    seed = migrate_and_seed(env)
    tokens = {"R1": seed["R1"]["token"], "A1": seed["A1"]["token"], "R5": _token(env, "R5")}
    statuses: Counter = Counter()
    with served(env, workers=2, threads=4) as base:
        for n in range(ROUNDS):
            # across two branches (neither sees the other's deal), then R1 against the admin
            # recording for R1 (each sees the other's deal)
            rival, rival_for = ("R5", "R5") if n % 2 == 0 else ("A1", "R1")
            deal_no = f"RACE-{n:03d}"
            bodies = [
                ("R1", _body(deal_no, "R1", f"RC-{n}-A", "100.00")),
                (rival, _body(deal_no, rival_for, f"RC-{n}-B", "200.00")),
            ]
            if n % 4 >= 2:
                bodies.reverse()
            answers = _race(
                base, (tokens[bodies[0][0]], bodies[0][1]), (tokens[bodies[1][0]], bodies[1][1])
            )
            codes = sorted(a.status_code for a in answers)
            statuses.update(codes)
            # then: one recorded, the other refused with a clear answer, no 5xx
            assert codes[0] == 201 and codes[1] in (404, 409), [a.text for a in answers]
            winner = next(i for i, a in enumerate(answers) if a.status_code == 201)
            loser = answers[1 - winner]
            assert "Traceback" not in loser.text and json.loads(loser.text)["detail"]
            expected = 409 if rival == "A1" else 404
            assert loser.status_code == expected, loser.text
            won = bodies[winner][1]
            rows = query(
                database,
                "SELECT p.employee_no, d.amount, c.code FROM crm_deal d "
                "JOIN org_person p ON p.id = d.person_id JOIN crm_customer c ON c.id = d.customer_id "
                f"WHERE d.deal_no = '{deal_no}'",
            )
            assert [(r[0], f"{float(r[1]):.2f}", r[2]) for r in rows] == [
                (won["employee_no"], won["amount"], won["customer_code"])
            ]
            changes = query(
                database, f"SELECT count(*) FROM crm_dealchange WHERE deal_no = '{deal_no}'"
            )
            assert changes[0][0] == 1  # recorded once, never "corrected" by the loser
            lost = bodies[1 - winner][1]["customer_code"]
            assert (
                query(database, f"SELECT count(*) FROM crm_customer WHERE code = '{lost}'")[0][0]
                == 0
            )
    log = served.last_log  # type: ignore[attr-defined]
    assert "Traceback" not in log, log[-3000:]
    engine = "postgresql" if database.startswith("postgresql") else "sqlite"
    figures(f"deal race {engine}", rounds=ROUNDS, **{str(k): v for k, v in statuses.items()})
