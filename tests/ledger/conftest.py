"""Fixtures for the ledger's tests: a live campaign and helpers that play a signature's life
through the ledger's own API (``ledger.services``)."""

from __future__ import annotations

import io

import pytest

from campaign.models import Campaign
from ledger import services
from ledger.verification import verifier, verify

# The browser fixtures, for test_browser.py. Imported here and not into the test module: a
# package-scoped fixture imported into a module outlives its package, and the next package's
# Chromium then fails to start ("Sync API inside the asyncio loop").
from tests.e2e.conftest import browser, live_site, new_page, nojs_page, phone_page  # noqa: F401

# A fixed key for the tests (Django runs them with DEBUG off, where the development key is refused).
TEST_SEED_B64 = "bGVkZ2VyLXRlc3Qta2V5LW5vdC1mb3ItcHJvZC11c2U="


@pytest.fixture(autouse=True)
def _signing_key(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SEED_B64


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(
        slug="test-appeal",
        title="Test appeal",
        summary="A test.",
        appeal="Sign this.",
        status=Campaign.Status.LIVE,
    )


class Signer:
    """One signature's commitment, made as the signatures app will make it."""

    def __init__(self, campaign: Campaign, ref: int) -> None:
        self.campaign = campaign
        self.salt = services.new_salt()
        self.ref = f"signature:{ref}"
        self.commitment = services.commitment(self.salt, self.ref)

    def record(self, kind: str, reason: str = ""):
        return services.record(
            campaign=self.campaign, kind=kind, commitment=self.commitment, reason=reason
        )


@pytest.fixture
def signer(campaign):
    made = iter(range(1, 10_000))
    return lambda: Signer(campaign, next(made))


def verification_output() -> tuple[bool, str]:
    out = io.StringIO()
    ok = verifier().print_reports(verify(), out=out)
    return ok, out.getvalue()


def site_shows(campaign: Campaign, count: int) -> list[services.CountCheck]:
    """What the count job does (the signatures app is not involved here): sequence, count
    (here: ``count``) and compare in one snapshot, then store the count."""
    checks = services.sequence_and_count(count=lambda: {campaign.pk: count}).checks
    Campaign.objects.filter(pk=campaign.pk).update(signature_count=count)
    return checks
