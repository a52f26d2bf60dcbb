"""Requests no browser sends are refused early, with a plain page and nothing stored: NUL
bytes (400), oversized bodies (413), absurd URLs (414), more form fields than Django takes
(400). Each refusal has a twin that is accepted, so that it cannot pass for another reason."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.client import encode_multipart

from signatures.models import Signature, Supporter

from .conftest import SIGN_FORM

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


@pytest.fixture
def client():
    """A client that returns Django's error responses instead of raising."""
    return Client(raise_request_exception=False)


def assert_plain_refusal(response, status: int) -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert "Bad request" in html
    assert "Traceback" not in html and "NUL" not in html
    assert "no-store" in response["Cache-Control"]


# --- NUL bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/en/supporters/%00/", "/en/sign/confirm/abc%00def/"])
def test_a_nul_byte_in_the_path_is_refused(client, launched_campaign, url):
    assert_plain_refusal(client.get(url), 400)
    assert client.get(url.replace("%00", "x")).status_code in (200, 302, 400, 404)


def test_a_raw_nul_byte_in_the_path_is_refused(client, launched_campaign):
    assert_plain_refusal(client.get("/en/supporters/\x00/"), 400)


@pytest.mark.parametrize("query", ["q=%00", "q=ada%00lovelace", "%00=1", "cursor=%00"])
def test_a_nul_byte_in_the_query_string_is_refused(client, launched_campaign, query):
    assert_plain_refusal(client.get(f"/en/supporters/?{query}"), 400)
    assert client.get(f"/en/supporters/?{query.replace('%00', 'x')}").status_code == 200


def test_the_refusal_is_in_the_pages_language(client, launched_campaign):
    response = client.get("/fr/supporters/?q=%00")

    assert response.status_code == 400
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.parametrize("field", ["full_name", "email", "comment", "known_for"])
def test_a_nul_byte_in_a_form_field_is_refused_and_nothing_stored(client, launched_campaign, field):
    form = dict(SIGN_FORM, **{field: SIGN_FORM[field][:3] + "\x00" + SIGN_FORM[field][3:]})

    assert_plain_refusal(client.post("/en/sign/", form), 400)
    assert not Supporter.objects.exists()
    assert not Signature.objects.exists()
    # The same form without it signs.
    assert client.post("/en/sign/", SIGN_FORM).status_code == 302
    assert Signature.objects.count() == 1


def test_a_nul_byte_in_a_multipart_form_is_refused(client, launched_campaign):
    form = dict(SIGN_FORM, full_name="Ada\x00")
    response = client.post(
        "/en/sign/", encode_multipart("BoUnDaRy", form), "multipart/form-data; boundary=BoUnDaRy"
    )

    assert_plain_refusal(response, 400)
    assert not Supporter.objects.exists()


def test_the_json_api_refuses_a_nul_byte_with_its_own_documented_error(client, launched_campaign):
    response = client.get("/api/v1/supporters?q=%00")

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")


# --- Sizes ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, launched_campaign, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1 * MiB
    body = b"comment=" + b"x" * MiB

    response = client.generic("POST", "/en/sign/", body, "application/x-www-form-urlencoded")

    assert_plain_refusal(response, 413)
    assert not Supporter.objects.exists()


def test_the_default_limit_takes_a_form_and_refuses_three_megabytes(client, launched_campaign):
    body = b"comment=" + b"x" * (3 * MiB)
    response = client.generic("POST", "/en/sign/", body, "application/x-www-form-urlencoded")
    assert_plain_refusal(response, 413)

    assert client.post("/en/sign/", SIGN_FORM).status_code == 302


def test_the_back_office_import_may_send_more(client, settings):
    """The CSV import under /organise/imports/ takes files up to IMPORT_MAX_BYTES; past the
    hygiene check, the back office's own gate answers (here: log in first)."""
    settings.MAX_REQUEST_BODY_BYTES = 1 * MiB
    settings.IMPORT_MAX_BYTES = 4 * MiB
    upload = b"x" * (2 * MiB)

    accepted = client.generic("POST", "/organise/imports/", upload, "text/csv")
    assert accepted.status_code == 302
    assert "/accounts/login/" in accepted["Location"]
    assert_plain_refusal(client.generic("POST", "/organise/other/", upload, "text/csv"), 413)
    too_big = client.generic("POST", "/organise/imports/", b"x" * (5 * MiB), "text/csv")
    assert_plain_refusal(too_big, 413)


def test_an_unreadable_content_length_is_refused(client, launched_campaign):
    response = client.post("/en/sign/", SIGN_FORM, CONTENT_LENGTH="lots")
    assert_plain_refusal(response, 400)


def test_a_url_over_4096_characters_is_refused(client, launched_campaign):
    long_query = "q=" + "a" * 4100

    assert_plain_refusal(client.get(f"/en/supporters/?{long_query}"), 414)
    assert client.get(f"/en/supporters/?{long_query[:3000]}").status_code == 200


def test_more_form_fields_than_django_takes_is_refused(client, launched_campaign, settings):
    """Django's own limit (DATA_UPLOAD_MAX_NUMBER_FIELDS), answered with our page."""
    form = dict(
        SIGN_FORM, **{f"extra{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}
    )

    assert_plain_refusal(client.post("/en/sign/", form), 400)
    assert not Supporter.objects.exists()
