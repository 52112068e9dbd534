"""Every screenshot of docs/screens/, made by one script (never by hand).

    .venv/bin/python scripts/screens.py [--out docs/screens] [--home DIR] [--rep ZJ-HZ-0101] [--only NAME ...]

Uses a demo company in its own home (``--home``, by default ``$TMPDIR/tiejun-screens``; made with
``tiejun demo`` when empty, so a real ``TIEJUN_HOME`` is never touched), adds the showcase team the
wall TV is shot with — 13 reps with three-character names under a long unit name — starts
``tiejun serve`` on a free loopback port and shoots each screen through Debian's Chromium:

    tv-1920x1080.png        the wall TV, page 1 of the 13-rep team (and tv-1920x1080-page2.png)
    tv-flash-1920x1080.png  the win flash when a deal lands in the team
    plan-phone.png          a rep's visit plan on a phone (390×844), also as -full.png
    kickoff-laptop.png      the morning kickoff on a laptop (1366×768), also as -full.png

Chinese text needs a CJK font on the machine (``apt-get install fonts-wqy-microhei``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIEJUN = str(ROOT / ".venv" / "bin" / "tiejun")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "tiejun-demo"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}

SHOWCASE_CODE = "TV-SHOW-01"
SHOWCASE_NAME = "浙江省杭州市西湖区文三路数字经济产业园直销一部第一团队"
SHOWCASE_NAMES = [
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


@dataclass
class Shot:
    """One screenshot: ``take(page, base, facts)`` drives the signed-in page and returns the
    files it wrote (``facts`` holds what the showcase set-up found: people, units)."""

    name: str
    viewport: dict[str, int]
    who: Callable[[dict[str, Any]], str]
    take: Callable[[Any, str, Path, dict[str, Any]], list[Path]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "login/", timeout=2)  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server at {url} did not answer")


# --- the showcase team (in the screenshot home only) -----------------------------------------


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiejun.settings")
    # Playwright's sync API runs an event loop in this thread; the ORM calls between page
    # actions (a deal landing while the TV is on) are ordinary synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()


def showcase(rep_no: str) -> dict[str, Any]:
    """Add the 13-rep team beside ``rep_no``'s team (once) and return who shows what."""
    from django.utils import timezone

    from tiejun.crm.services.deals import DealInput, deal_record
    from tiejun.org.models import LEADER_ROLES, Membership, Person, Role, Unit
    from tiejun.org.services import person_create, unit_create
    from tiejun.targets.services import target_set
    from tiejun.workdays import month_start

    today = timezone.localdate()
    rep = Person.objects.get(employee_no=rep_no)
    team = Membership.objects.on(today).select_related("unit").get(person=rep).unit
    branch = team.parent
    if branch is None:
        raise SystemExit(f"{rep_no}'s team has no branch")
    unit = Unit.objects.filter(code=SHOWCASE_CODE).first()
    if unit is None:
        month = month_start(today)
        unit = unit_create(code=SHOWCASE_CODE, name=SHOWCASE_NAME, kind="team", parent=branch)
        for i, name in enumerate(SHOWCASE_NAMES, start=1):
            person = person_create(
                employee_no=f"{SHOWCASE_CODE}-{i:02d}",
                name=name,
                unit=unit,
                role=Role.REP,
                start_date=month,
                password=PASSWORD,
            )
            target = Decimal(150000 + 5000 * (i % 5))
            target_set(month=month, metric="revenue", person=person, value=target)
            # a spread from nothing yet to over target, so both paces show
            done = (target * Decimal(i * i) / Decimal(100)).quantize(Decimal(1))
            if done:
                item = DealInput(
                    deal_no=f"{SHOWCASE_CODE}-D{i:02d}",
                    person=person,
                    customer_code=f"{SHOWCASE_CODE}-C{i:02d}",
                    customer_name=f"杭州西湖数字科技有限公司第{i}分店",
                    amount=done,
                    won_date=today,
                )
                deal_record(item=item, today=today)
        target_set(month=month, metric="revenue", unit=unit, value=Decimal(2600000))
    manager = (
        Membership.objects.on(today)
        .filter(unit=branch, role__in=LEADER_ROLES)
        .select_related("person")
        .order_by("person__employee_no")
        .first()
    )
    if manager is None:
        raise SystemExit(f"the branch {branch.code} has no manager to open the TV as")
    return {
        "rep": rep_no,
        "supervisor": rep_no[:-2] + "00",
        "team": team.code,
        "manager": manager.person.employee_no,
        "showcase": unit.code,
        "showcase_rep": f"{SHOWCASE_CODE}-04",
    }


