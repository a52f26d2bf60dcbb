"""The counting job: batched, one copy at a time, exact, and the only writer of the public count;
the nightly recount corrects and reports drift."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core.cache import cache

from campaign.models import Campaign
from signatures import services, tokens
from signatures.services.signing import COUNT_LOCK_KEY
from tests.factories import CampaignFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory(signature_count=0)
    SignatureFactory.create_batch(3, campaign=campaign, confirmed=True)
    return campaign


def test_a_refresh_that_finds_another_running_stops_without_writing(campaign):
    cache.add(COUNT_LOCK_KEY, "another-worker", timeout=60)

    assert services.refresh_signature_counts() is None

    campaign.refresh_from_db()
    assert campaign.signature_count == 0
    assert cache.get(COUNT_LOCK_KEY) == "another-worker"  # not ours to release


def test_a_refresh_releases_the_lock_so_the_next_one_runs(campaign):
    assert services.refresh_signature_counts() == {campaign.id: 3}
    assert cache.get(COUNT_LOCK_KEY) is None
    SignatureFactory(campaign=campaign, confirmed=True)
    assert services.refresh_signature_counts() == {campaign.id: 4}


def test_a_refresh_releases_the_lock_when_it_fails(campaign, monkeypatch):
    def failing(counts):
        raise RuntimeError("database went away")

    monkeypatch.setattr("signatures.services.signing._store_counts", failing)
    with pytest.raises(RuntimeError):
        services.refresh_signature_counts()
    assert cache.get(COUNT_LOCK_KEY) is None


def test_with_the_cache_down_the_count_is_still_kept(campaign, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for name in ("add", "get", "set", "delete"):
        monkeypatch.setattr(cache, name, broken)
    assert services.refresh_signature_counts() == {campaign.id: 3}
    campaign.refresh_from_db()
    assert campaign.signature_count == 3


def test_the_refresh_time_moves_only_with_the_count(campaign):
    """The stats cache keys on (count, count_refreshed_at): a run that changes nothing must
    leave both alone, and say when it ran elsewhere."""
    services.refresh_signature_counts()
    campaign.refresh_from_db()
    stamp = campaign.count_refreshed_at

    services.refresh_signature_counts()
    campaign.refresh_from_db()
    assert campaign.count_refreshed_at == stamp
    assert services.count_last_run() >= stamp


def test_only_counted_signatures_count(campaign):
    SignatureFactory(campaign=campaign, confirmed=True, moderation="held")
    SignatureFactory(campaign=campaign, confirmed=True, moderation="rejected")
    SignatureFactory(campaign=campaign, status="withdrawn")
    SignatureFactory(campaign=campaign)
    assert services.exact_signature_counts() == {campaign.id: 3}


def test_confirming_a_signature_never_writes_the_campaign_row(
    campaign, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    signature = SignatureFactory(campaign=campaign)
    token = tokens.make_confirm_token(signature)
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_max_num_queries(20) as captured,
    ):
        services.confirm_signature(token=token)
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert writes
    assert not any("campaign_campaign" in sql for sql in writes)


def test_the_nightly_recount_corrects_and_logs_drift(campaign, caplog):
    Campaign.objects.filter(pk=campaign.pk).update(signature_count=10)

    with caplog.at_level(logging.WARNING, logger="signatures.services.signing"):
        [check] = services.recount_signatures()

    assert (check.stored, check.exact, check.drift) == (10, 3, 7)
    assert "drift" in caplog.text and "stored 10, exact 3" in caplog.text
    campaign.refresh_from_db()
    assert campaign.signature_count == 3


def test_the_nightly_recount_is_quiet_when_exact(campaign, caplog):
    services.refresh_signature_counts()
    with caplog.at_level(logging.WARNING, logger="signatures.services.signing"):
        [check] = services.recount_signatures()
    assert check.drift == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_recount_waits_for_a_running_refresh_then_gives_up(campaign):
    cache.add(COUNT_LOCK_KEY, "another-worker", timeout=60)
    with pytest.raises(TimeoutError):
        services.recount_signatures(wait_seconds=0.6)


def test_beat_runs_the_refresh_every_few_seconds_and_the_recount_nightly():
    schedule = settings.CELERY_BEAT_SCHEDULE
    refresh = schedule["refresh-signature-counts"]
    assert refresh["task"] == "signatures.tasks.refresh_signature_counts"
    assert refresh["schedule"] == settings.COUNT_REFRESH_SECONDS
    nightly = schedule["recount-signatures-nightly"]
    assert nightly["task"] == "signatures.tasks.recount_signatures"
    assert nightly["schedule"].hour == {3}


def test_the_tasks_are_registered_under_the_names_beat_uses():
    from campaign.celery import app

    app.loader.import_default_modules()
    assert "signatures.tasks.refresh_signature_counts" in app.tasks
    assert "signatures.tasks.recount_signatures" in app.tasks
