"""The abuse tasks over a real broker and worker (eager mode hides serialisation and commit-order
bugs): screening queued by the signing transaction, and a bulk invalidation that hands itself
back to the queue."""

from __future__ import annotations

import pytest

from abuse import invalidation
from abuse.models import Invalidation, SigningContext
from abuse.selectors import Criteria
from abuse.services import add_list_entry
from signatures.models import Signature
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory
from tests.integration.conftest import (  # noqa: F401
    celery_broker,
    celery_worker,
    redis_server,
    smtp_server,
    wait_until,
)

from .conftest import SIGNER

pytestmark = pytest.mark.services


def test_the_worker_screens_what_the_signing_transaction_queued(client, celery_worker):  # noqa: F811
    CampaignFactory()
    add_list_entry(actor=None, kind="domain", verdict="block", value="spam.example")

    response = client.post(
        "/en/sign/",
        {**SIGNER, "email": "bot@spam.example"},
        REMOTE_ADDR="203.0.113.5",
        HTTP_USER_AGENT="curl/8.0",
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    wait_until(
        lambda: Signature.objects.filter(pk=signature.pk, moderation="rejected").exists(),
        timeout=20,
        what="the worker to reject the blocked signature",
        details=celery_worker.log,
    )
    context = SigningContext.objects.get()
    assert (context.ip, context.user_agent) == ("203.0.113.5", "curl/8.0")
    assert "spam.example" in Signature.objects.get().hold_reason


def test_the_worker_runs_a_bulk_invalidation_to_the_end(celery_worker):  # noqa: F811
    campaign = CampaignFactory()
    for n in range(10):
        SignatureFactory(campaign=campaign, supporter=SupporterFactory(email=f"b{n}@bots.example"))
    job = invalidation.start(
        campaign=campaign, criteria=Criteria(domain="bots.example"), reason="Bots", actor=None
    )
    wait_until(
        lambda: Invalidation.objects.filter(pk=job.pk, status="done").exists(),
        timeout=30,
        what="the worker to finish the invalidation",
        details=celery_worker.log,
    )
    assert Signature.objects.filter(moderation="rejected").count() == 10
