"""Running the queue: the burst drain behind ``tiejun worker --burst`` and the supervised
consumer process behind ``tiejun serve``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from huey import Huey
from huey.exceptions import HueyException

from .services import message_requeue_due

logger = logging.getLogger(__name__)


def drain(huey: Huey, *, workers: int = 1) -> int:
    """Execute queued tasks (and scheduled ones whose time has come) until the queue is empty.
    Returns how many tasks ran."""
    storage: Any = huey.storage
    if getattr(storage, "blocking", False):
        storage.blocking = False  # an empty queue must answer at once, not after a timeout
    ran = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal ran
        while True:
            try:
                task = huey.dequeue()
            except HueyException:  # a task of an unknown name: it is gone, go on
                logger.exception("unreadable task in the queue")
                continue
            if task is None:
                return
            huey.execute(task)
            with lock:
                ran += 1

    for task in huey.read_schedule():
        huey.enqueue(task)
    if workers <= 1:
        work()
    else:
        threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return ran


def run_burst(huey: Huey, *, workers: int = 1) -> int:
    """Work until nothing is due: queue due outbox rows, drain, repeat. Retries scheduled for
    later are left for a later run. Returns how many tasks ran."""
    total = 0
    while True:
        queued = message_requeue_due(grace_seconds=0)
        ran = drain(huey, workers=workers)
        total += ran
        if ran == 0 and queued == 0:
            return total


def exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Stop this process (gracefully, SIGINT) once ``parent_pid`` is gone: an embedded worker
    must not outlive the ``tiejun serve`` that started it, even when that one was killed."""

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGINT)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class EmbeddedWorker:
    """A ``tiejun worker`` consumer (workers + scheduler) supervised by ``tiejun serve``.

    A separate process rather than a thread: gunicorn forks its web workers from the serving
    process, and forking while consumer threads hold SQLite or logging locks can deadlock the
    children. The consumer stops with serve (SIGINT: finish the running task, then exit)."""

    def __init__(self, *, workers: int | None = None) -> None:
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "tiejun.cli",
            "worker",
            "--exit-with-parent",
            str(os.getpid()),
        ]
        if self.workers:
            command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(command)

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
