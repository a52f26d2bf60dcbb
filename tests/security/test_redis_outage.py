# ruff: noqa: F811  (pytest fixtures imported from test_faults and named as parameters)
"""Redis down, in this process: every path that touches the cache fails open or closed as the
settings say (RATE_LIMIT_FAIL_OPEN_SECONDS, RATE_LIMIT_FAIL_CLOSED), never with a 500."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client

from campaign import ratelimit, safeguards
from signatures.models import Signature
from tests.backoffice import log_in, make_person
from tests.security.conftest import EMAIL, SIGN_FORM
from tests.security.test_faults import redis_down  # noqa: F401  (the fixture)


@pytest.fixture
def fresh_outage():
    """Each test meets the outage from its first second."""
    ratelimit.outage.reset()
    yield ratelimit.outage
    ratelimit.outage.reset()


@pytest.fixture
def outage_past_grace(settings, fresh_outage):
    """An outage older than ``RATE_LIMIT_FAIL_OPEN_SECONDS``: limits now fail closed."""
    settings.RATE_LIMIT_FAIL_CLOSED = True
    fresh_outage.begin()
    fresh_outage.since = time.monotonic() - settings.RATE_LIMIT_FAIL_OPEN_SECONDS - 1
    return fresh_outage


def _organiser_at_the_code_step(client):
    """An organiser logged in by emailed code, asked for their authenticator's code."""
    organiser = make_person("Organiser")
    log_in(client, organiser, second_factor=False)
    step = client.get("/organise/")["Location"]
    assert step.startswith("/en/accounts/2fa/reauthenticate/")
    return organiser, step


def _current_code(user) -> str:
    return format_hotp_value(hotp_value(user.totp_secret, int(time.time()) // 30))


# --- allauth's own limits: the second-factor step ---------------------------------------------


@pytest.mark.django_db
def test_a_wrong_totp_code_during_an_outage_is_a_form_error_not_a_500(
    client,
    launched_campaign,
    redis_down,
    fresh_outage,  # noqa: F811
):
    _organiser, step = _organiser_at_the_code_step(client)
    response = client.post(step, {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()


@pytest.mark.django_db
def test_the_right_totp_code_during_an_outage_lets_the_organiser_in(
    client,
    launched_campaign,
    redis_down,
    fresh_outage,  # noqa: F811
):
    organiser, step = _organiser_at_the_code_step(client)
    response = client.post(step, {"code": _current_code(organiser)})
    assert response.status_code == 302
    assert response["Location"] == "/organise/"


@pytest.mark.django_db
def test_past_the_grace_period_the_code_step_fails_closed(
    client,
    launched_campaign,
    redis_down,
    outage_past_grace,  # noqa: F811
):
    organiser, step = _organiser_at_the_code_step(client)
    response = client.post(step, {"code": _current_code(organiser)})
    # Refused with the "too many requests" page: the attempts cannot be counted.
    assert response.status_code == 429
    assert client.get("/organise/").status_code == 302  # still not in


@pytest.mark.django_db
def test_past_the_grace_period_without_fail_closed_the_code_step_stays_open(
    client,
    settings,
    launched_campaign,
    redis_down,
    outage_past_grace,  # noqa: F811
):
    settings.RATE_LIMIT_FAIL_CLOSED = False
    organiser, step = _organiser_at_the_code_step(client)
    response = client.post(step, {"code": _current_code(organiser)})
    assert response.status_code == 302
    assert response["Location"] == "/organise/"


def test_allauths_limiter_is_still_where_the_guard_wraps_it():
    """A new allauth that moves its limiter must fail here, not as a 500 in an outage."""
    from allauth.core.internal import ratelimit as allauth_ratelimit

    assert allauth_ratelimit._consume_single_rate.guards_outages
    assert allauth_ratelimit.clear.guards_outages
    assert allauth_ratelimit.SingleRateLimitUsage.rollback.guards_outages
    assert TOTP._mark_code_used.guards_outages


# --- The site's own limits: login codes, signing, new confirmation links ---------------------


@pytest.mark.django_db
def test_asking_for_a_login_code_during_an_outage_goes_through(
    client,
    launched_campaign,
    redis_down,
    fresh_outage,  # noqa: F811
):
    response = client.post("/en/accounts/login/code/", {"email": "someone@example.org"})
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/en/accounts/login/code/", {"email": "someone@example.org"}),
        ("/en/sign/", SIGN_FORM),
        ("/en/sign/new-link/", {"email": EMAIL}),
    ],
    ids=["login code", "sign", "new confirmation link"],
)
def test_past_the_grace_period_public_writes_answer_503_with_retry_after(
    client,
    launched_campaign,
    redis_down,
    outage_past_grace,
    path,
    data,  # noqa: F811
):
    response = client.post(path, data)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Signature.objects.exists()


@pytest.mark.django_db
def test_past_the_grace_period_without_fail_closed_signing_goes_on(
    client,
    settings,
    launched_campaign,
    redis_down,
    outage_past_grace,  # noqa: F811
):
    settings.RATE_LIMIT_FAIL_CLOSED = False
    response = client.post("/en/sign/", SIGN_FORM)
    assert response.status_code == 302
    assert Signature.objects.count() == 1


# --- Reads: the API, the page cache, the safeguards ------------------------------------------


@pytest.mark.django_db
def test_the_api_stays_open_during_an_outage(
    client,
    launched_campaign,
    redis_down,
    outage_past_grace,  # noqa: F811
):
    """The API only reads public data: its limiter fails open whatever the policy for writes."""
    response = client.get("/api/v1/count")
    assert response.status_code == 200


@pytest.mark.django_db
def test_pages_are_rendered_when_the_page_cache_is_down(
    client,
    launched_campaign,
    redis_down,
    fresh_outage,  # noqa: F811
):
    for path in ("/en/", "/fr/", "/en/supporters/", "/en/stats/"):
        assert client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_the_safeguards_fall_back_to_their_defaults(launched_campaign, redis_down):  # noqa: F811
    guards = safeguards.current()
    assert not guards.published
    assert not guards.signing_paused
    assert guards.limit("sign", "ip") == safeguards.default_limit("sign", "ip")


@pytest.mark.django_db
def test_with_the_cache_up_a_totp_code_still_works_only_once(client, launched_campaign):
    """The guard's twin: outside an outage, allauth's own rules are untouched."""
    organiser, step = _organiser_at_the_code_step(client)
    code = _current_code(organiser)
    assert client.post(step, {"code": code}).status_code == 302
    other = Client()
    log_in(other, organiser, second_factor=False)
    response = other.post(step, {"code": code})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
