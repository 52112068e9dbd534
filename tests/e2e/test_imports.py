"""The import journey in a real Chromium: check a 50,000-row file with the progress bar moving,
import it from the job page, and read a bad file's problems in Chinese.

The live server queues each job; a worker thread of this test (Huey on in-memory storage, the
way a consumer would run it) takes it when the test lets it, so the page is seen waiting, then
moving, then done.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.factories import build_org
from tiejun.crm.models import Customer
from tiejun.imports.models import ImportJob, ImportUpload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 50_000
HEADER = "customer_code,name,industry,address,lat,lon,owner_employee_no,phone,priority\n"
# Runs before any page script: records Content-Security-Policy violations.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
BIG = 240_000  # ms: a 50,000-row check or import on a CI machine with two cores


class Worker:
    """Runs queued Huey tasks in a thread, one each time the test calls :meth:`release`."""

    def __init__(self, huey) -> None:
        self.huey = huey
        self.gate = threading.Semaphore(0)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def release(self) -> None:
        self.gate.release()

    def loop(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.gate.acquire(timeout=0.05):
                    continue
                task = None
                while task is None and not self.stop.is_set():
                    task = self.huey.dequeue()
                    if task is None:
                        time.sleep(0.05)
                if task is not None:
                    self.huey.execute(task)
        finally:
            connections.close_all()


@pytest.fixture
def worker():
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    storage, immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = MemoryStorage(HUEY.name)
    running = Worker(HUEY)
    running.thread.start()
    yield running
    running.stop.set()
    running.thread.join(30)
    HUEY.storage = storage
    HUEY.immediate = immediate


@pytest.fixture
def company():
    return build_org()


def customers_file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "customers.csv"
    lines = (f"K{i:06d},客户{i:06d},制造,杭州市西湖区{i}号,,,,,\n" for i in range(rows))
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def upload(page, path: Path, button: str) -> None:
    page.goto(page.base_url + "/import/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(path))
    page.click(button)
    expect(page).to_have_url(re.compile(r"/import/jobs/\d+/$"))


READ_BAR = """() => {
  if (document.getElementById("import-result")) return "done";
  const bar = document.getElementById("job-progress");
  return bar ? bar.getAttribute("value") : null;
}"""


def watch(page, worker) -> list[int]:
    """Let the worker take the job; note the bar's value until the page shows the result.

    The bar and the result are read in one script run: the page replaces the bar with the
    result when the job ends, so a locator found a moment earlier may no longer exist.
    """
    worker.release()
    seen = []
    deadline = time.monotonic() + BIG / 1000
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(READ_BAR)
        except PlaywrightError:  # the page was navigating between two reads
            value = None
        if value == "done":
            break
        if value is not None:
            seen.append(int(float(value)))
        page.wait_for_timeout(200)
    expect(page.locator("#import-result")).to_be_visible(timeout=BIG)
    return seen


def test_admin_checks_then_imports_fifty_thousand_customers(page, company, worker, tmp_path):
    path = customers_file(tmp_path, ROWS)
    page.context.add_init_script(WATCH_CSP)
    log_in(page, "A1")

    # when: the admin uploads the file with "检查" (check)
    upload(page, path, "#import-check")

    # then: the job's page waits with an empty bar and a cancel button, then moves to the result
    expect(page.locator("#job-progress")).to_have_attribute("value", "0")
    expect(page.locator("#job-cancel button")).to_be_visible()
    seen = watch(page, worker)
    assert seen and seen == sorted(seen), seen
    assert page.evaluate("window.__csp") == []  # the polling script ran under the CSP
    result = page.locator("#import-result")
    expect(result).to_contain_text("50000")
    assert Customer.objects.count() == 0
    check = ImportJob.objects.get()
    assert (check.state, check.rows_read, check.result["created"]) == ("checked", ROWS, ROWS)

    # when: "立即导入此文件" (import this file now): a new job on the stored bytes
    page.click("#job-import-now button")
    expect(page).not_to_have_url(re.compile(rf"/import/jobs/{check.pk}/$"))
    watch(page, worker)

    # then: the result with the counts, every customer written, the bytes gone
    expect(page.locator("#import-result")).to_contain_text("50000")
    imported = ImportJob.objects.exclude(pk=check.pk).get()
    assert imported.state == "done" and imported.rows_written == ROWS
    assert Customer.objects.count() == ROWS
    assert not ImportUpload.objects.exists()
    # the import page lists both jobs
    page.goto(page.base_url + "/import/")
    expect(page.locator("#import-jobs tbody tr")).to_have_count(2)


def test_a_bad_file_shows_its_problems_in_chinese(page, company, worker, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "K1,客户一,,,,,R1,,\nK2,,,,,,NOBODY,,\n", encoding="utf-8")
    log_in(page, "A1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    upload(page, path, "#import-import")
    watch(page, worker)
    errors = page.locator("#import-errors li")
    expect(errors.first).to_contain_text(re.compile(r"^第 3 行："))
    expect(page.locator("#import-result")).to_contain_text("未写入任何数据")
    expect(page.locator("#job-import-now")).to_have_count(0)
    assert not Customer.objects.exists()
