"""The files an artist hosts and the policy this site serves, checked against the rules of the
W3C TDMRep specification (Final Community Group Report, 10 May 2024) and of robots.txt
(RFC 9309)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from optouts import documents, services
from signatures.services import profile_permalink

pytestmark = pytest.mark.django_db

REQUIRED_CRAWLERS = {
    "GPTBot",
    "ClaudeBot",
    "anthropic-ai",
    "Google-Extended",
    "CCBot",
    "PerplexityBot",
    "Bytespider",
    "Applebot-Extended",
    "Meta-ExternalAgent",
    "Amazonbot",
    "cohere-ai",
}


def assert_valid_tdmrep(text: str) -> list[dict]:
    """The rules of the TDM file on the origin server: a JSON array of objects, each with a
    ``location`` path pattern and a ``tdm-reservation`` of 0 or 1, and, optionally, a
    ``tdm-policy`` that is an absolute URL; no other property."""
    rules = json.loads(text)
    assert isinstance(rules, list) and rules
    for rule in rules:
        assert isinstance(rule, dict)
        assert set(rule) <= {"location", "tdm-reservation", "tdm-policy"}
        assert isinstance(rule["location"], str) and rule["location"].startswith("/")
        assert rule["tdm-reservation"] in (0, 1) and isinstance(rule["tdm-reservation"], int)
        if "tdm-policy" in rule:
            policy = urlsplit(rule["tdm-policy"])
            assert policy.scheme in ("http", "https") and policy.netloc
    return rules


def assert_valid_policy(policy: dict) -> None:
    """The TDM policy profile of ODRL ("Expressing a TDM Policy")."""
    context = policy["@context"]
    assert context[0] == "http://www.w3.org/ns/odrl.jsonld"
    assert {"tdm": "http://www.w3.org/ns/tdmrep#"} in context  # tdm:mine is used
    assert policy["@type"] == "Offer"
    assert policy["profile"] == "http://www.w3.org/ns/tdmrep"
    assert urlsplit(policy["uid"]).scheme in ("http", "https")
    assigner = policy["assigner"]
    assert isinstance(assigner, dict)
    vcard = {"vcard:fn", "vcard:nickname", "vcard:hasEmail", "vcard:hasAddress"}
    assert set(assigner) <= {"uid", "vcard:hasTelephone", "vcard:hasURL", *vcard}
    assert assigner["vcard:fn"]
    assert isinstance(policy["permission"], list) and policy["permission"]
    for permission in policy["permission"]:
        assert permission["action"] == "tdm:mine"
    assert "obligation" not in policy and "prohibition" not in policy


@pytest.fixture
def declaration(artist):
    return services.declare(
        supporter=artist,
        locations=[
            "https://nina.example/",
            "https://nina.example/portfolio/",
            "https://shop.example/nina/",
        ],
    )


def test_tdmrep_json_follows_the_specification(declaration):
    rules = assert_valid_tdmrep(documents.tdmrep_json(declaration, origin="https://nina.example"))

    # One rule per place on that site, the most specific first; every one reserved, with the
    # declaration's policy.
    assert [rule["location"] for rule in rules] == ["/portfolio/", "/"]
    assert {rule["tdm-reservation"] for rule in rules} == {1}
    assert {rule["tdm-policy"] for rule in rules} == {documents.policy_url(declaration)}


def test_each_site_gets_its_own_file(declaration):
    assert documents.origins(declaration) == ["https://nina.example", "https://shop.example"]
    rules = assert_valid_tdmrep(documents.tdmrep_json(declaration, origin="https://shop.example"))
    assert [rule["location"] for rule in rules] == ["/nina/"]


def test_robots_lines_stop_ai_crawlers_at_the_places_and_nowhere_else(declaration):
    text = documents.robots_txt(declaration, origin="https://shop.example")
    parser = RobotFileParser()
    parser.parse(text.splitlines())

    agents = {
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("User-agent")
    }
    assert agents >= REQUIRED_CRAWLERS
    for agent in agents:
        assert not parser.can_fetch(agent, "https://shop.example/nina/painting.jpg")
        assert parser.can_fetch(agent, "https://shop.example/other-artist/")
    assert parser.can_fetch("Googlebot", "https://shop.example/nina/painting.jpg")
    # One group: the user-agent lines, then the rules (RFC 9309), comments marked with "#".
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    kinds = [line.split(":", 1)[0] for line in lines]
    assert kinds == ["User-agent"] * len(agents) + ["Disallow"]


def test_a_whole_site_is_disallowed_from_the_root(declaration):
    text = documents.robots_txt(declaration, origin="https://nina.example")

    assert "Disallow: /\n" in text
    assert "Disallow: /portfolio/\n" in text


def test_the_policy_is_an_odrl_offer_by_the_artist_asking_for_consent(declaration, artist):
    policy = documents.tdm_policy(declaration)

    assert_valid_policy(policy)
    assert policy["uid"] == documents.policy_url(declaration)
    assert policy["assigner"] == {
        "uid": profile_permalink(artist),
        "vcard:fn": "Nina Painter",
        "vcard:hasURL": profile_permalink(artist),
    }
    assert policy["permission"] == [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}]


def test_the_policy_points_to_the_licensing_page_when_there_is_one(artist):
    declaration = services.declare(
        supporter=artist,
        locations=["https://nina.example/"],
        licensing_url="https://agent.example/licensing",
    )

    assert documents.tdm_policy(declaration)["assigner"]["vcard:hasURL"] == (
        "https://agent.example/licensing"
    )
