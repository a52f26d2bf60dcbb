"""Confirming by the emailed link, and withdrawing; what the person and the public see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaign.models import OutboundEmail
from signatures import tokens
from signatures.models import Signature
from tests.factories import CampaignFactory

from .conftest import link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(sign, valid_post):
    """A pending signature made through the form, and its confirmation email."""
    CampaignFactory()
    sign(valid_post)
    return Signature.objects.get(), OutboundEmail.objects.get()


@pytest.fixture
def visit(client, django_capture_on_commit_callbacks):
    def go(path: str, method: str = "get", **data):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client, method)(path, data)

    return go


def count_on_home(client, language: str = "en") -> str:
    html = client.get(f"/{language}/").content.decode()
    return html.split('data-count="', 1)[1].split('"', 1)[0]


def test_following_the_emailed_link_confirms_and_counts(signed, visit, client):
    _signature, email = signed

    response = visit(link_in(email, "confirm"))

    assert response.status_code == 200
    assert "Thank you: your signature is confirmed" in response.content.decode()
    assert "Ada Lovelace, your name now stands" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert count_on_home(client) == "1"


def test_thanks_page_offers_sharing_links(signed, visit):
    html = visit(link_in(signed[1], "confirm")).content.decode()
    assert "https://bsky.app/intent/compose?text=" in html
    assert "https://www.facebook.com/sharer/sharer.php?u=" in html
    assert "mailto:?subject=" in html


def test_french_signatory_is_thanked_in_french(sign, visit, valid_post):
    CampaignFactory()
    sign(valid_post, "fr")
    html = visit(link_in(OutboundEmail.objects.get(), "confirm")).content.decode()
    assert "Merci\u00a0: votre signature est confirmée" in html


def test_a_second_click_is_harmless(signed, visit, client):
    link = link_in(signed[1], "confirm")
    visit(link)
    confirmed_at = Signature.objects.get().confirmed_at

    again = visit(link)

    assert again.status_code == 200
    assert "You had already confirmed this signature" in again.content.decode()
    assert Signature.objects.get().confirmed_at == confirmed_at
    assert count_on_home(client) == "1"


def test_an_expired_link_offers_a_new_one(signed, visit, settings):
    signature, email = signed
    settings.SIGNATURE_CONFIRM_DAYS = 0

    response = visit(link_in(email, "confirm"))

    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html
    assert Signature.objects.get().status == Signature.Status.PENDING

    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    Signature.objects.update(last_email_at=timezone.now() - datetime.timedelta(minutes=10))
    resent = visit("/en/sign/new-link/", "post", token=token)

    assert resent["Location"] == "/en/sign/check-your-email/"
    assert OutboundEmail.objects.filter(kind="confirm_signature").count() == 2


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(":", ":x", 1),
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_a_tampered_link_confirms_nothing(signed, visit, mangle):
    token = link_in(signed[1], "confirm").split("/confirm/")[1].rstrip("/")

    response = visit(f"/en/sign/confirm/{mangle(token)}/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_withdrawal_link_is_not_a_confirmation_link(signed, visit):
    token = link_in(signed[1], "withdraw").split("/withdraw/")[1].rstrip("/")
    assert visit(f"/en/sign/confirm/{token}/").status_code == 400
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_an_invalid_link_page_sends_a_new_link_by_address(signed, visit):
    Signature.objects.update(last_email_at=timezone.now() - datetime.timedelta(minutes=10))
    response = visit("/en/sign/new-link/", "post", email="ADA@example.org".lower())
    assert response["Location"] == "/en/sign/check-your-email/"
    assert OutboundEmail.objects.count() == 2


def test_asking_for_a_link_for_an_unknown_address_looks_the_same(signed, visit):
    response = visit("/en/sign/new-link/", "post", email="stranger@example.org")
    assert response["Location"] == "/en/sign/check-your-email/"
    assert OutboundEmail.objects.count() == 1


def test_withdrawing_asks_first_then_removes_the_signature_from_the_count(signed, visit, client):
    _signature, email = signed
    visit(link_in(email, "confirm"))
    withdraw = link_in(email, "withdraw")

    page = visit(withdraw)
    assert page.status_code == 200
    assert "Withdraw your signature?" in page.content.decode()
    assert Signature.objects.get().status == Signature.Status.CONFIRMED

    done = visit(withdraw, "post")

    assert "Your signature is withdrawn" in done.content.decode()
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert count_on_home(client) == "0"
    assert visit(withdraw, "post").status_code == 200
    assert "Your signature is withdrawn" in visit(withdraw).content.decode()


def test_an_old_confirmation_link_stops_working_after_withdrawal(signed, visit):
    _signature, email = signed
    visit(link_in(email, "withdraw"), "post")

    response = visit(link_in(email, "confirm"))

    assert response.status_code == 400
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_signing_again_after_withdrawal_needs_a_new_confirmation(signed, sign, visit, valid_post):
    _signature, first_email = signed
    visit(link_in(first_email, "withdraw"), "post")
    Signature.objects.update(last_email_at=timezone.now() - datetime.timedelta(minutes=10))

    sign(valid_post)
    second_email = OutboundEmail.objects.latest("id")

    assert Signature.objects.get().status == Signature.Status.PENDING
    assert visit(link_in(first_email, "confirm")).status_code == 400
    assert visit(link_in(second_email, "confirm")).status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_tampered_withdrawal_link_withdraws_nothing(signed, visit):
    response = visit("/en/sign/withdraw/forged-token/", "post")
    assert response.status_code == 400
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_confirm_tokens_expire_after_the_setting(settings):
    class Stub:
        pk = 7
        withdrawn_at = None

    token = tokens.make_confirm_token(Stub())
    assert tokens.read_confirm_token(token).signature_id == 7
    settings.SIGNATURE_CONFIRM_DAYS = 0
    with pytest.raises(tokens.TokenExpired) as expired:
        tokens.read_confirm_token(token)
    assert expired.value.signature_id == 7
