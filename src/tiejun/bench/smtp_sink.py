"""A loopback SMTP server that counts what arrives, in a process of its own.

The benchmark's e-mails go to a mail server, as in production, and that server is not in the
sending process: one in the same process would take the interpreter's lock from the workers it
measures (parsing every message it receives) and count its own work as theirs. No Django here:
the child process starts from this module alone.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


class _Counter:
    """aiosmtpd handler: counts the recipients of every message accepted."""

    def __init__(self, count: Any) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += len(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _serve(port: int, count: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller  # a dev dependency: only the benchmark needs it

    controller = Controller(_Counter(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class SmtpSink:
    """``start()``, send to 127.0.0.1:``port``, read ``received``, ``stop()``."""

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = port
        self._count = context.Value("i", 0)
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, args=(port, self._count, self._ready, self._stop), daemon=True
        )

    def start(self) -> None:
        self._process.start()
        if not self._ready.wait(60):
            self._process.kill()
            raise RuntimeError("the benchmark's SMTP server did not start")

    @property
    def received(self) -> int:
        return int(self._count.value)

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
