"""Abuse tests: every test starts with the rate limiter's outage state cleared and leaves the
kill switches' published copy as it found it (the cache is cleared by tests/conftest.py)."""

from __future__ import annotations

import pytest

from campaign import ratelimit
from campaign.models import OutboundEmail
from signatures.models import Signature
from tests.organise.conftest import campaign, client_as, log_in, make_person, person  # noqa: F401

SIGNER = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "field_of_work": "writer",
    "country": "GB",
    "name_display": "full",
    "agree": "on",
}


@pytest.fixture(autouse=True)
def _fresh_limiter():
    ratelimit.outage.reset()
    yield
    ratelimit.outage.reset()


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the sign form (as ``ip``), running what is queued after commit, as a worker would."""

    def post(language: str = "en", ip: str = "198.51.100.7", **fields):
        data = {**SIGNER, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/{language}/sign/", data, REMOTE_ADDR=ip)

    return post


def signature_of(email: str) -> Signature:
    return Signature.objects.select_related("supporter").get(supporter__email=email)


def emails_to(address: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(recipient=address).order_by("id"))


@pytest.fixture
def limits(db):
    """``limits(sign__ip=(2, 600))``: organisers' limits, stored and published."""
    from abuse import safeguards
    from abuse.models import RateLimit

    def set_limits(**values):
        for key, (limit, window) in values.items():
            scope, per = key.split("__")
            RateLimit.objects.update_or_create(
                scope=scope, per=per, defaults={"limit": limit, "window_seconds": window}
            )
        return safeguards.publish()

    return set_limits
