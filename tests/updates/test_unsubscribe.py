"""Unsubscribing from updates: the mail client's one-click POST (RFC 8058), the page with a
button, a link that was tampered with; later updates skip the person."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from campaign.models import AuditEvent, OutboundEmail
from signatures.tokens import make_withdraw_token
from updates import services
from updates.tokens import make_unsubscribe_token

from .conftest import make_update

pytestmark = pytest.mark.django_db


def _unsubscribe_path(email: OutboundEmail) -> str:
    """The path of the link in the email's ``List-Unsubscribe`` header."""
    return urlsplit(email.headers["List-Unsubscribe"].strip("<>")).path


@pytest.fixture
def sent(audience, update, client_as):
    """The update, queued for everyone it goes to; returns the French signatory's email."""
    services.start_sending(update_id=update.pk, actor=client_as("Organiser").user)
    services.fan_out(update_id=update.pk, paced=False)
    return OutboundEmail.objects.get(recipient="french@example.org")


@pytest.fixture
def mail_client():
    """A client as a mail provider's server: no cookie, no CSRF token, and checks enforced."""
    return Client(enforce_csrf_checks=True)


def test_the_one_click_post_unsubscribes_without_a_csrf_token(audience, sent, mail_client):
    response = mail_client.post(_unsubscribe_path(sent), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    audience.french.refresh_from_db()
    assert audience.french.wants_updates is False
    assert audience.french.updates_unsubscribed_at is not None
    event = AuditEvent.objects.get(action="updates.unsubscribed")
    assert event.supporter == audience.french.supporter
    assert event.actor is None
    assert event.data["via"] == "one-click"
    assert event.data["before"]["wants_updates"] is True
    assert event.data["after"]["wants_updates"] is False


def test_unsubscribing_twice_changes_nothing_more(audience, sent, mail_client):
    path = _unsubscribe_path(sent)
    mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    audience.french.refresh_from_db()
    first_time = audience.french.updates_unsubscribed_at

    again = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert again.status_code == 200
    audience.french.refresh_from_db()
    assert audience.french.updates_unsubscribed_at == first_time
    assert AuditEvent.objects.filter(action="updates.unsubscribed").count() == 1


def test_later_updates_skip_whoever_unsubscribed(audience, update, sent, mail_client, client_as):
    mail_client.post(_unsubscribe_path(sent), data={"List-Unsubscribe": "One-Click"})
    later = make_update(update.campaign, title_en="Second", title_fr="Deuxième")

    services.start_sending(update_id=later.pk, actor=client_as("Organiser").user)
    services.fan_out(update_id=later.pk, paced=False)

    recipients = OutboundEmail.objects.filter(dedup_key__startswith=f"update:{later.pk}:")
    assert list(recipients.values_list("recipient", flat=True)) == ["english@example.org"]


def _english(sent) -> OutboundEmail:
    """The English signatory's email of the same update (its pages are in English)."""
    return OutboundEmail.objects.get(recipient="english@example.org", kind=sent.kind)


def test_opening_the_link_asks_first_and_changes_nothing(audience, sent, client):
    response = client.get(_unsubscribe_path(_english(sent)))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Stop receiving updates?" in page
    assert '<form method="post">' in page and "Yes, stop the updates" in page
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    audience.english.refresh_from_db()
    assert audience.english.wants_updates is True
    assert not AuditEvent.objects.filter(action="updates.unsubscribed").exists()


def test_the_button_on_the_page_unsubscribes(audience, sent, mail_client):
    path = _unsubscribe_path(_english(sent))

    response = mail_client.post(path)

    assert "You will receive no more updates" in response.content.decode()
    audience.english.refresh_from_db()
    assert audience.english.wants_updates is False
    assert AuditEvent.objects.get(action="updates.unsubscribed").data["via"] == "page"
    # Coming back to the link shows that it is done.
    assert "You will receive no more updates" in mail_client.get(path).content.decode()


def test_the_link_is_in_the_recipients_language(sent, client):
    path = _unsubscribe_path(sent)

    assert path.startswith("/fr/updates/unsubscribe/")
    assert '<html lang="fr">' in client.get(path).content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token[: len(token) // 2],
        lambda token: "not-a-token",
        lambda token: make_withdraw_token_for_same_signature(token),
    ],
    ids=["altered", "cut short", "garbage", "another link's token"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_gives_a_clear_page_and_changes_nothing(
    audience, mail_client, tamper, method
):
    token = make_unsubscribe_token(audience.french)
    path = f"/en/updates/unsubscribe/{tamper(token)}/"

    response = getattr(mail_client, method)(path, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    audience.french.refresh_from_db()
    assert audience.french.wants_updates is True
    assert not AuditEvent.objects.filter(action="updates.unsubscribed").exists()


def make_withdraw_token_for_same_signature(token: str) -> str:
    """A genuine token of the site, for another purpose (withdrawing the same signature)."""
    from signatures.models import Signature

    return make_withdraw_token(Signature.objects.get(supporter__email="french@example.org"))


def test_a_link_for_a_signature_that_no_longer_exists_is_explained(audience, mail_client):
    token = make_unsubscribe_token(audience.french)
    audience.french.supporter.delete()

    response = mail_client.post(f"/en/updates/unsubscribe/{token}/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
