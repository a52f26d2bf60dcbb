"""Faults: PostgreSQL unreachable gives every page a plain 503 page (translated, with
``Retry-After``, no stack trace, never a 500), whether a view or a middleware found out; Redis
unreachable leaves signing working (the cache and the Celery hand-off fail open, the outbox
sweeper delivers later).

Each fault is tried twice: in this process, by making the database connection refuse (quick,
precise about where the failure happens), and on the real thing, a gunicorn process started
with production settings and a ``DATABASE_URL`` or ``REDIS_URL`` pointing at a closed port.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from django.test import Client

from campaign.celery import app as celery_app
from campaign.models import OutboundEmail
from signatures.models import Signature
from tests.conftest import configure_broker

from .conftest import EMAIL, SIGN_FORM

ROOT = Path(__file__).resolve().parents[2]
REFUSED = 'connection to server at "127.0.0.1", port 1 failed: Connection refused'
UNAVAILABLE_EN = "The appeal is briefly unavailable"


def assert_unavailable_page(response, language: str = "en") -> None:
    html = response.text if hasattr(response, "text") else response.content.decode()
    assert response.status_code == 503, html[:3000]
    assert int(response.headers["Retry-After"]) > 0
    assert "no-store" in response.headers["Cache-Control"]
    assert f'<html lang="{language}">' in html
    assert "Traceback" not in html and "OperationalError" not in html and "port 1" not in html
    if language == "en":
        assert UNAVAILABLE_EN in html


# --- PostgreSQL down, in this process -------------------------------------------------------


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def database_down(monkeypatch):
    """From now on every query fails as it does when PostgreSQL cannot be reached."""

    def refuse(self, *args, **kwargs):
        raise OperationalError(REFUSED)

    def go_down() -> None:
        monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)

    return go_down


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "language"),
    [("/en/", "en"), ("/fr/", "fr"), ("/en/supporters/", "en"), ("/fr/stats/", "fr")],
)
def test_pages_answer_503_when_the_database_is_down(
    client, launched_campaign, database_down, url, language
):
    database_down()
    assert_unavailable_page(client.get(url), language)


@pytest.mark.django_db
def test_signing_answers_503_when_the_database_is_down(client, launched_campaign, database_down):
    database_down()
    assert_unavailable_page(client.post("/en/sign/", SIGN_FORM))


@pytest.mark.django_db
def test_a_failure_inside_a_middleware_gives_the_same_page(
    client, launched_campaign, database_down
):
    """With a session cookie, the back office's gate loads the session (and the user) in a
    middleware, before any view: handler500 turns that failure into the 503 page."""
    client.cookies["sessionid"] = "x" * 32
    database_down()
    assert_unavailable_page(client.get("/organise/"))


@pytest.mark.django_db
def test_the_api_answers_503_in_json(client, launched_campaign, database_down):
    database_down()
    response = client.get("/api/v1/supporters")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert UNAVAILABLE_EN in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_page_in_the_page_cache_is_still_served(
    client, launched_campaign, database_down, settings
):
    settings.PUBLIC_PAGE_CACHE = True
    assert client.get("/en/about/").status_code == 200

    database_down()
    assert client.get("/en/about/").status_code == 200
    assert_unavailable_page(client.get("/en/why-it-matters/"))


@pytest.mark.django_db
def test_the_page_falls_back_to_plain_text_if_its_template_fails(
    client, launched_campaign, database_down, monkeypatch
):
    monkeypatch.setattr("campaign.security.render_to_string", lambda *a, **k: 1 / 0)
    database_down()
    response = client.get("/en/")

    assert response.status_code == 503
    assert UNAVAILABLE_EN in response.content.decode()


@pytest.mark.django_db
def test_other_errors_still_answer_the_500_page(client, launched_campaign, monkeypatch):
    monkeypatch.setattr("pages.views.selectors.current_campaign", lambda **kw: 1 / 0)
    response = client.get("/en/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response


# --- Redis down, in this process ------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """The cache and the Celery broker on a Redis that is not there; tasks no longer eager."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    # Redis holds the default cache; the other aliases (in-process ones) stay as configured.
    settings.CACHES = settings.CACHES | {
        "default": {"BACKEND": "campaign.cache.RedisCache", "LOCATION": url}
    }
    settings.PUBLIC_PAGE_CACHE = True
    saved = {"broker_url": celery_app.conf.broker_url, "task_always_eager": True}
    configure_broker(broker_url=url, task_always_eager=False)
    yield url
    configure_broker(**saved)


