"""Real services for integration tests, each started by the test on its own free port and
stopped at teardown, even when the test fails:

- ``redis_server``: a ``redis-server`` subprocess (no persistence), with ``stop()``/``start()``
  to take it down and bring it back on the same port;
- ``smtp_server``: an aiosmtpd server that records what it accepts (``.messages``) and can
  refuse (``refuse_for``), reject a recipient (``reject_recipient``) or hang (``stall``);
- ``celery_broker``: this test process publishing to that Redis (not eager any more);
- ``celery_worker``: a real ``celery worker`` subprocess on the test database (PostgreSQL),
  that Redis and that SMTP server, with ``kill()`` (SIGKILL) and ``start()``.

Tests using them are marked ``services``; they skip when PostgreSQL or ``redis-server`` is
missing, and fail instead in CI (``REQUIRE_SERVICES=1``). Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection

from tests.conftest import configure_broker, need_service

BASE_DIR = Path(__file__).resolve().parents[2]
TEST_TEMPLATES = BASE_DIR / "tests" / "templates"

# Short enough for the whole suite to take well under a minute; the worker and this process
# use the same values.
LEASE_SECONDS = 5
RETRY_BASE_SECONDS = 1
EMAIL_TIMEOUT = 3

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    details: Callable[[], str] = lambda: "",
) -> T:
    """Poll ``condition`` until it returns something true, and return that; fail after
    ``timeout`` seconds, saying ``what`` we waited for (and ``details()``, e.g. a log)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"Waited {timeout:g}s for {what}, in vain.\n{details()}", pytrace=False)
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _end(process: subprocess.Popen | None, *, grace: float) -> None:
    """Stop ``process`` with SIGTERM, then SIGKILL if it has not exited within ``grace``."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- Redis --------------------------------------------------------------------------------


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1:``port``, without persistence."""

    host = "127.0.0.1"

    def __init__(self, binary: str, port: int, log_path: Path) -> None:
        self.binary = binary
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--bind", self.host, "--port", str(self.port)]
                + ["--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.ping, timeout=10, what="redis-server to answer", details=self._details)

    def stop(self) -> None:
        _end(self.process, grace=5)

    def ping(self) -> bool:
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.exceptions.RedisError:
            return False
        finally:
            client.close()

    def _details(self) -> str:
        return _tail(self.log_path)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A Redis server of this test's own (never the shared one on 6379)."""
    binary = shutil.which("redis-server")
    need_service("redis-server", binary is not None)
    server = RedisServer(binary, free_port(), tmp_path / "redis.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- SMTP ---------------------------------------------------------------------------------


class RecordingHandler:
    """aiosmtpd handler: records accepted messages; may refuse, reject or stall on demand.

    Its coroutines run in the controller's thread; the counters are read from the test's.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.refuse_until = 0.0
        self.refusals = 0
        self.rejected: set[str] = set()
        self.stall_seconds = 0.0
        self.stalls_left = 0
        self.stalled = threading.Event()
        self.abandoned = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.rejected:
            return "550 5.1.1 No such user here"
        if time.monotonic() < self.refuse_until:
            self.refusals += 1
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.stalls_left > 0:
            # Hang after the whole message arrived, before saying it is accepted. If the client
            # disappears meanwhile, aiosmtpd cancels this coroutine: the message was not taken.
            self.stalls_left -= 1
            self.stalled.set()
            try:
                await asyncio.sleep(self.stall_seconds)
            except asyncio.CancelledError:
                self.abandoned += 1
                raise
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(message)
        return "250 2.0.0 Accepted"


class SmtpServer:
    """An SMTP server on 127.0.0.1:``port`` for Django's SMTP backend (``EMAIL_URL``)."""

    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.controller = Controller(self.handler, hostname=self.host, port=port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages accepted so far (a copy)."""
        with self.handler.lock:
            return list(self.handler.messages)

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]

    @property
    def refusals(self) -> int:
        return self.handler.refusals

    @property
    def abandoned(self) -> int:
        """Conversations cut by the client while the server stalled (nothing was accepted)."""
        return self.handler.abandoned

    def refuse_for(self, seconds: float) -> None:
        """Answer every recipient with "451 try again later" for ``seconds`` from now."""
        self.handler.refuse_until = time.monotonic() + seconds

    def reject_recipient(self, address: str) -> None:
        """Refuse ``address`` for good ("550 no such user")."""
        self.handler.rejected.add(address.lower())

    def stall(self, seconds: float, *, count: int = 1) -> None:
        """Hang ``seconds`` before accepting each of the next ``count`` messages."""
        self.handler.stall_seconds = seconds
        self.handler.stalled.clear()
        self.handler.stalls_left = count

    def wait_until_stalled(self, timeout: float) -> None:
        if not self.handler.stalled.wait(timeout):
            pytest.fail(f"No message reached the stalling SMTP server in {timeout:g}s.")

    def wait_for_messages(self, count: int, timeout: float) -> list[EmailMessage]:
        return wait_until(
            lambda: len(self.messages) >= count and self.messages,
            timeout=timeout,
            what=f"{count} message(s) at the SMTP server (got {len(self.messages)})",
        )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


# --- Celery -------------------------------------------------------------------------------


@pytest.fixture
def celery_broker(redis_server, settings):
    """Make this test process publish tasks to ``redis_server`` instead of running them
    eagerly, with the worker's outbox timings; everything is restored afterwards."""
    from campaign.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_LEASE_SECONDS = LEASE_SECONDS
    settings.OUTBOX_RETRY_BASE_SECONDS = RETRY_BASE_SECONDS
    settings.EMAIL_TIMEOUT = EMAIL_TIMEOUT
    configure_broker(broker_url=redis_server.url, task_always_eager=False)
    try:
        yield app
    finally:
        configure_broker(**saved)


def database_url_for_worker() -> str:
    """A ``DATABASE_URL`` for the database this test runs on (pytest-django's ``test_…``)."""
    db = connection.settings_dict
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


class CeleryWorker:
    """``celery -A campaign worker --pool=solo`` as a subprocess; each start logs to its own
    file under ``log_dir``. Start another one on the same ``env`` to have two competing."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, label: str = "worker") -> None:
        self.env = env
        self.log_dir = log_dir
        self.label = label
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def name(self) -> str:
        return f"outbox-test-{os.getpid()}-{self.label}-{self.starts}@localhost"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.label}-{self.starts}.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, timeout: float = 30) -> None:
        """Start a worker process and return once it consumes the queue."""
        self.starts += 1
        command = [sys.executable, "-m", "celery", "-A", "campaign", "worker"]
        command += ["--pool=solo", "-Q", "celery", "--loglevel=INFO", "-n", self.name]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._is_ready, timeout=timeout, what="the Celery worker", details=self.log)

    def _is_ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited.\n{self.log()}", pytrace=False)
        return " ready." in self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a pulled plug would: no cleanup at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        _end(self.process, grace=10)

    def log(self) -> str:
        """The end of every log this worker wrote, one per start."""
        return "\n".join(
            f"--- {path.name} ---\n{_tail(path)}"
            for path in sorted(self.log_dir.glob(f"{self.label}-*.log"))
        )


@pytest.fixture
def celery_worker(transactional_db, redis_server, smtp_server, celery_broker, tmp_path):
    """A real Celery worker on the test database, ``redis_server`` and ``smtp_server``.

    Needs PostgreSQL (the worker is another process: it cannot see SQLite's in-memory test
    database) and commits (``transactional_db``). Stopped before the database is flushed.
    """
    need_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url_for_worker(),
        "REDIS_URL": redis_server.url,
        "EMAIL_URL": smtp_server.url,
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_RETRY_BASE_SECONDS": str(RETRY_BASE_SECONDS),
        "CACHE_KEY_PREFIX": f"outbox-test-{os.getpid()}",
        "PYTHONUNBUFFERED": "1",
    }
    worker = CeleryWorker(env, tmp_path)
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        print(worker.log())  # shown by pytest only when the test failed


@pytest.fixture
def email_test_templates(settings):
    """Let ``enqueue_email`` render the test-only kinds in ``tests/templates/email/``."""
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]
    settings.SITE_URL = "https://appeal.example"
