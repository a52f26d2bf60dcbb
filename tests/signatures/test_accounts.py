"""django-allauth's messages leave through the outbox, in the visitor's language."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from campaign.models import OutboundEmail
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_login_code_is_queued_in_the_outbox(
    client, mailoutbox, language, django_capture_on_commit_callbacks
):
    CampaignFactory()
    user = get_user_model().objects.create_user("ada", "ada@example.org")
    user.emailaddress_set.create(email="ada@example.org", verified=True, primary=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/{language}/accounts/login/code/", {"email": "ada@example.org"})

    assert response.status_code == 302
    queued = OutboundEmail.objects.get()
    assert queued.recipient == "ada@example.org"
    assert queued.kind == "account_login_code"
    assert queued.language == language
    assert queued.status == OutboundEmail.Status.SENT
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == queued.subject
    assert mailoutbox[0].extra_headers["Message-ID"] == queued.message_id
