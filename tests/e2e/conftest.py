"""Browser journeys: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run does it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are ordinary synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        new_context = browser.new_context

        def on_the_suite_clock(*args, **kwargs):
            """A browser context whose clock reads what the live server reads: the suite's
            clock (tests/conftest.py), running from there; timers fire as usual."""
            context = new_context(*args, **kwargs)
            context.clock.install(time=dt.datetime.now(dt.UTC))
            settle_before_close(context)
            return context

        browser.new_context = on_the_suite_clock  # type: ignore[method-assign]
        yield browser
        browser.close()


def settle_before_close(context: Any, *, limit: float = 5.0) -> None:
    """Closing ``context`` first waits (up to ``limit`` seconds) for the requests its pages still
    have in flight — a panel a page loads by itself after the test's last step, say: one still
    running in the live server holds tables the test's teardown empties ("database table is
    locked") or reaches the database after it is closed to the test."""
    in_flight: set[Any] = set()

    def started(request: Any) -> None:
        in_flight.add(request)

    def ended(request: Any) -> None:
        in_flight.discard(request)

    context.on("request", started)
    context.on("requestfinished", ended)
    context.on("requestfailed", ended)
    close = context.close

    def settled_close(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + limit
        while in_flight and context.pages and time.monotonic() < deadline:
            context.pages[0].wait_for_timeout(50)  # lets Playwright deliver the pages' events
        return close(*args, **kwargs)

    context.close = settled_close


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()
