"""The client's address: REMOTE_ADDR, or X-Forwarded-For counted back over trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from campaign.clientip import client_ip, ip_key, ip_range, limit_bucket, parse_ip

factory = RequestFactory()


def request(remote: str = "10.0.0.2", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return factory.get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No trusted proxy: the header is anyone's to write, and is ignored.
        (0, "203.0.113.9", "10.0.0.2"),
        # One proxy (the load balancer) appended the address it saw; the first hop is the
        # client's own claim and must not be believed.
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (1, "203.0.113.9", "203.0.113.9"),
        # Two proxies (CDN, then load balancer): the second entry from the right.
        (2, "6.6.6.6, 203.0.113.9, 198.51.100.1", "203.0.113.9"),
        # Fewer entries than proxies: the request bypassed them; the connection counts.
        (2, "203.0.113.9", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        # Garbage where the address should be: the connection counts.
        (1, "1.2.3.4, not-an-address", "10.0.0.2"),
        # Ports and brackets, as some proxies write them.
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "203.0.113.9:51000", "203.0.113.9"),
    ],
)
def test_trusted_proxies_are_counted_from_the_right(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded=forwarded)) == expected


def test_a_spoofed_first_hop_changes_nothing(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    honest = client_ip(request(forwarded="203.0.113.9"))
    spoofed = client_ip(request(forwarded="8.8.8.8, 203.0.113.9"))
    assert honest == spoofed == "203.0.113.9"


def test_ipv4_mapped_addresses_read_as_ipv4():
    assert str(parse_ip("::ffff:203.0.113.9")) == "203.0.113.9"
    assert client_ip(request(remote="::ffff:203.0.113.9")) == "203.0.113.9"


def test_ranges_keys_and_buckets():
    assert ip_range("203.0.113.77") == "203.0.113.0/24"
    assert ip_range("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert ip_range("nonsense") == ""
    assert ip_key("203.0.113.7") == "4:cb007107"
    assert ip_key("203.0.113.7") < ip_key("203.0.113.8") < ip_key("203.0.114.0")
    assert (
        limit_bucket("2001:db8:1:2:3:4:5:6") == limit_bucket("2001:db8:1:2::9") == "2001:db8:1:2::"
    )
    assert limit_bucket("203.0.113.7") == "203.0.113.7"


def test_the_api_limiter_reads_the_same_address(settings):
    from api.http import client_key

    settings.TRUSTED_PROXY_COUNT = 1
    assert client_key(request(forwarded="8.8.8.8, 203.0.113.9")) == "203.0.113.9"


def test_allauth_reads_the_same_address(settings):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(request(forwarded="8.8.8.8, 203.0.113.9")) == ("203.0.113.9")
