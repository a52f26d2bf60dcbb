"""Sending an update with a real worker: commit → Redis → Celery (paced fan-out) → outbox →
SMTP, on PostgreSQL. Eager mode hides serialisation and commit-order mistakes; this does not."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import transaction

from tests.factories import CampaignFactory
from tests.integration.conftest import (  # noqa: F401 (fixtures)
    celery_broker,
    celery_worker,
    redis_server,
    smtp_server,
    wait_until,
)
from tests.organise.conftest import make_person
from updates import services, tasks
from updates.models import Update

from .conftest import consenting_signature, make_update

pytestmark = pytest.mark.services


@pytest.fixture(autouse=True)
def shared_cache(celery_worker, redis_server, settings):  # noqa: F811 (fixtures)
    """This process shares the worker's cache, as web processes and workers do."""
    settings.CACHES = {
        "default": {
            "BACKEND": "campaign.cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": celery_worker.env["CACHE_KEY_PREFIX"],
        }
    }


def test_a_worker_sends_each_consenting_signatory_the_update_once(
    celery_worker,  # noqa: F811 (fixture)
    smtp_server,  # noqa: F811 (fixture)
):
    campaign = CampaignFactory()
    for number in range(3):
        consenting_signature(campaign, f"en{number}@example.org", language="en")
        consenting_signature(campaign, f"fr{number}@example.org", language="fr")
    consenting_signature(campaign, "quiet@example.org", wants_updates=False)
    update = make_update(campaign)
    organiser = make_person("Organiser")

    with transaction.atomic():
        assert services.start_sending(update_id=update.pk, actor=organiser)
    messages = smtp_server.wait_for_messages(6, timeout=30)
    tasks.send_update.delay(update.pk)  # a stray second run
    with transaction.atomic():
        assert not services.start_sending(update_id=update.pk, actor=organiser)
    time.sleep(2)

    messages = smtp_server.messages
    counts = Counter(message["To"] for message in messages)
    assert counts == Counter(
        {f"{lang}{n}@example.org": 1 for lang in ["en", "fr"] for n in range(3)}
    )
    for message in messages:
        # A long header is folded onto a second line: what follows the colon is whitespace.
        assert message["List-Unsubscribe"].strip().startswith("<http")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        expected = (
            "L'appel arrive à Bruxelles"
            if message["To"].startswith("fr")
            else ("The appeal reaches Brussels")
        )
        assert message["Subject"] == expected

    def is_sent() -> bool:
        update.refresh_from_db()
        return update.status == Update.Status.SENT

    wait_until(is_sent, timeout=10, what="the update to be marked sent")
    assert update.recipients_queued == 6
