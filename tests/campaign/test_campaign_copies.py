"""Each process keeps its copy of the campaign (campaign/selectors.py): no query while it is
current, a reload as soon as anything changes it, here or in another process."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from campaign import selectors
from campaign.models import Campaign, LaunchSupporter
from signatures.services import refresh_signature_counts
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def copies(settings, launched_campaign):
    settings.CAMPAIGN_CACHE_SECONDS = 60
    selectors._copies.clear()
    yield launched_campaign
    selectors._copies.clear()


def test_a_current_copy_costs_no_query(copies, django_assert_num_queries):
    first = selectors.current_campaign(with_content="home")
    names = selectors.launch_supporter_names(campaign=first)
    with django_assert_num_queries(0):
        again = selectors.current_campaign(with_content="home")
        listed = tuple(s.name for s in again.launch_supporters.all())
        assert selectors.launch_supporter_names(campaign=again) == names == listed
    assert again is first and names


def test_a_change_saved_here_is_read_at_once(copies):
    selectors.current_campaign()
    Campaign.objects.filter(pk=copies.pk).update(goal=1)  # no signal: still the copy
    assert selectors.current_campaign().goal != 1
    campaign = Campaign.objects.get(pk=copies.pk)
    campaign.goal = 2
    campaign.save()
    assert selectors.current_campaign().goal == 2


def test_the_launch_names_follow_their_list(copies):
    before = selectors.launch_supporter_names(campaign=copies)
    LaunchSupporter.objects.create(campaign=copies, name="Zélie Newcomer", field_of_work="actor")
    after = selectors.launch_supporter_names(campaign=copies)
    assert set(after) == {*before, "Zélie Newcomer"}


def test_the_count_job_moves_every_copy(copies):
    assert selectors.current_campaign().signature_count == 0
    SignatureFactory(campaign=copies, supporter=SupporterFactory(), confirmed=True)
    refresh_signature_counts()
    assert selectors.current_campaign().signature_count == 1


def test_a_change_made_by_another_process_is_read_once_the_version_moves(copies, settings):
    settings.CAMPAIGN_CACHE_SECONDS = 0.000001  # ask the shared version on every call
    selectors.current_campaign()
    Campaign.objects.filter(pk=copies.pk).update(goal=3)
    assert selectors.current_campaign().goal != 3
    cache.set(selectors.VERSION_KEY, "bumped elsewhere", timeout=None)
    assert selectors.current_campaign().goal == 3


def test_switched_off_every_call_reads_the_database(settings, launched_campaign):
    settings.CAMPAIGN_CACHE_SECONDS = 0
    selectors.current_campaign()
    Campaign.objects.filter(pk=launched_campaign.pk).update(goal=4)
    assert selectors.current_campaign().goal == 4


def test_with_the_cache_down_the_database_answers(copies, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "get", down)
    selectors._copies.clear()
    selectors.current_campaign()
    Campaign.objects.filter(pk=copies.pk).update(goal=5)
    assert selectors.current_campaign().goal == 5
