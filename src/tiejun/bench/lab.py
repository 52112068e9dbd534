"""``tiejun bench lab``: the efficiency report of the sales-model lab on a 2,000-rep company with
two years of touches.

The company is the demo (``demo_build``). When the demo brings no touch history of its own, the
benchmark adds one: for every won deal one to six touches by its rep in the 120 days before the
win, and touches of prospects who never bought, with the models weighted as in a company where
one-to-one visits still dominate. Then it times ``efficiency_report`` for the whole two years,
company-wide, under every attribution rule, and for one branch.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
from django.core.management import call_command
from django.db import connection, transaction

from tiejun.crm.models import Customer, Deal
from tiejun.demo.generator import demo_build
from tiejun.errors import TiejunError
from tiejun.lab.attribution import RULES
from tiejun.lab.models import SalesModel, Touch
from tiejun.lab.selectors.efficiency import efficiency_report
from tiejun.org.models import Unit, UnitKind
from tiejun.workdays import add_months, month_start

# model: (share of touches, rep-hours range, direct cost range in yuan)
MIX = {
    "visit": (0.55, (1.0, 3.0), (0, 60)),
    "online": (0.20, (0.1, 0.5), (0, 5)),
    "salon": (0.10, (0.3, 1.0), (20, 80)),
    "partner": (0.08, (0.5, 1.5), (0, 100)),
    "community": (0.04, (0.2, 1.0), (0, 20)),
    "livestream": (0.02, (0.1, 0.4), (0, 10)),
    "other": (0.01, (0.2, 1.0), (0, 10)),
}
EPOCH = dt.date(1970, 1, 1)


def _money(values: np.ndarray) -> list[Decimal]:
    return [Decimal(int(c)).scaleb(-2) for c in values]


def touches_generate(*, seed: int, first_day: dt.date, progress: Callable[[str], None]) -> int:
    """Bulk-create a touch history for the deals in the database (and some prospects)."""
    rng = np.random.default_rng(seed)
    models = {m.code: m.pk for m in SalesModel.objects.filter(code__in=MIX)}
    codes = [c for c in MIX if c in models]
    weights = np.array([MIX[c][0] for c in codes])
    weights /= weights.sum()
    deals = np.array(
        list(Deal.objects.order_by().values_list("person_id", "unit_id", "customer_id")),
        dtype=np.int64,
    ).reshape(-1, 3)
    won = np.array(
        [(d - EPOCH).days for d in Deal.objects.order_by().values_list("won_date", flat=True)],
        dtype=np.int64,
    )
    # Per deal 1–6 touches before the win; then as many prospects as a third of the deals.
    per_deal = np.minimum(1 + rng.poisson(2.0, len(deals)), 6)
    owner = np.repeat(np.arange(len(deals)), per_deal)
    days = won[owner] - rng.integers(0, 121, len(owner))
    customers = deals[owner, 2]
    n_prospects = len(deals) // 3
    prospects = Customer.objects.bulk_create(
        [Customer(code=f"LAB{i:07d}", name=f"潜在客户{i}") for i in range(n_prospects)],
        batch_size=5000,
    )
    prospect_ids = np.array([c.pk for c in prospects], dtype=np.int64)
    per_prospect = 1 + rng.poisson(1.0, n_prospects)
    p_owner = rng.integers(0, len(deals), n_prospects)  # a rep and team from some deal
    p_rows = np.repeat(np.arange(n_prospects), per_prospect)
    start, end = (first_day - EPOCH).days, int(won.max(initial=0))
    owner = np.concatenate([owner, p_owner[p_rows]])
    days = np.concatenate([days, rng.integers(start, end + 1, len(p_rows))])
    customers = np.concatenate([customers, prospect_ids[p_rows]])
    model_i = rng.choice(len(codes), size=len(owner), p=weights)
    low = np.array([MIX[c][1][0] for c in codes])[model_i]
    high = np.array([MIX[c][1][1] for c in codes])[model_i]
    hours = np.round((low + rng.random(len(owner)) * (high - low)) * 4) * 25  # quarter hours
    cost_low = np.array([MIX[c][2][0] for c in codes])[model_i]
    cost_high = np.array([MIX[c][2][1] for c in codes])[model_i]
    cost = (cost_low + rng.random(len(owner)) * (cost_high - cost_low)).astype(np.int64) * 100
    keep = days >= start
    order = np.argsort(days[keep], kind="stable")  # imported in date order
    owner, days, customers = owner[keep][order], days[keep][order], customers[keep][order]
    model_i, hours, cost = model_i[keep][order], hours[keep][order], cost[keep][order]
    model_ids = np.array([models[c] for c in codes])[model_i]
    progress(f"writing {len(owner):,} touches …")
    hours_d, cost_d = _money(hours.astype(np.int64)), _money(cost)
    batch = 20_000
    with transaction.atomic():
        for lo in range(0, len(owner), batch):
            hi = min(lo + batch, len(owner))
            Touch.objects.bulk_create(
                [
                    Touch(
                        activity_id=f"B{i:08d}",
                        model_id=int(model_ids[i]),
                        person_id=int(deals[owner[i], 0]),
                        customer_id=int(customers[i]),
                        unit_id=int(deals[owner[i], 1]),
                        date=EPOCH + dt.timedelta(days=int(days[i])),
                        hours=hours_d[i],
                        cost=cost_d[i],
                    )
                    for i in range(lo, hi)
                ],
                batch_size=batch,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(owner)


def _time(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    call()  # warm up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3)}


def bench_lab(
    *,
    reps: int = 2000,
    months: int = 24,
    repeat: int = 3,
    seed: int = 2026,
    today: dt.date | None = None,
    migrate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the company and its touches, then time the efficiency report; returns the JSON."""
    from django.utils import timezone

    say = progress or (lambda _message: None)
    if migrate:
        call_command("migrate", verbosity=0)
    if Unit.objects.exists():
        raise TiejunError("the benchmark database is not empty; give it a fresh --database")
    today = today or timezone.localdate()
    first_day = add_months(month_start(today), -(months - 1))
    say(f"building the demo company: {reps} reps, {months} months …")
    started = time.perf_counter()
    demo_build(reps=reps, months=months, seed=seed, today=today)
    build_s = time.perf_counter() - started
    generated = 0
    started = time.perf_counter()
    if not Touch.objects.exists():
        generated = touches_generate(seed=seed, first_day=first_day, progress=say)
    touches_s = time.perf_counter() - started
    branch = Unit.objects.filter(kind=UnitKind.BRANCH).order_by("code").first()
    timings: dict[str, dict[str, float]] = {}
    for rule in RULES:
        say(f"timing the company report, {rule} …")
        timings[rule] = _time(
            partial(efficiency_report, start=first_day, end=today, attribution=rule), repeat
        )
    if branch is not None:
        timings[f"branch {branch.code}, last_touch"] = _time(
            lambda: efficiency_report(start=first_day, end=today, unit=branch), repeat
        )
    report = efficiency_report(start=first_day, end=today)
    return {
        "reps": reps,
        "months": months,
        "from": first_day.isoformat(),
        "to": today.isoformat(),
        "database": connection.vendor,
        "touches": Touch.objects.count(),
        "touches_generated_by_bench": generated,
        "deals_in_period": report["deals"],
        "customers": Customer.objects.count(),
        "repeat": repeat,
        "timings": timings,
        "aim_s": 2.0,
        "met": all(t["max_s"] <= 2.0 for t in timings.values()),
        "build_s": round(build_s, 1),
        "touches_build_s": round(touches_s, 1),
    }
