"""``tiejun bench board``: board latency per level against one hand-written SQL query.

The board is measured through the selector the API and the pages call (``board_for_unit`` then
``to_json``; ``person_board`` for a rep's own page). Beside each level stands its lower bound: a
single aggregate query over the same fact rows returning the same achieved/today per child, with
no ORM, no targets and no Python around it.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.management import call_command
from django.db import connection

from tiejun.demo.generator import demo_build
from tiejun.errors import TiejunError
from tiejun.org.models import Membership, Person, Role, Unit, UnitClosure, UnitKind
from tiejun.scoreboard.models import Fact
from tiejun.scoreboard.selectors import board_for_unit, person_board
from tiejun.workdays import month_end, month_start

LEVELS = ("company", "region", "branch", "team", "rep")
METRIC = "revenue"


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _time(calls: list[Callable[[], Any]], repeat: int) -> list[float]:
    calls[0]()  # warm up: connection, statement caches
    samples = []
    for i in range(repeat):
        call = calls[i % len(calls)]
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _sql() -> dict[str, str]:
    fact, closure = Fact._meta, UnitClosure._meta

    def column(meta: Any, name: str) -> str:
        return meta.get_field(name).column

    f = {name: column(fact, name) for name in ("day", "metric", "unit", "person", "value")}
    c = {name: column(closure, name) for name in ("ancestor", "descendant")}
    sums = f"SUM(f.{f['value']}), SUM(CASE WHEN f.{f['day']} = %s THEN f.{f['value']} ELSE 0 END)"
    period = f"f.{f['metric']} = %s AND f.{f['day']} >= %s AND f.{f['day']} <= %s"
    return {
        # A unit's children (and the unit itself): facts joined to the closure table.
        "unit": (
            f"SELECT c.{c['ancestor']}, {sums} FROM {fact.db_table} f "  # noqa: S608 - names from the models
            f"JOIN {closure.db_table} c ON c.{c['descendant']} = f.{f['unit']} "
            f"WHERE {period} AND c.{c['ancestor']} IN ({{ids}}) GROUP BY c.{c['ancestor']}"
        ),
        # A team's reps: the team's own fact rows by person.
        "team": (
            f"SELECT f.{f['person']}, {sums} FROM {fact.db_table} f "  # noqa: S608
            f"WHERE {period} AND f.{f['unit']} = %s GROUP BY f.{f['person']}"
        ),
        # A rep's own page.
        "rep": (
            f"SELECT f.{f['person']}, {sums} FROM {fact.db_table} f "  # noqa: S608
            f"WHERE {period} AND f.{f['person']} = %s GROUP BY f.{f['person']}"
        ),
    }


def _lower_bound(kind: str, key: Any, month: dt.date, as_of: dt.date) -> dict[Any, Decimal]:
    sql = _sql()
    params: list[Any] = [as_of, METRIC, month_start(month), min(as_of, month_end(month))]
    if kind == "unit":
        ids = list(key)
        query = sql["unit"].format(ids=", ".join(["%s"] * len(ids)))
        params += ids
    else:
        query = sql[kind]
        params.append(key)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0]: Decimal(row[1] or 0) for row in cursor.fetchall()}


def build_or_reuse(
    *, reps: int, months: int, seed: int, today: dt.date, migrate: bool, reuse: bool, say: Any
) -> float | None:
    """Build the demo company into an empty database; with ``reuse``, keep the one already there.

    Returns the build time in seconds (None when an existing demo was reused)."""
    if migrate:
        call_command("migrate", verbosity=0)
    if Unit.objects.exists():
        if reuse:
            say("reusing the demo company already in the database …")
            return None
        raise TiejunError(
            "the benchmark database is not empty; give it a fresh --database (or --reuse)"
        )
    if reuse:
        raise TiejunError("--reuse needs a database holding the demo company")
    say(f"building the demo company: {reps} reps, {months} months …")
    started = time.perf_counter()
    # The aims are stated for `months` of deals: no extra years of lab history.
    demo_build(reps=reps, months=months, seed=seed, today=today, history_years=0)
    return round(time.perf_counter() - started, 2)


def _subjects(today: dt.date) -> tuple[dict[str, list[Unit]], dict[int, list[int]], list[Person]]:
    """The units of every level (by code), each unit's children, and the reps on ``today``."""
    units = {
        kind: list(Unit.objects.filter(kind=kind).order_by("code")) for kind in UnitKind.values
    }
    children: dict[int, list[int]] = {}
    for unit_id, parent_id in Unit.objects.values_list("id", "parent_id"):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(unit_id)
    rep_ids = list(
        Membership.objects.on(today)
        .filter(role=Role.REP)
        .order_by("person__employee_no")
        .values_list("person_id", flat=True)
    )
    rep_people = Person.objects.in_bulk(rep_ids)
    return units, children, [rep_people[i] for i in rep_ids]


