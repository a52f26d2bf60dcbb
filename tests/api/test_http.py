"""What every API answer shares: caching headers and ETags, CORS for GET, the rate limit, the
schema and a docs page that loads nothing from elsewhere."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from tests.api.openapi import assert_matches

pytestmark = pytest.mark.django_db

PATHS = [
    "count",
    "campaign",
    "supporters",
    "optouts/",
    "optouts.jsonl",
    "openapi.json",
    "docs",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_is_publicly_cacheable_with_a_strong_etag(api_get, cast, settings, path):
    settings.COUNT_REFRESH_SECONDS = 7
    response = api_get(path)

    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {
        "public",
        "max-age=7",
        "stale-while-revalidate=30",
        "stale-if-error=86400",
    }
    assert re.fullmatch(r'"[0-9a-f]+"', response["ETag"])  # strong: no W/ prefix
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.parametrize("path", PATHS)
def test_a_matching_if_none_match_gets_304_with_no_body(api_get, cast, path):
    etag = api_get(path)["ETag"]

    again = api_get(path, if_none_match=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "max-age" in again["Cache-Control"]


def test_the_etag_changes_when_the_data_changes(api_get, cast):
    from signatures.services import refresh_signature_counts
    from tests.api.conftest import sign

    etag = api_get("count")["ETag"]
    sign(cast.campaign, full_name="New Person")
    refresh_signature_counts()

    response = api_get("count", if_none_match=etag)

    assert response.status_code == 200
    assert json.loads(response.content)["count"] == 5
    assert response["ETag"] != etag


def test_get_is_open_to_any_origin(api_get, cast):
    response = api_get("count", origin="https://newspaper.example")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_allows_only_get(client, cast):
    response = client.options(
        "/api/v1/supporters",
        headers={"origin": "https://newspaper.example", "access-control-request-method": "GET"},
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "OPTIONS"}


def test_pages_outside_the_api_get_no_cors_header(client, cast):
    response = client.get("/en/supporters/", headers={"origin": "https://newspaper.example"})

    assert "Access-Control-Allow-Origin" not in response


def test_a_client_over_the_limit_gets_429_with_retry_after(client, cast, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    answers = [client.get("/api/v1/count", REMOTE_ADDR="203.0.113.9") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Cache-Control"] == "no-store"
    assert_matches(refused, "count")
    # Another address is not affected; the limit counts REMOTE_ADDR, never a forged header.
    assert client.get("/api/v1/count", REMOTE_ADDR="203.0.113.10").status_code == 200
    forged = client.get(
        "/api/v1/count", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert forged.status_code == 429


def test_one_ipv6_machine_is_one_client(client, cast, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    for suffix in ("1", "2"):
        assert client.get("/api/v1/count", REMOTE_ADDR=f"2001:db8::{suffix}").status_code == 200

    assert client.get("/api/v1/count", REMOTE_ADDR="2001:db8::ffff").status_code == 429
    assert client.get("/api/v1/count", REMOTE_ADDR="2001:db8:1::1").status_code == 200


def test_the_limit_can_be_turned_off_for_benchmarks(client, cast, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0

    answers = {client.get("/api/v1/count").status_code for _ in range(30)}

    assert answers == {200}


def test_the_api_stays_open_when_the_cache_fails(client, cast, settings, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)

    assert client.get("/api/v1/count").status_code == 200


LEDGER_PATHS = {
    "/api/v1/ledger/",
    "/api/v1/ledger/{slug}/",
    "/api/v1/ledger/{slug}/heads",
    "/api/v1/ledger/{slug}/entries.jsonl",
    "/api/v1/ledger/{slug}/proof/inclusion",
    "/api/v1/ledger/{slug}/proof/consistency",
    "/api/v1/ledger/{slug}/receipts/{commitment}",
}
TRACKER_PATHS = {
    "/api/v1/tracker/",
    "/api/v1/tracker/companies/{slug}",
    "/api/v1/tracker/changes",
    "/api/v1/tracker/deals",
}


def test_the_schema_is_openapi_3_and_lists_every_endpoint(api_get, cast):
    schema = json.loads(api_get("openapi.json").content)

    assert schema["openapi"].startswith("3.")
    campaign_paths = {
        "/api/v1/count",
        "/api/v1/campaign",
        "/api/v1/supporters",
        "/api/v1/supporters/{public_id}",
        "/api/v1/optouts/",
        "/api/v1/optouts.jsonl",
        "/api/v1/optouts/{uid}/policy",
    }
    assert set(schema["paths"]) == campaign_paths | LEDGER_PATHS | TRACKER_PATHS
    for operations in schema["paths"].values():
        assert set(operations) == {"get"}
        assert "429" in operations["get"]["responses"]


class _Assets(HTMLParser):
    """Every address the page makes a browser load (scripts, styles, images, frames...)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video") and values.get("src"):
            self.loaded.append(values["src"])
        if tag == "link" and values.get("rel") in (
            "stylesheet",
            "icon",
            "preload",
            "modulepreload",
        ):
            self.loaded.append(values.get("href", ""))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_docs_page_lists_the_endpoints_and_loads_nothing_from_elsewhere(client, cast, language):
    response = client.get("/api/v1/docs", headers={"accept-language": language})
    html = response.content.decode()
    text = unescape(html)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    for path in ("/api/v1/count", "/api/v1/supporters", "/api/v1/optouts/", "openapi.json"):
        assert path in html
    assert "cursor" in html and "429" in html
    assert '"next_cursor"' in text  # an example answer, built from the schema
    assert '"action": "tdm:mine"' in text  # the example policy
    assets = _Assets()
    assets.feed(html)
    assert assets.loaded
    assert all(src.startswith("/") and not src.startswith("//") for src in assets.loaded)
    assert "<script" not in html


def test_the_api_root_points_to_the_docs_and_the_schema(api_get, cast):
    data = json.loads(api_get("").content)

    assert data["docs"].endswith("/api/v1/docs")
    assert data["openapi"].endswith("/api/v1/openapi.json")


def test_docs_text_keeps_code_spans_and_escapes_the_rest():
    from api.docs import _translated

    assert _translated("Pass `next_cursor` <b>here</b>") == (
        "Pass <code>next_cursor</code> &lt;b&gt;here&lt;/b&gt;"
    )
