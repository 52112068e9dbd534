"""Screenshots of the phone plan page (390×844) and the laptop kickoff (1366×768) for docs/screens/.

    .venv/bin/python scripts/phone_screens.py [--out docs/screens] [--rep ZJ-HZ-0101]

Uses the demo company in ``TIEJUN_HOME`` (made with ``tiejun demo`` when there is none), starts
``tiejun serve`` on a free loopback port, signs in as a rep through Debian's Chromium and writes
PNGs. Chinese text needs a CJK font on the machine (``apt-get install fonts-wqy-microhei``).
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
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIEJUN = str(ROOT / ".venv" / "bin" / "tiejun")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "tiejun-demo"


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


def shoot(base: str, out: Path, rep: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, viewport, who, path in (
            ("plan-phone", {"width": 390, "height": 844}, rep, None),
            ("kickoff-laptop", {"width": 1366, "height": 768}, rep[:-2] + "00", "kickoff"),
        ):
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            page = context.new_page()
            page.goto(base + "login/")
            page.fill("input[name=username]", who)
            page.fill("input[name=password]", PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_load_state()
            if path is None:
                # the first of the next days with a visit plan
                for days in range(8):
                    day = dt.date.today() + dt.timedelta(days=days)
                    page.goto(f"{base}field/plans/{rep}/{day.isoformat()}/")
                    if page.locator("#plan-map .leaflet-marker-icon").count():
                        break
            else:
                page.goto(f"{base}rhythm/kickoff/{rep[:-2]}/")
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=False)
            page.screenshot(path=str(out / f"{name}-full.png"), full_page=True)
            written += [target, out / f"{name}-full.png"]
            context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"))
    parser.add_argument("--rep", default="ZJ-HZ-0101", help="a rep of the demo company")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    subprocess.run([TIEJUN, "migrate", "--no-input", "-v", "0"], check=True, env=env)
    subprocess.run([TIEJUN, "demo", "--if-empty"], check=True, env=env)
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
        for path in shoot(base, out, args.rep):
            sys.stdout.write(f"{path}\n")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
