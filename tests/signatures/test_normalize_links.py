"""Links people type (issue 15): one normaliser, ``signatures.normalize.web_address``, for every
link field. It refuses an address carrying a user name or a password ("user:pass@", which also
disguises the real host: "https://bank.example@evil.example/"), and percent-encodes the
characters that have no place raw in a link (quotes, angle brackets, spaces, backslashes), so
that no link handed out (pages, API) carries a raw quote or a control character."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from optouts.forms import DeclarationForm
from organise.transfer import parse
from signatures import normalize
from signatures.forms import LinkBackForm, ProfileForm, ReviewRequestForm, SignForm
from signatures.models import Supporter
from tests.factories import SignatureFactory, SupporterFactory

from .conftest import VALID

WITH_USERINFO = [
    "https://user:pass@ada.example/work",
    "https://user@ada.example/",
    "user:pass@ada.example",
    "http://ada.example@evil.example/",
    "https://:@ada.example/",
    "HTTPS://Ada:Secret@ADA.example",
]
RAW = """https://ada.example/a"b'c<d>e`f\\g h{i}|^"""


@pytest.mark.parametrize("link", WITH_USERINFO)
def test_an_address_with_a_user_name_or_password_is_refused(link):
    with pytest.raises(ValidationError) as refused:
        normalize.web_address(link)
    assert refused.value.code == "userinfo"


def test_quotes_and_unsafe_characters_are_percent_encoded():
    link = normalize.web_address(RAW)

    assert link == "https://ada.example/a%22b%27c%3Cd%3Ee%60f%5Cg%20h%7Bi%7D%7C%5E"
    assert normalize.web_address(link) == link  # once normalised, it stays as it is


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ada.example/work", "https://ada.example/work"),
        ("HTTPS://ADA.Example/Work?x=1&y=%22#top", "https://ada.example/Work?x=1&y=%22#top"),
        ("https://fr.wikipedia.org/wiki/Björk", "https://fr.wikipedia.org/wiki/Björk"),
        ("https://ada.example:8443/a%20b", "https://ada.example:8443/a%20b"),
    ],
)
def test_ordinary_links_are_kept(typed, stored):
    assert normalize.web_address(typed) == stored


@pytest.mark.parametrize("link", ["https://ada.example/\x07", "https://ada.example/\u202e"])
def test_control_and_direction_characters_are_refused(link):
    with pytest.raises(ValidationError):
        normalize.web_address(link)


# --- Through every form that takes a link ------------------------------------------------


def form_refuses(form, field: str) -> bool:
    return not form.is_valid() and field in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize("link", WITH_USERINFO[:2])
def test_every_link_field_refuses_userinfo(link):
    assert form_refuses(SignForm(VALID | {"link": link}), "link")
    profile = ProfileForm(
        {
            "full_name": "Ada Lovelace",
            "name_display": "full",
            "field_of_work": "writer",
            "country": "GB",
            "link_1": link,
        }  # fmt: skip
    )
    assert form_refuses(profile, "link_1")
    assert form_refuses(LinkBackForm({"page_url": link}), "page_url")
    assert form_refuses(
        ReviewRequestForm({"message": "Ask my agent.", "evidence_links": link}), "evidence_links"
    )
    declaration = DeclarationForm(
        {"locations": "https://ada.example/", "licensing_url": link, "confirm": "on"}
    )
    assert form_refuses(declaration, "licensing_url")
    row = parse.parse_row(
        {
            "full_name": "Ada Lovelace",
            "email": "ada@example.org",
            "field_of_work": "writer",
            "country": "GB",
            "link": link,
        },
        line=2,  # fmt: skip
    )
    assert isinstance(row, dict) and "link" in row


@pytest.mark.django_db
def test_every_link_field_stores_the_encoded_form():
    assert SignForm(VALID | {"link": RAW}).is_valid()
    encoded = normalize.web_address(RAW)
    sign = SignForm(VALID | {"link": RAW})
    sign.is_valid()
    assert sign.cleaned_data["link"] == encoded
    links = ReviewRequestForm({"message": "Ask my agent.", "evidence_links": RAW})
    assert links.is_valid() and links.cleaned_data["evidence_links"] == [encoded]
    back = LinkBackForm({"page_url": RAW})
    assert back.is_valid() and back.cleaned_data["page_url"] == encoded


@pytest.mark.django_db
def test_the_sign_form_keeps_what_was_typed_and_stores_nothing(client, launched_campaign):
    response = client.post("/en/sign/", VALID | {"link": "https://me:secret@ada.example/"})

    assert response.status_code == 200
    assert 'value="https://me:secret@ada.example/"' in response.content.decode()
    assert not Supporter.objects.exists()


# --- Through the API -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_never_hands_out_raw_quotes_controls_or_userinfo(client, launched_campaign):
    """Links stored before this normaliser (or written around it) are encoded on the way out,
    and one that cannot be made safe is left out."""
    supporter = SupporterFactory(full_name="Ada Lovelace")
    SignatureFactory(campaign=launched_campaign, supporter=supporter, confirmed=True)
    Supporter.objects.filter(pk=supporter.pk).update(
        link='https://ada.example/"onmouseover="x',
        links=["https://u:p@ada.example/", "https://ada.example/\x07", "https://ada.example/ok'"],
    )

    body = client.get("/api/v1/supporters").content.decode()
    links = json.loads(body)["results"][0]["links"]

    assert links == [
        "https://ada.example/%22onmouseover=%22x",
        "https://ada.example/ok%27",
    ]
    assert "\\u0007" not in body and "u:p@" not in body
