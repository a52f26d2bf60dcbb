"""Signing: the form, what is stored, and what the person sees, in both languages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaign.models import Campaign, OutboundEmail
from signatures.models import Signature, Supporter
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.mark.parametrize(
    ("language", "label", "consent"),
    [
        ("en", "Full name", "Email me news of the campaign"),
        ("fr", "Nom complet", "Envoyez-moi des nouvelles de la campagne"),
    ],
)
def test_sign_page_shows_the_form_in_the_page_language(client, campaign, language, label, consent):
    html = client.get(f"/{language}/sign/").content.decode()
    assert label in html
    assert consent in html
    assert f'action="/{language}/sign/"' in html
    assert 'name="wants_updates"' in html
    assert 'name="wants_updates" checked' not in html


def test_home_page_carries_the_same_form(client, campaign):
    html = client.get("/en/").content.decode()
    assert 'action="/en/sign/"' in html
    assert 'name="full_name"' in html
    assert 'name="agree"' in html


def test_sign_page_costs_one_query(client, campaign, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/en/sign/").status_code == 200


def test_signing_stores_a_pending_signature_and_queues_a_confirmation(sign, campaign, valid_post):
    response = sign(valid_post, "fr")

    assert response.status_code == 302
    assert response["Location"] == "/fr/sign/check-your-email/"
    supporter = Supporter.objects.get()
    assert supporter.email == "Ada@example.org"
    assert supporter.full_name == "Ada Lovelace"
    assert (supporter.field_of_work, supporter.country.code) == ("writer", "GB")
    assert supporter.link == "https://ada.example/work"
    assert supporter.language == "fr"
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.comment == "Machines should credit their sources."
    email = OutboundEmail.objects.get()
    assert (email.recipient, email.kind, email.language) == (
        "Ada@example.org",
        "confirm_signature",
        "fr",
    )
    assert email.subject.startswith("Confirmez votre signature")
    assert "/fr/sign/confirm/" in email.text_body
    assert "/fr/sign/withdraw/" in email.text_body


def test_signature_counts_only_once_confirmed(sign, client, campaign, valid_post):
    sign(valid_post)
    assert 'data-count="0"' in client.get("/en/").content.decode()


def test_consent_is_stored_with_its_wording_version_and_time(sign, campaign, valid_post, settings):
    before = timezone.now()
    sign(valid_post, "fr")

    signature = Signature.objects.get()
    assert signature.wants_updates is True
    assert signature.updates_consent_text.startswith("Envoyez-moi des nouvelles de la campagne")
    assert signature.consent_version == settings.CONSENT_VERSION
    assert signature.consent_recorded_at >= before
    assert signature.agreed_at >= before


def test_no_consent_to_updates_unless_ticked(sign, campaign, valid_post):
    del valid_post["wants_updates"]
    sign(valid_post)
    signature = Signature.objects.get()
    assert signature.wants_updates is False
    assert signature.updates_consent_text == ""


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Tick this box to sign"),
        ("fr", "Cochez cette case pour signer"),
    ],
)
def test_signing_without_agreeing_keeps_everything_typed(
    sign, campaign, valid_post, language, message
):
    del valid_post["agree"]

    response = sign(valid_post, language)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'id="id_agree_error"' in html
    assert 'value="Ada Lovelace"' in html
    assert 'value="Ada@Example.ORG"' in html
    assert 'value="Notes on the Analytical Engine"' in html
    assert 'value="https://ada.example/work"' in html
    assert "Machines should credit their sources.</textarea>" in html
    assert '<option value="writer" selected>' in html
    assert '<option value="GB" selected>' in html
    assert 'name="wants_updates" id="id_wants_updates" checked' in html
    assert not Supporter.objects.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "not-an-address", "Enter a valid email address."),
        ("full_name", "A", "Enter your name as you would sign it."),
        ("full_name", "Ada \u202eecalevol", "Remove the invisible characters"),
        ("full_name", "Ada\x07 Lovelace", "Remove the control characters."),
        ("link", "javascript:alert(1)", "Enter a web address"),
        ("comment", "x" * 501, "at most 500 characters"),
        ("field_of_work", "astronaut", "Select a valid choice."),
        ("country", "XX", "Select a valid choice."),
        ("name_display", "everywhere", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_next_to_its_field(sign, campaign, valid_post, field, value, error):
    valid_post[field] = value

    response = sign(valid_post)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html or f'id="id_{field}_0_error"' in html or error in html
    assert error in html
    assert not Signature.objects.exists()


def test_input_is_normalised_before_it_is_stored(sign, campaign, valid_post):
    valid_post |= {
        "full_name": "  \uff21\uff44\uff41   Lovelace ",  # full-width letters, extra spaces
        "email": " ada@EXAMPLE.org ",
        "link": "ada.example/work",
        "comment": "Line one\r\n\r\n\r\n\r\nLine two  ",
    }
    sign(valid_post)

    supporter = Supporter.objects.get()
    assert supporter.full_name == "Ada Lovelace"
    assert supporter.email == "ada@example.org"
    assert supporter.link == "https://ada.example/work"
    assert Signature.objects.get().comment == "Line one\n\nLine two"


def responses_for(sign, client, data) -> tuple[int, str, str]:
    response = sign(data)
    followed = client.get(response["Location"])
    return response.status_code, response["Location"], followed.content.decode()


def test_the_response_never_reveals_whether_an_address_signed(sign, client, campaign, valid_post):
    new = responses_for(sign, client, valid_post)
    pending = responses_for(sign, client, valid_post)
    Signature.objects.update(status="confirmed", confirmed_at=timezone.now())
    confirmed = responses_for(sign, client, valid_post)

    assert new == pending == confirmed


def test_signing_twice_keeps_one_supporter_and_one_signature(sign, campaign, valid_post):
    sign(valid_post)
    sign(valid_post | {"email": "ada@example.org"})

    assert Supporter.objects.count() == 1
    assert Signature.objects.count() == 1


def test_signing_again_while_pending_waits_before_sending_a_fresh_link(sign, campaign, valid_post):
    sign(valid_post)
    sign(valid_post)
    assert OutboundEmail.objects.count() == 1

    Signature.objects.update(last_email_at=timezone.now() - datetime.timedelta(minutes=6))
    sign(valid_post | {"full_name": "Augusta Ada King"})

    assert OutboundEmail.objects.filter(kind="confirm_signature").count() == 2
    assert Supporter.objects.get().full_name == "Augusta Ada King"


def test_no_signature_ever_gets_more_than_five_emails(sign, campaign, valid_post):
    for _attempt in range(8):
        Signature.objects.update(last_email_at=timezone.now() - datetime.timedelta(hours=1))
        sign(valid_post)
    assert OutboundEmail.objects.count() == 5


def test_signing_again_once_confirmed_changes_nothing_and_sends_a_notice(sign, campaign):
    supporter = SupporterFactory(email="ada@example.org", full_name="Ada Lovelace")
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)

    response = sign(VALID_IMPOSTOR)

    assert response.status_code == 302
    supporter.refresh_from_db()
    assert supporter.full_name == "Ada Lovelace"
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    notice = OutboundEmail.objects.get()
    assert notice.kind == "already_signed"
    assert "already confirmed" in notice.text_body
    assert "/en/sign/withdraw/" in notice.text_body


VALID_IMPOSTOR = {
    "full_name": "Somebody Else",
    "email": "ada@example.org",
    "field_of_work": "actor",
    "country": "US",
    "name_display": "full",
    "agree": "on",
}


def test_a_closed_campaign_takes_no_signature(sign, client, valid_post):
    CampaignFactory(status=Campaign.Status.CLOSED)

    assert "not taking new signatures" in client.get("/en/sign/").content.decode()
    sign(valid_post)
    assert not Signature.objects.exists()


def test_signing_posts_cost_a_bounded_number_of_queries(
    client, campaign, valid_post, django_assert_max_num_queries
):
    # 12, the consent records, and where the signature came from (its signing context, written
    # in the same transaction instead of by a task); the campaign and its launch names are read
    # here because tests keep no copy of them (see tests/test_query_budgets.py for production).
    with django_assert_max_num_queries(14):
        response = client.post("/en/sign/", valid_post)
    assert response.status_code == 302


def test_countries_are_named_in_the_page_language(client, campaign):
    french = client.get("/fr/sign/").content.decode()
    english = client.get("/en/sign/").content.decode()
    assert '<option value="DE">Allemagne</option>' in french
    assert '<option value="DE">Germany</option>' in english
    assert '<option value="DE">Allemagne</option>' in client.get("/fr/supporters/").content.decode()
