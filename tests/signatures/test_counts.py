"""The public count: maintained by a job, never computed by a public request."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from signatures.services import refresh_signature_counts
from tests.factories import CampaignFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def test_refresh_counts_confirmed_signatures_only():
    campaign = CampaignFactory()
    SignatureFactory.create_batch(3, campaign=campaign, confirmed=True)
    SignatureFactory.create_batch(2, campaign=campaign)
    SignatureFactory(campaign=campaign, status="withdrawn")

    assert refresh_signature_counts() == {campaign.id: 3}
    campaign.refresh_from_db()
    assert campaign.signature_count == 3
    assert campaign.count_refreshed_at is not None


def test_refresh_brings_a_campaign_with_no_signature_back_to_zero():
    campaign = CampaignFactory(signature_count=12)
    refresh_signature_counts()
    campaign.refresh_from_db()
    assert campaign.signature_count == 0


def test_recount_command_reports_and_corrects_drift(capsys):
    campaign = CampaignFactory(signature_count=10)
    SignatureFactory.create_batch(4, campaign=campaign, confirmed=True)

    call_command("recount_signatures")

    out = capsys.readouterr().out
    assert "10 → 4" in out
    assert Campaign.objects.get().signature_count == 4


def test_recount_command_says_when_nothing_drifted(capsys):
    campaign = CampaignFactory(signature_count=2)
    SignatureFactory.create_batch(2, campaign=campaign, confirmed=True)
    call_command("recount_signatures")
    assert "no drift" in capsys.readouterr().out


def test_a_public_page_reads_the_stored_count(client, django_assert_max_num_queries):
    campaign = CampaignFactory(signature_count=0)
    SignatureFactory.create_batch(2, campaign=campaign, confirmed=True)

    with django_assert_max_num_queries(6) as captured:
        html = client.get("/en/").content.decode()

    assert 'data-count="0"' in html  # the job has not run yet
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
