"""Real parts for the outbox: an SMTP server (aiosmtpd) and HTTP servers on loopback, Huey on
SQLite and on Redis."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from huey.contrib.djhuey import HUEY
from huey.storage import PriorityRedisStorage, SqliteStorage

from tests.migrated import migrate
from tiejun.notify.channels import mail_connection_drop

REDIS_URL = "redis://127.0.0.1:6379/0"


def need_redis() -> None:
    """Skip, saying why, when no Redis listens on loopback — unless CI demands it
    (``TIEJUN_TEST_REQUIRE_REDIS=1`` in .ci/run), where a missing Redis is a failure."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", 6379)) == 0:
            return
    reason = "Redis is not running on 127.0.0.1:6379 (apt-get install redis-server)"
    if os.environ.get("TIEJUN_TEST_REQUIRE_REDIS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


TIEJUN = Path(sys.executable).with_name("tiejun")


# The sinks below listen on loopback, which the outbound rules refuse unless it is allowed.
LOOPBACK_ALLOWED = {"TIEJUN_OUTBOUND_ALLOW_HOSTS": "127.0.0.1"}


@pytest.fixture(autouse=True)
def loopback_sinks(settings):
    settings.OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; ``refuse`` answers DATA with 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.peers: list[
            Any
        ] = []  # the client's (address, port) of each message: one per connection
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        parsed["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.peers.append(session.peer)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Tiejun <tiejun@example.com>"
    yield server
    mail_connection_drop()  # the connection this thread kept to this server
    server.stop()


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Request], tuple[int, Any]]


@dataclass
class HttpServer:
    """A stand-in provider: records each request; ``respond`` decides the answer."""

    respond: Responder
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def start_http(respond: Responder) -> HttpServer:
    state = HttpServer(respond)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                "POST",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            state.requests.append(request)
            status, body = state.respond(request)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    return state


@pytest.fixture
def http_server() -> Iterator[Callable[[Responder], HttpServer]]:
    servers: list[HttpServer] = []

    def make(respond: Responder) -> HttpServer:
        server = start_http(respond)
        servers.append(server)
        return server

    yield make
    for server in servers:
        assert server.server is not None
        server.server.shutdown()
        server.server.server_close()


# --- the queue ----------------------------------------------------------------------------


@pytest.fixture
def fast_outbox(settings):
    """Small back-off and leases so retries happen in milliseconds, not minutes."""
    settings.NOTIFY_BACKOFF_SECONDS = 0.2
    settings.NOTIFY_BACKOFF_MAX_SECONDS = 0.2
    settings.NOTIFY_LEASE_SECONDS = 30
    settings.NOTIFY_MAX_ATTEMPTS = 5
    settings.NOTIFY_HTTP_TIMEOUT = 5
    settings.NOTIFY_RATE_LIMITS = dict.fromkeys(settings.NOTIFY_RATE_LIMITS, "")
    return settings


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path, fast_outbox):
    """Huey for real, on SQLite storage or on Redis (a queue name of its own per test)."""
    original = HUEY.storage
    name = f"tj-test-{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        storage: Any = SqliteStorage(name=name, filename=str(tmp_path / "queue.sqlite3"))
    else:
        need_redis()
        storage = PriorityRedisStorage(name=name, url=REDIS_URL)
    HUEY.storage = storage
    yield HUEY
    storage.flush_all()
    HUEY.storage = original


@pytest.fixture
def enqueue(django_capture_on_commit_callbacks):
    """``message_enqueue`` as a caller's committed transaction sees it: on-commit hooks run."""
    from tiejun.notify.services import message_enqueue

    def call(**kwargs: Any):
        with django_capture_on_commit_callbacks(execute=True):
            return message_enqueue(**kwargs)

    return call


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tj-worker-template")
    db = folder / "db.sqlite3"
    env = {**os.environ, "TIEJUN_HOME": str(folder), "TIEJUN_DATABASE_URL": f"sqlite:///{db}"}
    migrate(env, timeout=300)
    return db
