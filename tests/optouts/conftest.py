"""An artist who signed and was verified, logged in, and a web server on 127.0.0.1 serving the
pages the opt-out checks fetch."""

from __future__ import annotations

import pytest
from django.utils import timezone

from optouts import services
from signatures.models import Supporter
from signatures.services import ensure_account, profile_permalink, refresh_signature_counts
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory
from tests.signatures.test_verification import PageServer


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def make_artist(campaign, *, verified: bool = True, **fields) -> Supporter:
    supporter = SupporterFactory(**fields)
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    if verified:
        Supporter.objects.filter(pk=supporter.pk).update(
            verified_at=timezone.now(), verification_method="link_back"
        )
        supporter.refresh_from_db()
    ensure_account(supporter=supporter)
    refresh_signature_counts()
    return supporter


@pytest.fixture
def artist(campaign) -> Supporter:
    return make_artist(
        campaign,
        full_name="Nina Painter",
        email="nina.private@example.org",
        field_of_work="visual-artist",
        isni="0000000121032683",
    )


@pytest.fixture
def unverified(campaign) -> Supporter:
    return make_artist(campaign, verified=False, full_name="Uma Unverified")


@pytest.fixture
def pages(settings):
    settings.LINKCHECK_ALLOW_HTTP = True
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.LINKCHECK_TIMEOUT = 1
    server = PageServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def proof_for(supporter: Supporter) -> str:
    return f'<p>See <a rel="me" href="{profile_permalink(supporter)}">my appeal profile</a></p>'


@pytest.fixture
def declare(django_capture_on_commit_callbacks):
    """Declare for ``supporter`` at ``locations``, running the checks as a worker would."""

    def run(supporter, locations, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.declare(supporter=supporter, locations=locations, **kwargs)

    return run


@pytest.fixture
def published(artist, pages, declare):
    """The artist's declaration with one checked place (published) and one refused place."""
    good = pages.page("/works/", proof_for(artist))
    bad = pages.page("/other/", "<p>no proof here</p>")
    return declare(artist, [good, bad], licensing_url="https://agent.example/licensing")
