"""``tiejun bench reports``: every branch's and team's battle report for one day, then the
resulting e-mails queued in the outbox and drained to a loopback SMTP server (aiosmtpd).

The report is timed through the same calls ``tiejun report`` and the schedule make: the selector
(``battle_report(...).to_json()``) and the renderers (text + HTML e-mail). Delivery goes through
the outbox (``message_enqueue``) and the Huey task that sends it, with an in-memory queue so the
benchmark never touches the app's own queue.
"""

from __future__ import annotations

import datetime as dt
import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from tiejun.bench.board import build_or_reuse, percentile
from tiejun.bench.smtp_sink import SmtpSink
from tiejun.broadcast import renderers
from tiejun.broadcast.selectors import battle_report
from tiejun.notify.models import Message, Status
from tiejun.notify.services import message_enqueue
from tiejun.notify.worker import drain
from tiejun.org.models import Unit, UnitKind
from tiejun.org.selectors import work_calendar


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 0.95), 2),
        "max": round(max(samples), 2),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_reports(
    *,
    reps: int = 2000,
    months: int = 3,
    seed: int = 2026,
    today: dt.date | None = None,
    workers: int = 4,
    migrate: bool = True,
    reuse: bool = False,
    through_queue: bool = False,
    queue_timeout: float = 300,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the demo, time every branch's and team's battle report, drain the e-mails.

    With ``reuse``, an existing demo company is measured instead of building one. With
    ``through_queue``, the e-mails go through the app's own queue (``TIEJUN_QUEUE_URL``, e.g.
    Redis) to the ``tiejun worker`` consumers already running, which send them with the app's
    ``TIEJUN_EMAIL_URL``; the benchmark waits until every message is sent (or ``queue_timeout``).
    """
    say = progress or (lambda _message: None)
    today = today or timezone.localdate()
    build_s = build_or_reuse(
        reps=reps, months=months, seed=seed, today=today, migrate=migrate, reuse=reuse, say=say
    )
    calendar = work_calendar()
    day = today
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    units = list(
        Unit.objects.filter(kind__in=[UnitKind.BRANCH, UnitKind.TEAM]).order_by("kind", "code")
    )
    say(f"{len(units)} branches and teams; battle reports of {day} …")
    battle_report(units[0], day=day, calendar=calendar).to_json()  # warm up
    select_ms: dict[str, list[float]] = {UnitKind.BRANCH: [], UnitKind.TEAM: []}
    render_ms: list[float] = []
    reports: list[tuple[Unit, dict[str, Any], str, str, str]] = []
    for unit in units:
        t0 = time.perf_counter()
        data = battle_report(unit, day=day, calendar=calendar).to_json()
        t1 = time.perf_counter()
        text = renderers.render("battle", data, "text")
        html = renderers.render("battle", data, "html")
        subject = renderers.subject("battle", data)
        t2 = time.perf_counter()
        select_ms[unit.kind].append((t1 - t0) * 1000)
        render_ms.append((t2 - t1) * 1000)
        reports.append((unit, data, subject, text, html))
    every = select_ms[UnitKind.BRANCH] + select_ms[UnitKind.TEAM]
    total = [s + r for s, r in zip(every, render_ms, strict=True)]

    run = f"{time.time_ns():x}"  # keys of their own, so a reused database can be run again
    if through_queue:
        say(f"queuing {len(reports)} e-mails to the app's queue ({HUEY.__class__.__name__}) …")
        t0 = time.perf_counter()
        keys = _enqueue(reports, day, run, message_enqueue)
        queue_s = time.perf_counter() - t0
        say("waiting for the running workers to send them …")
        t0 = time.perf_counter()
        deadline = time.monotonic() + queue_timeout
        while time.monotonic() < deadline:
            waiting = Message.objects.filter(key__in=keys).exclude(status=Status.SENT).count()
            if not waiting:
                break
            time.sleep(0.2)
        drain_s = time.perf_counter() - t0
        sent = Message.objects.filter(key__in=keys, status=Status.SENT).count()
        received: int | None = None
    else:
        # Deliver: queue one e-mail per report, then drain them to a loopback SMTP server
        # running in a process of its own.
        sink = SmtpSink(_free_port())
        sink.start()
        saved_storage = HUEY.storage
        saved_email = {
            k: getattr(settings, k)
            for k in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL")
        }
        try:
            HUEY.storage = MemoryStorage(HUEY.name)
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
            settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
            say(f"queuing {len(reports)} e-mails …")
            t0 = time.perf_counter()
            keys = _enqueue(reports, day, run, message_enqueue)
            queue_s = time.perf_counter() - t0
            say(f"draining to SMTP at 127.0.0.1:{settings.EMAIL_PORT} with {workers} workers …")
            t0 = time.perf_counter()
            drain(HUEY, workers=workers)
            drain_s = time.perf_counter() - t0
        finally:
            HUEY.storage = saved_storage
            for k, v in saved_email.items():
                setattr(settings, k, v)
            sink.stop()
        sent = Message.objects.filter(key__in=keys, status=Status.SENT).count()
        received = sink.received
    return {
        "reps": reps,
        "months": months,
        "day": day.isoformat(),
        "build_seconds": build_s,
        "units": {
            "branches": len(select_ms[UnitKind.BRANCH]),
            "teams": len(select_ms[UnitKind.TEAM]),
        },
        "battle_report_ms": {
            "branch": _ms(select_ms[UnitKind.BRANCH]),
            "team": _ms(select_ms[UnitKind.TEAM]),
            "all": _ms(every),
        },
        "render_ms_text_and_html": _ms(render_ms),
        "report_and_render_ms": _ms(total),
        "email": {
            "queued": len(reports),
            "queue_seconds": round(queue_s, 3),
            "sent": sent,
            "received_by_smtp": received,
            "drain_seconds": round(drain_s, 3),
            "messages_per_second": round(sent / drain_s, 1) if drain_s else None,
            "workers": "the running consumers" if through_queue else workers,
            "queue": HUEY.__class__.__name__ if through_queue else "MemoryHuey (in process)",
        },
    }


def _enqueue(
    reports: list[tuple[Unit, dict[str, Any], str, str, str]],
    day: dt.date,
    run: str,
    message_enqueue: Callable[..., Any],
) -> list[str]:
    """One e-mail per report into the outbox, in one transaction; returns their keys."""
    keys = []
    with transaction.atomic():
        for unit, _data, subject, text, html in reports:
            key = f"battle:{unit.code}:{day.isoformat()}:bench:{run}"
            message_enqueue(
                channel="email",
                address=f"{unit.code.lower()}@bench.invalid",
                key=key,
                subject=subject,
                text=text,
                html=html,
            )
            keys.append(key)
    return keys
