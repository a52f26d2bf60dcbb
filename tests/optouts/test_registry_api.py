"""The public registry: who appears in /api/v1/optouts/ and the bulk file, with what, and the
policy document each declaration's tdmrep.json points to."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest

from optouts import documents, services
from signatures.models import NameDisplay, Signature
from signatures.services import profile_permalink
from tests.api.openapi import assert_matches, openapi
from tests.optouts.conftest import make_artist, proof_for
from tests.optouts.test_documents import assert_valid_policy, assert_valid_tdmrep

pytestmark = pytest.mark.django_db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def registry(client) -> list[dict]:
    response = client.get("/api/v1/optouts/")
    return assert_matches(response, "optouts/")["results"]


def test_a_published_declaration_shows_the_artist_and_only_checked_places(client, published):
    artist = published.supporter
    (entry,) = registry(client)

    assert entry["id"] == published.uid
    assert entry["declarant"]["name"] == "Nina Painter"
    assert entry["declarant"]["profile_url"] == profile_permalink(artist)
    assert entry["declarant"]["verification"]["method"] == "link_back"
    assert entry["declarant"]["identifiers"][0]["scheme"] == "ISNI"
    assert entry["tdm_reservation"] == 1
    assert [location["url"] for location in entry["locations"]] == [
        published.locations.get(status="ok").url
    ]
    assert entry["policy_url"] == documents.policy_url(published)
    assert entry["licensing_url"] == "https://agent.example/licensing"
    body = client.get("/api/v1/optouts/").content.decode()
    assert "nina.private@example.org" not in body and not EMAIL.search(body)


def changes():
    """Ways a published declaration stops being published."""

    def withdraw(declaration):
        services.withdraw(declaration=declaration)

    def revoke_verification(declaration):
        declaration.supporter.verified_at = None
        declaration.supporter.save(update_fields=["verified_at"])

    def hide_name(declaration):
        declaration.supporter.name_display = NameDisplay.HIDDEN
        declaration.supporter.save()

    def withdraw_signature(declaration):
        Signature.objects.filter(supporter=declaration.supporter).update(status="withdrawn")

    def hold_signature(declaration):
        Signature.objects.filter(supporter=declaration.supporter).update(moderation="held")

    def no_checked_place(declaration):
        declaration.locations.filter(status="ok").update(status="failed")

    return [
        withdraw,
        revoke_verification,
        hide_name,
        withdraw_signature,
        hold_signature,
        no_checked_place,
    ]


@pytest.mark.parametrize("change", changes(), ids=lambda change: change.__name__)
def test_a_declaration_leaves_the_registry_and_its_policy_when(client, published, change):
    policy_path = f"/api/v1/optouts/{published.uid}/policy"
    assert registry(client) and client.get(policy_path).status_code == 200

    change(published)

    assert registry(client) == []
    assert client.get(policy_path).status_code == 404
    assert client.get("/api/v1/optouts.jsonl").content == b""


def test_only_verified_artists_declarations_appear(client, campaign, pages, published, declare):
    other = make_artist(campaign, full_name="Omar Other", email="omar@example.org")
    declare(other, [pages.page("/omar/", proof_for(other))])

    names = [entry["declarant"]["name"] for entry in registry(client)]

    assert names == ["Omar Other", "Nina Painter"]  # newest first


def test_an_initial_only_artist_appears_under_that_name(client, campaign, pages, declare):
    artist = make_artist(campaign, full_name="Marguerite Duras", name_display="initial")
    declaration = declare(artist, [pages.page("/md/", proof_for(artist))])

    (entry,) = registry(client)
    policy = client.get(f"/api/v1/optouts/{declaration.uid}/policy")

    assert entry["declarant"]["name"] == "Marguerite D."
    assert "Duras" not in client.get("/api/v1/optouts/").content.decode()
    assert "Duras" not in policy.content.decode()


def test_the_registry_pages_with_a_cursor(client, campaign, pages, declare):
    for n in range(5):
        artist = make_artist(campaign, full_name=f"Painter Number{n}")
        declare(artist, [pages.page(f"/p{n}/", proof_for(artist))])

    seen, cursor = [], ""
    while True:
        data = assert_matches(client.get(f"/api/v1/optouts/?limit=2&cursor={cursor}"), "optouts/")
        seen += [entry["id"] for entry in data["results"]]
        cursor = data["next_cursor"]
        if not cursor:
            break

    assert len(seen) == len(set(seen)) == 5


def test_the_bulk_file_has_one_valid_entry_per_line(client, campaign, pages, published, declare):
    other = make_artist(campaign, full_name="Omar Other")
    declare(other, [pages.page("/omar/", proof_for(other))])

    response = client.get("/api/v1/optouts.jsonl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    lines = response.content.decode().splitlines()
    document = openapi()
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/OptOut", "components": document["components"]},
        validate_formats=True,
    )
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        validator.validate(entry)
    assert entries == registry(client)


def test_the_policy_is_served_as_json_ld(client, published):
    response = client.get(f"/api/v1/optouts/{published.uid}/policy")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert (
        response["Access-Control-Allow-Origin"]
        if "HTTP_ORIGIN" in response.wsgi_request.META
        else True
    )
    policy = json.loads(response.content)
    assert_valid_policy(policy)
    assert policy["uid"].endswith(f"/api/v1/optouts/{published.uid}/policy")
    assert policy["assigner"]["vcard:hasURL"] == "https://agent.example/licensing"


def test_the_downloaded_tdmrep_file_points_to_the_served_policy(client, published):
    origin = documents.origins(published)[0]
    (rule,) = assert_valid_tdmrep(documents.tdmrep_json(published, origin=origin))[:1]

    path = rule["tdm-policy"].removeprefix("http://127.0.0.1:8000")

    assert client.get(path).status_code == 200


def test_an_unknown_policy_is_a_documented_404(client, db):
    from tests.factories import CampaignFactory

    CampaignFactory()
    response = client.get("/api/v1/optouts/abcdef123456/policy")

    assert response.status_code == 404
    assert json.loads(response.content) == {"detail": "Not Found"}


@pytest.mark.parametrize("extra", [0, 6])
def test_the_registry_costs_the_same_queries_at_any_size(
    client, campaign, pages, published, declare, extra, django_assert_num_queries
):
    for n in range(extra):
        artist = make_artist(campaign, full_name=f"Painter Number{n}")
        declare(artist, [pages.page(f"/p{n}/", proof_for(artist))])

    with django_assert_num_queries(3):  # the campaign, the declarations, their checked places
        assert len(registry(client)) == 1 + extra