def bench_board(
    *,
    reps: int = 2000,
    months: int = 12,
    repeat: int = 50,
    seed: int = 2026,
    today: dt.date | None = None,
    migrate: bool = True,
    reuse: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the demo company and measure the board at every level; returns the JSON object."""
    from django.utils import timezone

    say = progress or (lambda _message: None)
    today = today or timezone.localdate()
    build_s = build_or_reuse(
        reps=reps, months=months, seed=seed, today=today, migrate=migrate, reuse=reuse, say=say
    )
    month = month_start(today)
    units, children, rep_list = _subjects(today)
    levels: dict[str, dict[str, float]] = {}
    board_calls: list[Callable[[], Any]]
    bound_calls: list[Callable[[], Any]]
    for level in LEVELS:
        say(f"measuring the {level} board …")
        if level == "rep":
            board_calls = [
                partial(person_board, p, month=month, as_of=today, metric=METRIC) for p in rep_list
            ]
            bound_calls = [partial(_lower_bound, "rep", p.pk, month, today) for p in rep_list]
            _check_rep(rep_list[0], month, today)
        else:
            chosen = units[level]
            board_calls = [partial(_board_json, u, month, today) for u in chosen]
            if level == "team":
                bound_calls = [partial(_lower_bound, "team", u.pk, month, today) for u in chosen]
            else:
                bound_calls = [
                    partial(_lower_bound, "unit", [u.pk, *children.get(u.pk, [])], month, today)
                    for u in chosen
                ]
            _check_unit(chosen[0], level, children, month, today)
        spread = _spread_calls(board_calls, repeat)
        samples = _time(spread, repeat)
        bounds = _time(_spread_calls(bound_calls, repeat), repeat)
        p95, lb95 = percentile(samples, 0.95), percentile(bounds, 0.95)
        levels[level] = {
            "p50_ms": round(statistics.median(samples), 3),
            "p95_ms": round(p95, 3),
            "lower_bound_p50_ms": round(statistics.median(bounds), 3),
            "lower_bound_p95_ms": round(lb95, 3),
            "ratio_p95": round(p95 / lb95, 2) if lb95 else None,  # type: ignore[dict-item]
        }
    return {
        "reps": None if build_s is None else reps,  # None: an existing demo was measured
        "reps_on_day": len(rep_list),
        "months": months,
        "repeat": repeat,
        "seed": seed,
        "today": today.isoformat(),
        "database": connection.vendor,
        "facts": Fact.objects.count(),
        "levels": levels,
        "build_s": build_s,
    }


def bench_board_http(
    *,
    url: str,
    repeat: int = 50,
    today: dt.date | None = None,
    concurrency: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The board over HTTP from a running server (gunicorn) serving the demo in this database.

    Per level: the JSON API (``GET /api/v1/board/{code}``, Bearer token) and the HTML page
    (``/board/{code}/``; a rep's own page ``/people/{no}/``) signed in as the demo's admin. With
    ``concurrency`` > 1, that many clients fire at once and the wall time gives requests/s.
    """
    import httpx
    from django.utils import timezone

    from tiejun.demo.company import ADMIN_NO, DEMO_PASSWORD
    from tiejun.org.services import token_create

    say = progress or (lambda _message: None)
    admin = Person.objects.filter(employee_no=ADMIN_NO).first()
    if admin is None:
        raise TiejunError("--url needs the database the server serves, holding the demo company")
    today = today or timezone.localdate()
    units, _children, rep_list = _subjects(today)
    token = token_create(person=admin)
    base = url.rstrip("/")
    month = f"{today:%Y-%m}"
    query = {"month": month, "as_of": today.isoformat()}
    plan: dict[str, dict[str, list[str]]] = {}
    for level in LEVELS:
        if level == "rep":
            codes = [p.employee_no for p in rep_list]
            plan[level] = {"page": [f"/people/{c}/" for c in codes]}
        else:
            codes = [u.code for u in units[level]]
            plan[level] = {
                "api": [f"/api/v1/board/{c}" for c in codes],
                "page": [f"/board/{c}/" for c in codes],
            }
    # As a TLS-terminating reverse proxy does: in production the app then sees HTTPS (no
    # redirect), and sets its cookies Secure, so they are sent by hand, not by the cookie jar.
    proxy = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base, timeout=60, headers=proxy) as client:
        login = client.get("/login/")
        csrf = login.cookies.get("csrftoken", "")
        answer = client.post(
            "/login/",
            data={"username": ADMIN_NO, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={
                "Referer": "https://" + base.split("://", 1)[-1] + "/login/",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        if login.status_code != 200 or answer.status_code != 302:
            raise TiejunError(f"could not sign in at {base}/login/ (HTTP {answer.status_code})")
        session = "; ".join(f"{k}={v}" for k, v in answer.cookies.items())
    headers = {**proxy, "Authorization": f"Bearer {token}"}
    levels: dict[str, dict[str, Any]] = {}
    for level in LEVELS:
        levels[level] = {}
        for kind, paths in plan[level].items():
            say(f"measuring the {level} {kind} over HTTP …")
            chosen = [paths[int(i * len(paths) / repeat)] for i in range(repeat)]
            if len(paths) <= repeat:
                chosen = [paths[i % len(paths)] for i in range(repeat)]
            levels[level][kind] = _fire_http(
                httpx,
                base,
                chosen,
                params=query,
                headers=headers if kind == "api" else {**proxy, "Cookie": session},
                concurrency=concurrency,
            )
    return {
        "url": base,
        "reps": len(rep_list),
        "repeat": repeat,
        "concurrency": concurrency,
        "today": today.isoformat(),
        "database": connection.vendor,
        "facts": Fact.objects.count(),
        "levels": levels,
    }


def _fire_http(
    httpx: Any,
    base: str,
    paths: list[str],
    *,
    params: dict[str, str],
    headers: dict[str, str],
    concurrency: int,
) -> dict[str, Any]:
    """GET every path (``concurrency`` clients sharing the list); latency and status counts."""
    import threading

    lock = threading.Lock()
    todo = iter(paths)
    samples: list[float] = []
    statuses: dict[int, int] = {}

    def client_loop() -> None:
        with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
            client.get(paths[0], params=params)  # warm up this connection
            while True:
                with lock:
                    path = next(todo, None)
                if path is None:
                    return
                started = time.perf_counter()
                try:
                    status = client.get(path, params=params).status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    samples.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client_loop) for _i in range(max(1, concurrency))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "requests_per_s": round(len(samples) / wall, 1) if wall else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _board_json(unit: Unit, month: dt.date, as_of: dt.date) -> dict[str, Any]:
    """What the API handler does once it has the unit."""
    return board_for_unit(unit, month=month, as_of=as_of, metric=METRIC).to_json()


def _spread_calls(calls: list[Callable[[], Any]], repeat: int) -> list[Callable[[], Any]]:
    """Up to ``repeat`` calls spread evenly over the units of a level (not just the first ones)."""
    if len(calls) <= repeat:
        return calls
    step = len(calls) / repeat
    return [calls[int(i * step)] for i in range(repeat)]


def _check_unit(
    unit: Unit, level: str, children: dict[int, list[int]], month: dt.date, as_of: dt.date
) -> None:
    """The lower bound must sum the same rows as the board, or the comparison means nothing."""
    board = board_for_unit(unit, month=month, as_of=as_of, metric=METRIC)
    if level == "team":
        got = _lower_bound("team", unit.pk, month, as_of)
        same = sum(got.values(), Decimal(0)) == board.achieved
    else:
        got = _lower_bound("unit", [unit.pk, *children.get(unit.pk, [])], month, as_of)
        same = got.get(unit.pk, Decimal(0)) == board.achieved
    if not same:
        raise AssertionError(f"lower bound and board disagree on {unit.code}")


def _check_rep(person: Person, month: dt.date, as_of: dt.date) -> None:
    figures = person_board(person, month=month, as_of=as_of, metric=METRIC)
    got = _lower_bound("rep", person.pk, month, as_of)
    if got.get(person.pk, Decimal(0)) != figures.achieved:
        raise AssertionError(f"lower bound and rep page disagree on {person.employee_no}")