@pytest.mark.django_db
def test_signing_works_while_redis_is_down(
    client, launched_campaign, redis_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/sign/", SIGN_FORM)

    assert response.status_code == 302
    assert response["Location"] == "/en/sign/check-your-email/"
    assert time.monotonic() - started < 20
    signature = Signature.objects.get()
    assert signature.supporter.email.lower() == EMAIL.lower()
    # The confirmation is stored, queued for the sweeper: nothing is lost.
    email = OutboundEmail.objects.get(kind="confirm_signature")
    assert email.status == OutboundEmail.Status.QUEUED
    # The pages around it still answer, the page cache being a miss.
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/en/").status_code == 200


# --- The real thing: gunicorn with production settings ------------------------------------


class Site:
    """``gunicorn`` on 127.0.0.1 with the Procfile's configuration, one worker."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = closed_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = env | {
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            "SITE_URL": self.url,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "campaign.wsgi:application"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "PUBLIC_PAGE_CACHE"}
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "tests.security.production_settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{closed_port()}",
        **extra,
    }


@pytest.fixture
def site(tmp_path) -> Iterator:
    """``site(**env)`` starts the site; it is stopped at teardown."""
    started: list[Site] = []

    def start(**env: str) -> Site:
        running = Site(production_env(**env), tmp_path / f"gunicorn-{len(started)}.log")
        started.append(running)
        running.start()
        return running

    yield start
    for running in started:
        running.stop()


def test_the_site_answers_503_on_every_page_when_postgresql_is_unreachable(site):
    running = site(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/sii")
    cookie = {"sessionid": "x" * 32}

    with httpx.Client(base_url=running.url, timeout=20) as http:
        for url in ["/en/", "/en/supporters/", "/en/stats/", "/en/why-it-matters/"]:
            assert_unavailable_page(http.get(url))
        assert_unavailable_page(http.get("/fr/"), "fr")
        assert_unavailable_page(http.post("/en/sign/", data=SIGN_FORM))
        # A session cookie: the failure comes from a middleware, before any view.
        assert_unavailable_page(http.get("/organise/", cookies=cookie))
        assert http.get("/api/v1/count").status_code == 503
        assert http.get("/healthz").status_code == 200  # the process itself is fine


def test_signing_works_when_redis_is_unreachable(site, tmp_path):
    database = tmp_path / "site.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{database}")
    setup = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); call_command('load_campaign')"
    )
    subprocess.run(
        [sys.executable, "-c", setup],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    running = site(
        DATABASE_URL=f"sqlite:///{database}", REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"
    )

    with httpx.Client(base_url=running.url, timeout=30) as http:
        assert http.get("/en/").status_code == 200  # the page cache is a miss, not an error
        signed = http.post("/en/sign/", data=SIGN_FORM)
        assert signed.status_code == 302, signed.text[:3000]
        assert signed.headers["Location"] == "/en/sign/check-your-email/"
        assert http.get("/en/sign/check-your-email/").status_code == 200

    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM signatures_signature").fetchone() == (1,)
        # The confirmation email waits in the outbox for the sweeper: not lost.
        assert db.execute(
            "SELECT status FROM campaign_outboundemail WHERE kind = 'confirm_signature'"
        ).fetchall() == [("queued",)]
