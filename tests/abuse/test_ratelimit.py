"""Rate limits per client address and per email on signing, new links, login codes and
verification requests: a 429 page in the page's language; a cache outage fails open for a
short window, then closed; never a 500."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory

from campaign import ratelimit
from campaign.models import OutboundEmail
from campaign.safeguards import Scope
from signatures.models import Signature, Supporter
from tests.conftest import need_service
from tests.factories import SignatureFactory, SupporterFactory, UserFactory

from .conftest import SIGNER, emails_to

pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = {
    "BACKEND": "campaign.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}


def assert_refused_in(response, language: str):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f'href="/{language}/"' in html  # the links stay in the page's language


# --- Signing -----------------------------------------------------------------------------------


def test_signing_is_limited_per_address(campaign, sign, limits):
    limits(sign__ip=(2, 600), sign__email=(0, 600))
    first = sign(email="one@example.org", ip="203.0.113.5")
    second = sign(email="two@example.org", ip="203.0.113.5")
    third = sign("fr", email="three@example.org", ip="203.0.113.5")
    other_address = sign(email="four@example.org", ip="203.0.113.6")

    assert first.status_code == second.status_code == other_address.status_code == 302
    assert_refused_in(third, "fr")
    assert not Supporter.objects.filter(email="three@example.org").exists()
    assert not emails_to("three@example.org")


def test_signing_is_limited_per_canonical_email_whatever_the_address(campaign, sign, limits):
    limits(sign__ip=(0, 600), sign__email=(2, 3600))
    assert sign(email="ada.lovelace@gmail.com", ip="203.0.113.1").status_code == 302
    assert sign(email="adalovelace+x@gmail.com", ip="198.51.100.2").status_code == 302
    refused = sign("fr", email="Ada.Love.Lace+y@googlemail.com", ip="192.0.2.3")
    assert_refused_in(refused, "fr")
    assert sign(email="grace@example.org", ip="192.0.2.3").status_code == 302


def test_a_spoofed_forwarded_header_does_not_reset_the_count(campaign, client, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits(sign__ip=(1, 600), sign__email=(0, 600))
    statuses = [
        client.post(
            "/en/sign/",
            {**SIGNER, "email": f"p{n}@example.org"},
            REMOTE_ADDR="10.0.0.1",  # the load balancer
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.9",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 429, 429]


def test_gets_are_never_counted(campaign, client, limits):
    limits(sign__ip=(1, 600))
    assert [client.get("/en/sign/").status_code for _ in range(3)] == [200, 200, 200]


def test_the_limit_lifts_when_its_window_ends(campaign, sign, limits, monkeypatch):
    limits(sign__ip=(1, 60), sign__email=(0, 60))
    now = time.time()
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    assert sign(email="a@example.org").status_code == 302
    refused = sign(email="b@example.org")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    monkeypatch.setattr(ratelimit.time, "time", lambda: now + 61)
    assert sign(email="b@example.org").status_code == 302


# --- A new confirmation link, a login code, a verification request ---------------------------


def test_new_links_are_limited_per_address_and_per_email(campaign, client, limits):
    limits(resend__ip=(3, 600), resend__email=(2, 3600))
    post = lambda email, ip: client.post(  # noqa: E731
        "/fr/sign/new-link/", {"email": email}, REMOTE_ADDR=ip
    )
    assert post("ada@example.org", "203.0.113.1").status_code == 302
    assert post("ada@example.org", "203.0.113.2").status_code == 302
    assert_refused_in(post("ADA@example.org", "203.0.113.3"), "fr")  # the same email
    assert post("b@example.org", "198.51.100.1").status_code == 302
    assert post("c@example.org", "198.51.100.1").status_code == 302
    assert post("d@example.org", "198.51.100.1").status_code == 302
    assert_refused_in(post("e@example.org", "198.51.100.1"), "fr")  # the same address


def test_login_codes_are_limited_per_email(campaign, client, limits):
    limits(login_code__ip=(0, 600), login_code__email=(2, 900))
    UserFactory(email="ada@example.org")
    before = OutboundEmail.objects.count()
    statuses = []
    for n in range(3):
        response = client.post(
            "/fr/accounts/login/code/", {"email": "ada@example.org"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
        statuses.append(response.status_code)
        client.cookies.clear()
    assert statuses[:2] == [302, 302]
    assert statuses[2] == 429
    assert_refused_in(response, "fr")
    assert OutboundEmail.objects.count() - before == 2  # two codes sent, not three


def test_login_codes_are_limited_per_address(campaign, client, limits):
    limits(login_code__ip=(1, 600), login_code__email=(0, 900))
    first = client.post("/en/accounts/login/code/", {"email": "a@example.org"})
    client.cookies.clear()
    second = client.post("/en/accounts/login/code/", {"email": "b@example.org"})
    assert first.status_code == 302
    assert_refused_in(second, "en")


def test_verification_requests_are_limited_per_account(campaign, client, limits):
    limits(verification__ip=(0, 600), verification__email=(2, 3600))
    user = UserFactory(email="ada@example.org")
    SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(email="ada@example.org", user=user)
    )
    client.force_login(user)
    statuses = [
        client.post("/fr/account/verify/link/", {"page_url": "not a url"}).status_code
        for _ in range(3)
    ]
    assert statuses[:2] != [429, 429] and 429 not in statuses[:2]
    assert statuses[2] == 429


# --- The existing per-signature email limits, under the same attack -------------------------


def test_a_flood_on_one_address_sends_at_most_five_emails_ever(campaign, sign, limits, settings):
    limits(sign__ip=(0, 600), sign__email=(0, 600))  # the attacker beat the rate limits
    responses = []
    for n in range(12):
        responses.append(sign(email="victim@example.org", ip=f"203.0.113.{n}"))
        # Each attempt comes after the email interval, so only the lifetime cap holds.
        Signature.objects.update(last_email_at=None)
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {"/en/sign/check-your-email/"}
    assert len(emails_to("victim@example.org")) == settings.SIGNATURE_MAX_EMAILS


def test_signing_again_after_confirming_shows_nothing_and_emails_once(campaign, sign, limits):
    limits(sign__ip=(0, 600), sign__email=(0, 600))
    sign(email="ada@example.org")
    signed = Signature.objects.get()
    # Confirmed, a while after the confirmation email.
    Signature.objects.update(status="confirmed", confirmed_at=signed.created_at, last_email_at=None)
    again = [sign(email="ada@example.org", ip=f"198.51.100.{n}") for n in range(4)]
    assert {r["Location"] for r in again} == {"/en/sign/check-your-email/"}
    kinds = [email.kind for email in emails_to("ada@example.org")]
    assert kinds == ["confirm_signature", "already_signed"]  # once per interval


# --- Speed: no query, one round trip -----------------------------------------------------------


def test_checking_costs_no_query(campaign, limits, django_assert_num_queries):
    limits()
    request = RequestFactory().post("/en/sign/", {"email": "a@example.org"})
    with django_assert_num_queries(0):
        assert ratelimit.check(request, scope=Scope.SIGN, email="a@example.org").allowed


def test_with_redis_every_counter_moves_in_one_round_trip(campaign, limits, monkeypatch):
    cache = caches["default"]
    need_service("Redis", isinstance(cache, RedisCache))
    limits()
    import redis.client

    executed = []
    original = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: executed.append(len(self.command_stack)) or original(self, *a, **k),
    )
    request = RequestFactory().post("/en/sign/")
    for _ in range(3):
        assert ratelimit.check(request, scope=Scope.SIGN, email="a@example.org").allowed
    assert executed == [4, 4, 4]  # SET NX + INCR for the address and for the email, at once


# --- The cache unreachable ---------------------------------------------------------------------


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {**settings.CACHES, "down": CLOSED_PORT_REDIS}
    settings.RATE_LIMIT_CACHE = "down"
    settings.RATE_LIMIT_FAIL_OPEN_SECONDS = 60
    return settings


def _age_outage(seconds: float) -> None:
    ratelimit.outage.since = time.monotonic() - seconds
    ratelimit.outage.last_probe = time.monotonic() - seconds


def test_cache_down_fails_open_within_the_window_then_closed(campaign, sign, cache_down):
    assert sign(email="a@example.org").status_code == 302
    assert sign(email="b@example.org").status_code == 302
    assert Supporter.objects.count() == 2
    _age_outage(61)
    refused = sign("fr", email="c@example.org")
    assert refused.status_code == 503
    assert refused["Retry-After"]
    assert '<html lang="fr">' in refused.content.decode()
    assert not Supporter.objects.filter(email="c@example.org").exists()


def test_cache_down_stays_open_when_the_setting_says_so(campaign, sign, cache_down):
    cache_down.RATE_LIMIT_FAIL_CLOSED = False
    sign(email="a@example.org")
    _age_outage(600)
    assert sign(email="b@example.org").status_code == 302


def test_the_limits_come_back_with_the_cache(campaign, sign, cache_down, settings):
    sign(email="a@example.org")
    _age_outage(61)
    assert sign(email="b@example.org").status_code == 503
    settings.RATE_LIMIT_CACHE = "default"
    ratelimit.outage.last_probe = 0  # the next request tries the cache again
    assert sign(email="b@example.org").status_code == 302
    assert ratelimit.outage.since is None


def test_while_down_the_dead_cache_is_not_tried_on_every_request(campaign, cache_down, monkeypatch):
    calls = []
    original = ratelimit._increment
    monkeypatch.setattr(ratelimit, "_increment", lambda keys: calls.append(1) or original(keys))
    request = RequestFactory().post("/en/sign/", REMOTE_ADDR="203.0.113.1")
    for _ in range(5):
        assert ratelimit.check(request, scope=Scope.SIGN).allowed
    assert len(calls) == 1
