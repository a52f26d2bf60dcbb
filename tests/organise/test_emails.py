"""The failed-email view: what failed and why, sending again, cancelling, and who may."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEvent, OutboundEmail
from tests.factories import SupporterFactory

pytestmark = pytest.mark.django_db

LIST = reverse("organise:emails")


def _email(recipient: str, *, status: str, kind: str = "confirm_signature", **fields):
    values = {
        "recipient": recipient,
        "language": "en",
        "kind": kind,
        "subject": f"Subject for {recipient}",
        "text_body": "Your link: https://example.org/en/sign/confirm/SECRET/",
        "message_id": f"<{recipient}@test>",
        "dedup_key": f"test:{recipient}:{kind}",
        "status": status,
    }
    return OutboundEmail.objects.create(**(values | fields))


@pytest.fixture
def outbox(campaign):
    """A failed message, one retrying after an error, and some that are no one's concern."""
    return {
        "failed": _email(
            "bounced@example.org",
            status="failed",
            attempts=6,
            last_error="550 5.1.1 <bounced@example.org>: mailbox unavailable",
        ),
        "retrying": _email(
            "slow@example.org",
            status="queued",
            kind="update",
            attempts=2,
            last_error="421 4.7.0 Try again later",
        ),
        "queued": _email("waiting@example.org", status="queued"),
        "sent": _email("fine@example.org", status="sent", sent_at=timezone.now()),
        "cancelled": _email("dropped@example.org", status="cancelled", last_error="gave up"),
    }


def test_the_list_shows_failed_and_retrying_messages_only(organiser_client, outbox):
    response = organiser_client.get(LIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert "bounced@example.org" in page and "slow@example.org" in page
    assert "550 5.1.1" in page and "421 4.7.0 Try again later" in page
    for quiet in ("waiting@example.org", "fine@example.org", "dropped@example.org"):
        assert quiet not in page
    assert page.index("slow@example.org") < page.index("bounced@example.org")  # newest first
    assert "SECRET" not in page  # message bodies carry people's links: never shown


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "failed"}, "bounced@example.org", "slow@example.org"),
        ({"status": "retrying"}, "slow@example.org", "bounced@example.org"),
        ({"status": "cancelled"}, "dropped@example.org", "bounced@example.org"),
        ({"kind": "update"}, "slow@example.org", "bounced@example.org"),
        ({"recipient": "BOUNCED@example.org"}, "bounced@example.org", "slow@example.org"),
    ],
)
def test_the_list_filters_by_status_kind_and_recipient(
    organiser_client, outbox, query, shown, hidden
):
    page = organiser_client.get(LIST, query).content.decode()

    assert shown in page
    assert hidden not in page


def test_a_bad_filter_is_ignored_with_a_message_and_kept(organiser_client, outbox):
    response = organiser_client.get(LIST, {"recipient": "not an address", "kind": "nonsense"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in page
    assert 'value="not an address"' in page
    assert "bounced@example.org" in page and "slow@example.org" in page


def test_the_list_pages_in_a_fixed_number_of_queries(
    organiser_client, campaign, monkeypatch, django_assert_max_num_queries
):
    from updates import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 20)
    start = timezone.now() - datetime.timedelta(hours=1)
    for number in range(45):
        email = _email(f"failed{number:02}@example.org", status="failed", last_error="boom")
        OutboundEmail.objects.filter(pk=email.pk).update(
            created_at=start + datetime.timedelta(minutes=number)
        )

    with django_assert_max_num_queries(12):
        first = organiser_client.get(LIST).content.decode()
    cursor = first.split("after=")[1].split('"')[0]
    with django_assert_max_num_queries(12):
        second = organiser_client.get(f"{LIST}?after={cursor}").content.decode()

    assert "failed44@example.org" in first and "failed25@example.org" in first
    assert "failed24@example.org" not in first
    assert "failed24@example.org" in second and "failed05@example.org" in second
    assert "failed25@example.org" not in second


def test_the_detail_says_why_it_failed(organiser_client, outbox):
    response = organiser_client.get(reverse("organise:email", args=[outbox["failed"].pk]))

    page = response.content.decode()
    assert "550 5.1.1 &lt;bounced@example.org&gt;: mailbox unavailable" in page
    assert "bounced@example.org" in page
    assert "<dt>Attempts</dt><dd>6</dd>" in page
    assert "Send again" in page and "Cancel it" in page
    assert "SECRET" not in page


def test_sending_again_requeues_it_with_fresh_attempts_and_is_audited(organiser_client, outbox):
    failed = outbox["failed"]
    supporter = SupporterFactory(email="bounced@example.org")

    response = organiser_client.post(reverse("organise:email_retry", args=[failed.pk]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)
    event = AuditEvent.objects.get(action="email.retried")
    assert event.actor == organiser_client.user
    assert event.supporter == supporter
    assert event.data["email"] == failed.pk
    assert event.data["before"] == {"status": "failed", "attempts": 6}
    assert event.data["after"] == {"status": "queued", "attempts": 0}
    page = organiser_client.get(response["Location"]).content.decode()
    assert "The message is queued to be sent again." in page


def test_cancelling_stops_it_and_is_audited(organiser_client, outbox):
    retrying = outbox["retrying"]

    response = organiser_client.post(
        reverse("organise:email_cancel", args=[retrying.pk]), follow=True
    )

    retrying.refresh_from_db()
    assert retrying.status == "cancelled"
    assert "The message is cancelled; it will not be sent." in response.content.decode()
    event = AuditEvent.objects.get(action="email.cancelled")
    assert event.data["before"]["status"] == "queued"
    assert event.data["after"]["status"] == "cancelled"


@pytest.mark.parametrize("action", ["organise:email_retry", "organise:email_cancel"])
def test_a_message_already_sent_can_be_neither_sent_again_nor_cancelled(
    organiser_client, outbox, action
):
    sent = outbox["sent"]

    response = organiser_client.post(reverse(action, args=[sent.pk]), follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "This message has already left or is leaving" in page
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert not AuditEvent.objects.filter(action__startswith="email.").exists()


def test_an_unknown_message_is_not_found(organiser_client, campaign):
    assert organiser_client.get(reverse("organise:email", args=[999])).status_code == 404
    assert organiser_client.post(reverse("organise:email_retry", args=[999])).status_code == 404


EMAIL_URLS = [
    ("get", "organise:emails", False),
    ("get", "organise:email", True),
    ("post", "organise:email_retry", True),
    ("post", "organise:email_cancel", True),
]


@pytest.mark.parametrize("role", ["Moderator", "Viewer", ""])
@pytest.mark.parametrize(("method", "name", "takes_id"), EMAIL_URLS)
def test_only_organisers_manage_failed_emails(client_as, outbox, role, method, name, takes_id):
    client = client_as(role)
    failed = outbox["failed"]

    response = getattr(client, method)(reverse(name, args=[failed.pk] if takes_id else []))

    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["Moderator", "Viewer"])
def test_the_menu_hides_failed_emails_from_other_roles(client_as, campaign, role):
    page = client_as(role).get(reverse("organise:dashboard")).content.decode()

    assert f'href="{LIST}"' not in page


def test_the_menu_shows_failed_emails_and_updates_to_organisers(organiser_client):
    page = organiser_client.get(reverse("organise:dashboard")).content.decode()

    assert f'href="{LIST}"' in page
    assert f'href="{reverse("organise:updates")}"' in page
