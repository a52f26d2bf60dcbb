"""The tracker in the JSON API: documented in the OpenAPI schema, both languages in every text,
nothing unlisted, and the same answer as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.views import api
from tests.factories import CompanyFactory, DealFactory, published_position

pytestmark = pytest.mark.django_db


def test_the_tracker_is_in_the_openapi_schema():
    schema = api.get_openapi_schema()
    for path in (
        "/api/v1/tracker/",
        "/api/v1/tracker/companies/{slug}",
        "/api/v1/tracker/changes",
        "/api/v1/tracker/deals",
    ):
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == ["tracker"] and operation["summary"]
    assert "CompanyDetail" in schema["components"]["schemas"]


def test_the_overview_lists_criteria_and_listed_companies(client):
    company = CompanyFactory(name="Acme")
    published_position(company, "opt-out", "kept", summary_fr="Tenu.")
    CompanyFactory(is_listed=False)
    body = client.get(reverse("api:tracker")).json()
    assert [c["code"] for c in body["criteria"]] == ["licensing", "opt-out", "human-creativity"]
    assert body["criteria"][0]["title"]["fr"] == "Licencier les œuvres"
    (entry,) = body["companies"]
    assert entry["name"] == "Acme" and entry["page_url"]["fr"].startswith("/fr/suivi/")
    positions = {p["criterion"]: p for p in entry["positions"]}
    assert positions["opt-out"]["status"] == "kept"
    assert positions["opt-out"]["summary"] == {"en": "English summary.", "fr": "Tenu."}
    assert positions["licensing"]["status"] is None


def test_a_company_has_its_sources_history_and_deals(client):
    company = CompanyFactory(name="Acme")
    published_position(company, "licensing", "made")
    published_position(company, "licensing", "broken", url="https://news.example/broken")
    DealFactory(slug="acme-deal", other_parties="Guild, Union").companies.add(company)
    body = client.get(reverse("api:tracker_company", kwargs={"slug": company.slug})).json()
    licensing = body["positions"][0]
    assert licensing["sources"][0]["url"] == "https://news.example/broken"
    assert [(c["from_status"], c["to_status"]) for c in body["history"]] == [
        ("made", "broken"),
        (None, "made"),
    ]
    assert body["deals"][0]["other_parties"] == ["Guild", "Union"]
    assert body["deals"][0]["companies"] == [company.slug]
    assert body["letters"] == 0
    changes = client.get(reverse("api:tracker_changes")).json()
    assert changes[0]["to_status"] == "broken"
    deals = client.get(reverse("api:tracker_deals")).json()
    assert deals[0]["slug"] == "acme-deal"


def test_an_unlisted_or_malformed_company_is_an_error_not_a_crash(client):
    hidden = CompanyFactory(is_listed=False)
    assert (
        client.get(reverse("api:tracker_company", kwargs={"slug": hidden.slug})).status_code == 404
    )
    assert client.get("/api/v1/tracker/companies/%3Cscript%3E").status_code in (404, 422)
