"""What the API tells the public: the count, the campaign's figures, listed supporters, and
never an email address or a supporter the public must not see."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from signatures.models import Supporter
from tests.api.conftest import sign
from tests.api.openapi import assert_matches

pytestmark = pytest.mark.django_db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def all_pages(api_get, path: str, **params) -> list[dict]:
    """Every result of a paginated endpoint, following next_cursor to the end."""
    results, cursor = [], ""
    for _ in range(50):
        query = "&".join(f"{k}={v}" for k, v in {**params, "cursor": cursor}.items() if v != "")
        response = api_get(f"{path}?{query}")
        data = assert_matches(response, path)
        results += data["results"]
        cursor = data["next_cursor"]
        if not cursor:
            return results
    raise AssertionError("pagination does not end")


def test_count_is_the_stored_count_and_goal(api_get, cast):
    data = assert_matches(api_get("count"), "count")

    assert data["count"] == 4  # three listed and one hidden: counted, held and others not
    assert data["goal"] == 5000
    assert data["updated_at"] is not None


def test_count_costs_one_query(api_get, cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert api_get("count").status_code == 200


def test_campaign_gives_titles_and_breakdowns_over_counted_signatures_only(api_get, cast):
    data = assert_matches(api_get("campaign"), "campaign")

    assert data["title"] == {"en": "Test appeal", "fr": "Appel de test"}
    assert data["count"] == 4
    assert data["by_country"] == [
        {"country": "FR", "count": 2},  # Jean, and the hidden supporter (counted, not listed)
        {"country": "GB", "count": 1},
        {"country": "US", "count": 1},
    ]
    assert data["by_field_of_work"] == [
        {"field_of_work": "musician", "count": 2},
        {"field_of_work": "writer", "count": 2},
    ]
    assert data["verified_count"] == 1  # Ada
    # The newest counted signature is the hidden supporter's: counted, though not listed.
    newest = cast.unlisted["hidden"].signatures.get().confirmed_at
    assert datetime.datetime.fromisoformat(data["last_signed_at"]) == newest.replace(
        microsecond=newest.microsecond // 1000 * 1000
    )


def test_campaign_figures_are_computed_once_per_count_version(
    api_get, cast, django_assert_num_queries
):
    from django.core.cache import cache

    cache.clear()  # the counting job precomputed the figures; start cold
    with django_assert_num_queries(3):  # the campaign row, the breakdown, the last signature
        first = api_get("campaign").content
    with django_assert_num_queries(1):  # the campaign row; the figures come from the cache
        assert api_get("campaign").content == first


def test_supporters_lists_only_the_listed_with_their_public_fields(api_get, cast):
    results = all_pages(api_get, "supporters")

    assert [r["name"] for r in results] == ["Jean Dupont", "Nina S.", "Ada Lovelace"]
    ada = results[2]
    assert ada == {
        "public_id": cast.listed["ada"].public_id,
        "name": "Ada Lovelace",
        "slug": cast.listed["ada"].slug,
        "profile_url": f"http://127.0.0.1:8000/supporters/{cast.listed['ada'].public_id}/",
        "field_of_work": "writer",
        "fields_of_work": ["writer", "screenwriter"],
        "country": "GB",
        "known_for": "Notes on the Analytical Engine",
        "verified": True,
        "verification": {"method": "link_back", "verified_at": ada["verification"]["verified_at"]},
        "identifiers": [
            {
                "scheme": "ISNI",
                "value": "0000 0001 2103 2683",
                "url": "https://isni.org/isni/0000000121032683",
            },
            {"scheme": "Wikidata", "value": "Q7259", "url": "https://www.wikidata.org/wiki/Q7259"},
        ],
        "links": ["https://ada.example/work", "https://ada.example/more"],
        "signed_at": ada["signed_at"],
    }
    assert results[0]["verification"] is None and results[0]["verified"] is False


@pytest.mark.parametrize("path", ["count", "campaign", "supporters", "supporters?limit=1"])
def test_no_answer_names_an_email_or_an_unlisted_supporter(api_get, cast, path):
    body = api_get(path).content.decode()

    assert not EMAIL.search(body), body
    for supporter in cast.unlisted.values():
        assert supporter.full_name not in body
        assert supporter.public_id not in body
        assert supporter.full_name.split()[0] not in body
    assert "Simone" not in body  # Nina chose to show only her initial


@pytest.mark.parametrize("state", ["hidden", "held", "rejected", "pending", "withdrawn"])
def test_an_unlisted_supporter_has_no_api_profile(api_get, cast, state):
    response = api_get(f"supporters/{cast.unlisted[state].public_id}")

    assert response.status_code == 404
    assert_matches(response, "supporters/{public_id}")
    assert cast.unlisted[state].email not in response.content.decode()


def test_one_supporter_by_public_id(api_get, cast):
    nina = cast.listed["nina"]
    data = assert_matches(api_get(f"supporters/{nina.public_id}"), "supporters/{public_id}")

    assert data["name"] == "Nina S."
    assert data["slug"] == nina.slug
    assert "Simone" not in json.dumps(data)


def test_pages_follow_the_cursor_without_skipping_or_repeating(api_get, cast):
    for n in range(7):
        sign(cast.campaign, minutes_ago=40 + n, full_name=f"Extra Person{n}")

    page_one = assert_matches(api_get("supporters?limit=4"), "supporters")
    everyone = all_pages(api_get, "supporters", limit=4)

    assert len(page_one["results"]) == 4 and page_one["next_cursor"]
    assert len(everyone) == 10
    assert len({r["public_id"] for r in everyone}) == 10
    assert [r["signed_at"] for r in everyone] == sorted(
        (r["signed_at"] for r in everyone), reverse=True
    )


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("field=musician", ["Jean Dupont", "Nina S."]),
        ("country=fr", ["Jean Dupont"]),
        ("country=GB", ["Ada Lovelace"]),
        ("verified=true", ["Ada Lovelace"]),
        ("q=lovel", ["Ada Lovelace"]),
        ("q=Dupont&country=FR&field=musician", ["Jean Dupont"]),
        ("q=Simone", []),  # only the public name is searched
        ("q=Henri", []),  # the hidden supporter is never found
        ("field=writer&verified=1", ["Ada Lovelace"]),
    ],
)
def test_filters_work_as_in_the_directory(api_get, cast, query, names):
    data = assert_matches(api_get(f"supporters?{query}"), "supporters")

    assert [r["name"] for r in data["results"]] == names


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("field=plumber", 422),
        ("country=FRA", 422),
        ("limit=0", 422),
        ("limit=101", 422),
        ("verified=perhaps", 422),
        ("cursor=not-a-cursor", 400),
        # A well-formed cursor naming an impossible position (id beyond 64 bits, year 1).
        ("cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ", 400),
        ("cursor=WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgMV0", 400),
        ("q=%00", 422),
        ("q=a%E2%80%AEb", 422),
    ],
)
def test_bad_parameters_get_a_documented_client_error(api_get, cast, query, status):
    response = api_get(f"supporters?{query}")

    assert response.status_code == status
    assert_matches(response, "supporters")


def test_no_campaign_is_a_documented_404(api_get, db):
    response = api_get("count")

    assert response.status_code == 404
    assert_matches(response, "count")


def test_the_api_never_writes_and_refuses_other_methods(client, cast):
    before = Supporter.objects.count()
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/supporters")
        assert response.status_code == 405, method
    assert Supporter.objects.count() == before


@pytest.mark.parametrize("extra", [0, 25])
def test_a_page_of_supporters_costs_the_same_queries_at_any_size(
    api_get, cast, extra, django_assert_num_queries
):
    for n in range(extra):
        sign(cast.campaign, minutes_ago=60 + n, full_name=f"More Person{n}")

    with django_assert_num_queries(2):  # the campaign, the page with its signers
        api_get("supporters?limit=100")
