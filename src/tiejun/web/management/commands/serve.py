"""``tiejun serve [--host 127.0.0.1] [--port 8000] [--workers N]``: the app under gunicorn,
with the queue worker and scheduler beside it unless ``TIEJUN_EMBEDDED_WORKER`` is off."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser
from django.db import connections
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication

from tiejun.command import TiejunCommand
from tiejun.notify.worker import EmbeddedWorker


class TiejunApplication(BaseApplication):
    """gunicorn configured in code, not from its own command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # The WSGI entry point sits above every app (the stack's top); gunicorn asks for it here.
        from tiejun.wsgi import application

        return application


def _static_root_empty() -> bool:
    root = settings.STATIC_ROOT
    return not root or not os.path.isdir(root) or not any(os.scandir(root))


class Command(TiejunCommand):
    help = _("Serve Tiejun over HTTP (gunicorn; static files through WhiteNoise).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help=_("Do not run the embedded queue worker (run `tiejun worker` instead)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and _static_root_empty():
            call_command("collectstatic", interactive=False, verbosity=0)
        # Workers are forked: no connection of this process may leak into them.
        connections.close_all()
        worker = None
        if settings.EMBEDDED_WORKER and not options["no_worker"]:
            worker = EmbeddedWorker()
            worker.start()
        try:
            self._serve(options)
        finally:
            if worker is not None:
                worker.stop()

    def _serve(self, options: dict[str, Any]) -> None:
        host, port = options["host"], options["port"]
        TiejunApplication(
            {
                "bind": f"{host}:{port}",
                "workers": max(1, options["workers"]),
                "threads": max(1, options["threads"]),
                "worker_class": "gthread",
                "timeout": 60,
                "graceful_timeout": 10,
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": "warning",
                "when_ready": self._banner,
            }
        ).run()

    def _banner(self, server: Any) -> None:
        """Once gunicorn holds its sockets: the address it really listens on (``--port 0`` is
        the port the system chose; an any-address bind is opened on this machine)."""
        for listener in server.LISTENERS:
            host, port = listener.sock.getsockname()[:2]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
            if ":" in shown:
                shown = f"[{shown}]"
            self.stdout.write(
                _("Tiejun is serving at http://%(host)s:%(port)d/") % {"host": shown, "port": port}
            )
        self.stdout.flush()
