"""Sending an update: the right people, each in their language, exactly once, with a one-click
unsubscribe; the test to oneself; the fan-out's batches, pacing and resumption."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from campaign.models import AuditEvent, OutboundEmail
from signatures.models import Supporter
from updates import services, tasks
from updates.models import Update, UpdateRecipient
from updates.services import fanout

from .conftest import consenting_signature, make_update

pytestmark = pytest.mark.django_db


def _send(client, update, django_capture_on_commit_callbacks):
    """Confirm the send as an organiser would, running what follows the commit (the task,
    then delivery) as a worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("organise:update_send", args=[update.pk]))


def _update_emails(update) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(dedup_key__startswith=f"update:{update.pk}:").order_by(
            "recipient"
        )
    )


def test_an_update_reaches_exactly_the_consenting_counted_signatories(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    response = _send(organiser_client, update, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    emails = _update_emails(update)
    assert [email.recipient for email in emails] == ["english@example.org", "french@example.org"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "english@example.org",
        "french@example.org",
    ]
    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert update.recipients_planned == update.recipients_queued == 2
    assert set(UpdateRecipient.objects.values_list("signature_id", flat=True)) == {
        audience.english.pk,
        audience.french.pk,
    }


def test_each_signatory_gets_it_in_the_language_they_signed_in(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    _send(organiser_client, update, django_capture_on_commit_callbacks)

    english, french = _update_emails(update)
    assert (english.language, french.language) == ("en", "fr")
    assert english.subject == "The appeal reaches Brussels"
    assert french.subject == "L'appel arrive à Bruxelles"
    assert "<strong>members of Parliament</strong>" in english.html_body
    assert "<strong>des députés</strong>" in french.html_body
    assert "députés" not in english.html_body and "Parliament" not in french.html_body
    # The plain-text part is the Markdown source, in the same language.
    assert "We met **members of Parliament**." in english.text_body
    assert "Nous avons rencontré **des députés**." in french.text_body
    assert "Hello English," in english.text_body


def test_every_update_email_carries_a_one_click_unsubscribe(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    _send(organiser_client, update, django_capture_on_commit_callbacks)

    for email in _update_emails(update):
        link = email.headers["List-Unsubscribe"]
        assert link.startswith("<http") and link.endswith(">")
        assert "/updates/unsubscribe/" in link
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # The same link is visible in both parts of the message.
        assert link[1:-1] in email.text_body
        assert f'href="{link[1:-1]}"' in email.html_body
    delivered = {message.to[0]: message for message in mail.outbox}
    assert delivered["french@example.org"].extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )


def test_sending_twice_and_running_the_task_twice_sends_once(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    first = _send(organiser_client, update, django_capture_on_commit_callbacks)
    second = _send(organiser_client, update, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_update.apply(args=[update.pk])
        tasks.send_update.apply(args=[update.pk])
        services.queue_next_batch(update_id=update.pk)

    assert first.status_code == second.status_code == 302
    assert len(_update_emails(update)) == 2
    assert len(mail.outbox) == 2
    assert UpdateRecipient.objects.filter(update=update).count() == 2
    assert AuditEvent.objects.filter(action="update.sent").count() == 1
    followed = organiser_client.get(second["Location"])
    assert "already sent; nothing more was sent" in followed.content.decode()


def test_two_updates_are_two_emails_for_the_same_person(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    _send(organiser_client, update, django_capture_on_commit_callbacks)
    later = make_update(update.campaign, title_en="A second update", title_fr="Une deuxième")
    _send(organiser_client, later, django_capture_on_commit_callbacks)

    assert len(_update_emails(later)) == 2
    assert len(mail.outbox) == 4


def test_sending_is_recorded_once_in_the_audit_trail(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    _send(organiser_client, update, django_capture_on_commit_callbacks)

    event = AuditEvent.objects.get(action="update.sent")
    assert event.actor == organiser_client.user
    assert event.data["update"] == update.pk
    assert event.data["recipients"] == 2
    assert event.data["by_language"] == {"en": 1, "fr": 1}


def test_an_update_missing_a_language_is_not_sent(
    organiser_client, audience, campaign, django_capture_on_commit_callbacks
):
    update = make_update(campaign, body_fr="")

    response = _send(organiser_client, update, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    page = organiser_client.get(response["Location"]).content.decode()
    assert "Both languages need a title and a text" in page
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.filter(action="update.sent").exists()


def test_the_confirmation_states_how_many_people_in_each_language(
    organiser_client, audience, update
):
    response = organiser_client.get(reverse("organise:update_send", args=[update.pk]))

    page = response.content.decode()
    assert "It will go to 2 people" in page
    assert "1 person in English" in page
    assert "1 person in French" in page
    assert not OutboundEmail.objects.exists()  # GET changes nothing
    update.refresh_from_db()
    assert update.is_draft


# --- The test to oneself ---------------------------------------------------------------------


def test_a_test_send_goes_only_to_the_organiser_marked_as_a_test(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    organiser = organiser_client.user
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(reverse("organise:update_test", args=[update.pk]))

    assert response.status_code == 302
    emails = list(OutboundEmail.objects.order_by("language"))
    assert [(email.recipient, email.language) for email in emails] == [
        (organiser.email, "en"),
        (organiser.email, "fr"),
    ]
    assert emails[0].subject == "[Test] The appeal reaches Brussels"
    assert "TEST: this is how the update will look." in emails[0].text_body
    assert "List-Unsubscribe" not in emails[0].headers
    assert [message.to for message in mail.outbox] == [[organiser.email]] * 2
    update.refresh_from_db()
    assert update.is_draft
    assert not UpdateRecipient.objects.exists()
    event = AuditEvent.objects.get(action="update.test_sent")
    assert event.actor == organiser and event.data["languages"] == ["en", "fr"]
    page = organiser_client.get(response["Location"]).content.decode()
    assert f"A test is on its way to {organiser.email}" in page


def test_a_double_click_on_test_sends_one_test(organiser_client, update):
    url = reverse("organise:update_test", args=[update.pk])
    organiser_client.post(url)
    organiser_client.post(url)

    assert OutboundEmail.objects.filter(language="en").count() == 1


def test_a_test_of_an_unwritten_update_explains_why_nothing_was_sent(organiser_client, campaign):
    update = make_update(campaign, body_en="", body_fr="")

    response = organiser_client.post(reverse("organise:update_test", args=[update.pk]), follow=True)

    assert "Write a title and a text in at least one language first." in response.content.decode()
    assert not OutboundEmail.objects.exists()


# --- Batches, pacing, resumption -------------------------------------------------------------


def test_batches_resume_where_they_stopped(
    organiser_client, audience, campaign, update, monkeypatch, django_capture_on_commit_callbacks
):
    more = [
        consenting_signature(campaign, f"extra{n}@example.org", language="fr") for n in range(3)
    ]
    services.start_sending(update_id=update.pk, actor=organiser_client.user)
    # A first run queues one batch of two, then its worker dies.
    assert services.queue_next_batch(update_id=update.pk, size=2) is False
    update.refresh_from_db()
    assert update.status == Update.Status.SENDING
    assert update.recipients_queued == 2

    monkeypatch.setattr(fanout, "FANOUT_BATCH_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_update.apply(args=[update.pk]).get() == "done"

    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert update.recipients_queued == 5
    recipients = {email.recipient for email in _update_emails(update)}
    assert recipients == {"english@example.org", "french@example.org"} | {
        signature.supporter.email for signature in more
    }


def test_people_who_sign_after_sending_started_are_not_included(
    organiser_client, audience, campaign, update
):
    services.start_sending(update_id=update.pk, actor=organiser_client.user)
    consenting_signature(campaign, "latecomer@example.org")

    services.fan_out(update_id=update.pk, paced=False)

    assert "latecomer@example.org" not in {email.recipient for email in _update_emails(update)}


def test_someone_who_unsubscribes_during_sending_is_skipped(organiser_client, audience, update):
    services.start_sending(update_id=update.pk, actor=organiser_client.user)
    audience.french.wants_updates = False
    audience.french.save()

    services.fan_out(update_id=update.pk, paced=False)

    assert [email.recipient for email in _update_emails(update)] == ["english@example.org"]


def test_a_paced_run_waits_while_the_outbox_is_full(
    organiser_client, audience, update, settings, monkeypatch
):
    monkeypatch.setattr(fanout, "FANOUT_BATCH_SIZE", 1)
    settings.OUTBOX_RATE_PER_MINUTE = 1
    services.start_sending(update_id=update.pk, actor=organiser_client.user)

    # The first batch fills the outbox (nothing is delivered: no commit runs here).
    assert services.fan_out(update_id=update.pk, paced=True) == services.FanOut.WAIT
    assert len(_update_emails(update)) == 1
    assert services.fan_out(update_id=update.pk, paced=True) == services.FanOut.WAIT
    assert len(_update_emails(update)) == 1

    OutboundEmail.objects.update(status=OutboundEmail.Status.SENT)
    assert services.fan_out(update_id=update.pk, paced=True) == services.FanOut.WAIT
    assert len(_update_emails(update)) == 2


def test_a_paced_run_hands_over_to_the_next(monkeypatch, update):
    started = []
    monkeypatch.setattr(
        tasks.send_update, "apply_async", lambda args, countdown=None: started.append(countdown)
    )

    services.continue_fan_out(update_id=update.pk, progress=services.FanOut.MORE)
    services.continue_fan_out(update_id=update.pk, progress=services.FanOut.WAIT)
    services.continue_fan_out(update_id=update.pk, progress=services.FanOut.DONE)

    assert started == [None, services.PACE_WAIT_SECONDS]


def test_a_refused_address_is_skipped_not_fatal(organiser_client, audience, update):
    Supporter.objects.filter(pk=audience.english.supporter_id).update(email="not an address")
    services.start_sending(update_id=update.pk, actor=organiser_client.user)

    services.fan_out(update_id=update.pk, paced=False)

    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert (update.recipients_queued, update.recipients_skipped) == (1, 1)
    assert [email.recipient for email in _update_emails(update)] == ["french@example.org"]


def test_the_email_html_is_the_sanitised_rendering(organiser_client, audience, campaign):
    update = make_update(
        campaign,
        body_en='Hi <script>steal()</script><img src=x onerror="steal()"> [x](javascript:steal())',
    )

    services.start_sending(update_id=update.pk, actor=organiser_client.user)
    services.fan_out(update_id=update.pk, paced=False)

    english = OutboundEmail.objects.get(recipient="english@example.org")
    assert "steal" not in english.html_body
    assert "<img" not in english.html_body and "<script" not in english.html_body
