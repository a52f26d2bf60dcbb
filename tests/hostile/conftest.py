"""Fixtures for the tests that try to break the site: the launched campaign, rate limits off
(they are tested in tests/abuse; here they would only turn a burst of hostile posts into 429
pages), a signatory logged in to their account, an Organiser's client, and the isolation of
each hypothesis example (``rolled_back``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from signatures.models import Supporter
from signatures.services import ensure_account
from tests.backoffice import log_in, make_person
from tests.factories import SignatureFactory, SupporterFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def campaign(launched_campaign):
    return launched_campaign


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one hypothesis example in a savepoint that is rolled back, from an empty cache, so
    that no example sees what an earlier one stored (function-scoped fixtures are shared by
    every example of a test)."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def signatory(campaign, *, verified: bool = False, **fields) -> Supporter:
    """A confirmed signatory with the account confirming creates (verified if asked)."""
    supporter = SupporterFactory(**fields)
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    if verified:
        Supporter.objects.filter(pk=supporter.pk).update(
            verified_at=timezone.now(), verification_method="link_back"
        )
        supporter.refresh_from_db()
    ensure_account(supporter=supporter)
    return supporter


@pytest.fixture
def member(campaign, client) -> Supporter:
    """A verified signatory, logged in (``client``): the account page and opt-out forms."""
    supporter = signatory(
        campaign, verified=True, full_name="Nina Painter", email="nina@example.org"
    )
    client.force_login(supporter.user)
    return supporter


@pytest.fixture
def organiser_client(campaign) -> Client:
    """A client of its own, logged in as an Organiser with the second factor passed."""
    return log_in(Client(), make_person("Organiser"))
