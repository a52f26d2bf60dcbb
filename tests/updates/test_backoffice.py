"""The back office's update pages: writing and previewing, the progress page, publishing as
news, and who may do any of it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import AuditEvent, OutboundEmail
from updates import services
from updates.models import Update

from .conftest import make_update

pytestmark = pytest.mark.django_db


def _sent(update, actor) -> Update:
    services.start_sending(update_id=update.pk, actor=actor)
    services.fan_out(update_id=update.pk, paced=False)
    update.refresh_from_db()
    return update


# --- Writing --------------------------------------------------------------------------------


def test_an_organiser_writes_a_draft_in_one_language_first(organiser_client, campaign):
    response = organiser_client.post(
        reverse("organise:update_new"),
        {"title_en": "Hello", "body_en": "First *news*.", "title_fr": "", "body_fr": ""},
    )

    update = Update.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("organise:update", args=[update.pk])
    assert (update.title_en, update.body_en, update.status) == ("Hello", "First *news*.", "draft")
    assert update.created_by == organiser_client.user
    page = organiser_client.get(response["Location"]).content.decode()
    assert "<em>news</em>" in page  # the preview
    assert "Missing: French." in page
    assert AuditEvent.objects.filter(action="update.created", data__update=update.pk).exists()


def test_a_draft_without_a_title_is_refused_and_the_text_is_kept(organiser_client, campaign):
    response = organiser_client.post(
        reverse("organise:update_new"),
        {"title_en": " ", "body_en": "Something I typed for a long time.", "title_fr": ""},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Give the update a title, in English or in French." in page
    assert "Something I typed for a long time." in page
    assert not Update.objects.exists()


def test_preview_renders_the_typed_text_without_saving(organiser_client, campaign):
    response = organiser_client.post(
        reverse("organise:update_new"),
        {
            "title_en": "Preview me",
            "body_en": "**Bold** <script>alert(1)</script>",
            "title_fr": "Aperçu",
            "body_fr": "*Penché*",
            "preview": "",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in page and "<em>Penché</em>" in page
    assert "alert(1)" not in page.split('id="preview-heading"')[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # still in the textarea, escaped
    assert not Update.objects.exists()


def test_an_organiser_edits_a_draft(organiser_client, update):
    response = organiser_client.post(
        reverse("organise:update_edit", args=[update.pk]),
        {"title_en": "New title", "body_en": "New text", "title_fr": "Titre", "body_fr": "Texte"},
    )

    assert response.status_code == 302
    update.refresh_from_db()
    assert (update.title_en, update.body_fr) == ("New title", "Texte")
    event = AuditEvent.objects.get(action="update.edited")
    assert event.data["changed"] == ["body_en", "body_fr", "title_en", "title_fr"]


def test_a_sent_update_cannot_be_edited(organiser_client, audience, update):
    _sent(update, organiser_client.user)

    response = organiser_client.post(
        reverse("organise:update_edit", args=[update.pk]),
        {"title_en": "Rewritten history", "body_en": "x", "title_fr": "x", "body_fr": "x"},
        follow=True,
    )

    assert "it can no longer be edited" in response.content.decode()
    update.refresh_from_db()
    assert update.title_en == "The appeal reaches Brussels"


def test_a_draft_can_be_deleted_but_not_a_sent_update(organiser_client, audience, campaign):
    draft = make_update(campaign)
    sent = _sent(make_update(campaign, title_en="Sent one"), organiser_client.user)

    organiser_client.post(reverse("organise:update_delete", args=[draft.pk]))
    response = organiser_client.post(reverse("organise:update_delete", args=[sent.pk]), follow=True)

    assert list(Update.objects.all()) == [sent]
    assert "Only a draft can be deleted" in response.content.decode()


def test_the_list_shows_every_update_in_a_fixed_number_of_queries(
    organiser_client, campaign, django_assert_max_num_queries
):
    for number in range(30):
        make_update(campaign, title_en=f"Update number {number}")

    with django_assert_max_num_queries(12):
        response = organiser_client.get(reverse("organise:updates"))

    page = response.content.decode()
    assert "Update number 29" in page and "Update number 0" in page


def test_the_list_is_paginated(organiser_client, campaign, monkeypatch):
    from updates import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for number in range(3):
        make_update(campaign, title_en=f"Update number {number}")

    first = organiser_client.get(reverse("organise:updates")).content.decode()
    cursor = first.split("?after=")[1].split('"')[0]
    second = organiser_client.get(reverse("organise:updates") + f"?after={cursor}")

    assert "Update number 2" in first and "Update number 0" not in first
    assert "Update number 0" in second.content.decode()


# --- Progress ---------------------------------------------------------------------------------


def test_the_progress_page_counts_queued_sent_and_failed(organiser_client, audience, update):
    _sent(update, organiser_client.user)  # nothing delivered: no commit runs here
    english = OutboundEmail.objects.get(recipient="english@example.org")
    english.status = OutboundEmail.Status.FAILED
    english.save()

    response = organiser_client.get(reverse("organise:update", args=[update.pk]))

    page = response.content.decode()
    assert 'id="figure-queued">1<' in page
    assert 'id="figure-sent">0<' in page
    assert 'id="figure-failed">1<' in page
    assert '<meta http-equiv="refresh" content="5">' in page  # one still waits to leave

    OutboundEmail.objects.filter(recipient="french@example.org").update(
        status=OutboundEmail.Status.SENT
    )
    page = organiser_client.get(reverse("organise:update", args=[update.pk])).content.decode()
    assert 'id="figure-queued">0<' in page and 'id="figure-sent">1<' in page
    assert "Every email has been handled." in page
    assert 'http-equiv="refresh"' not in page


def test_the_progress_page_keeps_its_query_count(
    organiser_client, audience, update, django_assert_max_num_queries
):
    _sent(update, organiser_client.user)

    with django_assert_max_num_queries(12):
        organiser_client.get(reverse("organise:update", args=[update.pk]))


def test_a_stalled_sending_can_be_resumed(
    organiser_client, audience, update, django_capture_on_commit_callbacks
):
    services.start_sending(update_id=update.pk, actor=organiser_client.user)
    Update.objects.filter(pk=update.pk).update(
        last_run_at=timezone.now() - datetime.timedelta(hours=1)
    )  # its task was lost: nothing was queued
    page = organiser_client.get(reverse("organise:update", args=[update.pk])).content.decode()
    assert "Resume sending" in page

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(reverse("organise:update_resume", args=[update.pk]))

    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert OutboundEmail.objects.count() == 2
    assert AuditEvent.objects.filter(action="update.resumed").count() == 1


def test_a_sending_that_moves_is_not_resumed(organiser_client, audience, update):
    services.start_sending(update_id=update.pk, actor=organiser_client.user)

    response = organiser_client.post(
        reverse("organise:update_resume", args=[update.pk]), follow=True
    )

    assert "there was nothing to resume" in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_the_beat_task_resumes_only_stalled_updates(organiser_client, audience, campaign):
    from updates.tasks import resume_stalled_updates

    stalled = make_update(campaign, title_en="Stalled")
    moving = make_update(campaign, title_en="Moving")
    for update in (stalled, moving):
        services.start_sending(update_id=update.pk, actor=organiser_client.user)
    Update.objects.filter(pk=stalled.pk).update(
        last_run_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert resume_stalled_updates.apply().get() == 1


# --- News -------------------------------------------------------------------------------------


def _news_path(update, language: str) -> str:
    with translation.override(language):
        return reverse("updates:news_detail", args=[update.slug])


def test_a_published_update_is_news_in_both_languages(organiser_client, audience, update, client):
    _sent(update, organiser_client.user)

    organiser_client.post(reverse("organise:update_publish", args=[update.pk]))

    update.refresh_from_db()
    assert update.is_published and update.slug == "the-appeal-reaches-brussels"
    english = client.get(_news_path(update, "en"))
    french = client.get(_news_path(update, "fr"))
    assert english.status_code == french.status_code == 200
    assert "The appeal reaches Brussels" in english.content.decode()
    assert "<strong>members of Parliament</strong>" in english.content.decode()
    assert "L&#x27;appel arrive à Bruxelles" in french.content.decode()
    assert "<strong>des députés</strong>" in french.content.decode()
    with translation.override("fr"):
        listing = client.get(reverse("updates:news")).content.decode()
    assert "L&#x27;appel arrive à Bruxelles" in listing
    assert AuditEvent.objects.filter(action="update.published").exists()


def test_an_unpublished_update_is_gone_from_the_news(organiser_client, audience, update, client):
    _sent(update, organiser_client.user)
    organiser_client.post(reverse("organise:update_publish", args=[update.pk]))
    update.refresh_from_db()

    organiser_client.post(reverse("organise:update_unpublish", args=[update.pk]))

    assert client.get(_news_path(update, "en")).status_code == 404
    assert client.get(_news_path(update, "fr")).status_code == 404
    assert "The appeal reaches Brussels" not in client.get(reverse("updates:news")).content.decode()
    assert AuditEvent.objects.filter(action="update.unpublished").exists()


def test_a_draft_cannot_be_published(organiser_client, update, client):
    response = organiser_client.post(
        reverse("organise:update_publish", args=[update.pk]), follow=True
    )

    assert "Only an update that has been sent can be published." in response.content.decode()
    update.refresh_from_db()
    assert not update.is_published
    assert "The appeal reaches Brussels" not in client.get(reverse("updates:news")).content.decode()


def test_two_updates_with_the_same_title_get_different_addresses(
    organiser_client, audience, campaign
):
    first = _sent(make_update(campaign), organiser_client.user)
    second = _sent(make_update(campaign), organiser_client.user)

    for update in (first, second):
        services.publish_update(update_id=update.pk, actor=organiser_client.user)
        update.refresh_from_db()

    assert first.slug != second.slug


def test_the_news_list_is_empty_at_first(client, campaign):
    response = client.get(reverse("updates:news"))

    assert response.status_code == 200
    assert "There is no news yet." in response.content.decode()


# --- Who may ----------------------------------------------------------------------------------

UPDATE_URLS = [
    ("get", "organise:updates", False),
    ("get", "organise:update_new", False),
    ("post", "organise:update_new", False),
    ("get", "organise:update", True),
    ("get", "organise:update_edit", True),
    ("post", "organise:update_edit", True),
    ("post", "organise:update_test", True),
    ("get", "organise:update_send", True),
    ("post", "organise:update_send", True),
    ("post", "organise:update_resume", True),
    ("post", "organise:update_publish", True),
    ("post", "organise:update_unpublish", True),
    ("post", "organise:update_delete", True),
]


@pytest.mark.parametrize("role", ["Moderator", "Viewer", ""])
@pytest.mark.parametrize(("method", "name", "takes_id"), UPDATE_URLS)
def test_only_organisers_handle_updates(client_as, audience, update, role, method, name, takes_id):
    client = client_as(role)
    url = reverse(name, args=[update.pk] if takes_id else [])

    response = getattr(client, method)(url, {"title_en": "Hijacked", "body_en": "x"})

    assert response.status_code == 403
    update.refresh_from_db()
    assert update.is_draft and update.title_en == "The appeal reaches Brussels"
    assert not OutboundEmail.objects.exists()
    assert Update.objects.count() == 1


@pytest.mark.parametrize(("method", "name", "takes_id"), UPDATE_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, update, method, name, takes_id):
    url = reverse(name, args=[update.pk] if takes_id else [])

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))


@pytest.mark.parametrize("role", ["Organiser", "superuser"])
def test_organisers_and_superusers_open_every_update_page(client_as, update, role):
    client = client_as(role)

    for name in ("organise:updates", "organise:update_new"):
        assert client.get(reverse(name)).status_code == 200
    for name in ("organise:update", "organise:update_edit", "organise:update_send"):
        assert client.get(reverse(name, args=[update.pk])).status_code == 200


def test_an_update_of_another_campaign_is_not_found(organiser_client, campaign):
    from tests.factories import CampaignFactory

    elsewhere = make_update(CampaignFactory(slug="another-appeal"))

    assert organiser_client.get(reverse("organise:update", args=[elsewhere.pk])).status_code == 404
