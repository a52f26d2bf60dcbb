"""Shared fixtures. Tests that need a real service call ``need_service``: they skip when the
service is missing on a developer's machine and fail in CI, where ``REQUIRE_SERVICES=1``."""

from __future__ import annotations

import os

import pytest

from campaign.installation import install_launch_content


def need_service(name: str, available: bool) -> None:
    """Skip (or, when ``REQUIRE_SERVICES`` is set, fail) a test whose service is missing."""
    if available:
        return
    message = f"{name} is not available"
    if os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}:
        pytest.fail(f"{message}, and REQUIRE_SERVICES is set", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def launched_campaign(db):
    """The campaign as ``load_campaign`` installs it."""
    campaign, _changed = install_launch_content()
    return campaign


@pytest.fixture(autouse=True)
def _isolated_tasks_and_cache(settings):
    """Unit tests run Celery tasks in-process and start from an empty cache.

    In CI ``REDIS_URL`` points at a real Redis, so the cache tests exercise it; tasks still run
    eagerly here, and the integration tests (tests/integration) start a real worker instead.
    """
    from django.core.cache import cache

    from campaign.celery import app

    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Tests change the campaign behind the ORM's back and read it again at once: no copies
    # kept in the process (campaign/selectors.py; tests/campaign/test_campaign_copies.py).
    settings.CAMPAIGN_CACHE_SECONDS = 0
    app.conf.task_always_eager = True
    cache.clear()
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language: a French page requested by one test
    (the locale middleware activates French in this thread) must not turn the next test's lazy
    messages and reversed URLs French."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's ``admin_client``, with the second factor ``/admin/`` requires."""
    from tests.backoffice import log_in_admin

    return log_in_admin(client, admin_user)


def configure_broker(**values) -> None:
    """Point this process's Celery app elsewhere (``broker_url``, ``task_always_eager``…).

    The app's broker connections live in kombu's process-wide pools, keyed by broker; closing
    one and leaving it registered breaks every later publish, eager ones included ("Acquire on
    closed pool"). So every pool is closed *and* forgotten, and the app builds fresh ones.
    """
    from kombu import pools

    from campaign.celery import app

    app.conf.update(**values)
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