def land_a_deal(facts: dict[str, Any]) -> None:
    """A deal that lands while the TV is on: what the win flash shows."""
    from django.db import connection
    from django.utils import timezone

    from tiejun.crm.services.deals import DealInput, deal_record
    from tiejun.org.models import Person

    connection.close()  # a fresh connection: the server has written since
    today = timezone.localdate()
    stamp = timezone.now().strftime("%H%M%S")
    item = DealInput(
        deal_no=f"{SHOWCASE_CODE}-LIVE-{stamp}",
        person=Person.objects.get(employee_no=facts["showcase_rep"]),
        customer_code=f"{SHOWCASE_CODE}-LIVE-{stamp}",
        customer_name="杭州滨江智慧城市科技有限公司",
        amount=Decimal(36800),
        won_date=today,
    )
    deal_record(item=item, today=today)


# --- the shots ------------------------------------------------------------------------------


def shoot_tv(page: Any, base: str, out: Path, facts: dict[str, Any]) -> list[Path]:
    page.goto(f"{base}tv/?units={facts['showcase']}&interval=8")
    page.wait_for_selector("#tv-panel[data-page='1']")
    page.wait_for_timeout(800)  # the clock and the fit settle
    first = out / "tv-1920x1080.png"
    page.screenshot(path=str(first))
    page.wait_for_selector("#tv-panel[data-page='2']", timeout=20000)
    page.wait_for_timeout(800)
    second = out / "tv-1920x1080-page2.png"
    page.screenshot(path=str(second))
    return [first, second]


def shoot_flash(page: Any, base: str, out: Path, facts: dict[str, Any]) -> list[Path]:
    page.goto(f"{base}tv/?units={facts['showcase']}&interval=60&poll=2")
    page.wait_for_function("() => window.tvScreen && window.tvScreen.state().cursor !== null")
    land_a_deal(facts)
    page.wait_for_selector("#tv-flash:not([hidden])", timeout=15000)
    page.wait_for_timeout(700)  # past the flash's entrance
    target = out / "tv-flash-1920x1080.png"
    page.screenshot(path=str(target))
    return [target]


def shoot_plan(page: Any, base: str, out: Path, facts: dict[str, Any]) -> list[Path]:
    rep = facts["rep"]
    for days in range(8):  # the first of the next days with a visit plan
        day = dt.date.today() + dt.timedelta(days=days)
        page.goto(f"{base}field/plans/{rep}/{day.isoformat()}/")
        if page.locator("#plan-map .leaflet-marker-icon").count():
            break
    return _both(page, out, "plan-phone")


def shoot_kickoff(page: Any, base: str, out: Path, facts: dict[str, Any]) -> list[Path]:
    page.goto(f"{base}rhythm/kickoff/{facts['team']}/")
    return _both(page, out, "kickoff-laptop")


def shoot_message(page: Any, base: str, out: Path, facts: dict[str, Any]) -> list[Path]:
    """The branch manager's preview of a showcase rep's nightly personal message (SMS, e-mail)."""
    page.goto(f"{base}broadcast/personal/{facts['showcase_rep']}/")
    return _both(page, out, "message-preview")


def _both(page: Any, out: Path, name: str) -> list[Path]:
    page.wait_for_load_state("networkidle")
    target, full = out / f"{name}.png", out / f"{name}-full.png"
    page.screenshot(path=str(target), full_page=False)
    page.screenshot(path=str(full), full_page=True)
    return [target, full]


SHOTS = [
    Shot("tv", TV, lambda f: f["manager"], shoot_tv),
    Shot("tv-flash", TV, lambda f: f["manager"], shoot_flash),
    Shot("plan-phone", PHONE, lambda f: f["rep"], shoot_plan),
    Shot("kickoff-laptop", LAPTOP, lambda f: f["supervisor"], shoot_kickoff),
    Shot("message-preview", PHONE, lambda f: f["manager"], shoot_message),
]


def shoot(base: str, out: Path, facts: dict[str, Any], only: set[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for shot in SHOTS:
            if only and shot.name not in only:
                continue
            context = browser.new_context(locale="zh-CN", viewport=shot.viewport)
            page = context.new_page()
            page.set_default_timeout(20000)
            page.goto(base + "login/")
            page.fill("input[name=username]", shot.who(facts))
            page.fill("input[name=password]", PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_load_state()
            written += shot.take(page, base, out, facts)
            context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"))
    parser.add_argument("--home", default=str(Path(tempfile.gettempdir()) / "tiejun-screens"))
    parser.add_argument("--rep", default="ZJ-HZ-0101", help="a rep of the demo company")
    parser.add_argument("--only", nargs="*", default=[], help="shots to take (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    Path(args.home).mkdir(parents=True, exist_ok=True)
    os.environ["TIEJUN_HOME"] = args.home
    os.environ.pop("TIEJUN_DATABASE_URL", None)  # the screenshot home's own SQLite file
    env = dict(os.environ)
    subprocess.run([TIEJUN, "migrate", "--no-input", "-v", "0"], check=True, env=env)
    subprocess.run([TIEJUN, "demo", "--if-empty"], check=True, env=env)
    django_setup()
    facts = showcase(args.rep)
    port = free_port()
    server = subprocess.Popen(
        [TIEJUN, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_for(base)
        for path in shoot(base, out, facts, set(args.only)):
            sys.stdout.write(f"{path}\n")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
