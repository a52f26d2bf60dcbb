"""A dishonest change to the stored log is caught by the verifier, which fails and says where.

Set-up shared by every test: 12 entries, heads signed at sizes 8 and 12, verified clean first
(so each failure below is the tampering's doing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from ledger import services
from ledger.models import Entry, Kind, Log, Node, Reason, TreeHead
from ledger.selectors import public_key
from ledger.verification import DatabaseSource, verifier

from .conftest import site_shows, verification_output

NINE = dt.datetime(2026, 12, 5, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def signed_log(signer, campaign):
    for _ in range(8):
        signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=NINE)
    for _ in range(4):
        signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=NINE + dt.timedelta(hours=1))
    site_shows(campaign, 12)
    ok, output = verification_output()
    assert ok, output
    return Log.objects.get(campaign=campaign)


def entry(log: Log, index: int) -> Entry:
    return Entry.objects.get(log=log, index=index)


def test_a_changed_entry_is_named(signed_log):
    Entry.objects.filter(pk=entry(signed_log, 5).pk).update(kind=Kind.WITHDRAWN)
    ok, output = verification_output()
    assert not ok
    assert "tree head of 2026-12-05T10:00:00Z (size 12): the entries give another root; " in output
    assert "entry 5 is not the one the tree was built with" in output
    # The older head (8 entries) is broken too; entries 0-4 are not blamed.
    assert "(size 8): the entries give another root; entry 5 is not" in output


def test_a_changed_time_or_commitment_is_caught(signed_log):
    Entry.objects.filter(pk=entry(signed_log, 9).pk).update(
        recorded_at=timezone.now() - dt.timedelta(days=1)
    )
    ok, output = verification_output()
    assert not ok and "entry 9 is not the one" in output
    assert "(size 8)" not in output  # Entries after a head leave that head intact.


def test_a_removed_entry_is_named(signed_log):
    entry(signed_log, 4).delete()
    ok, output = verification_output()
    assert not ok
    assert "entry 4: missing or out of order (the next one served is 5)" in output


def test_a_removed_entry_with_the_rest_renumbered_is_named(signed_log):
    with transaction.atomic():
        entry(signed_log, 4).delete()
        for index in range(5, 12):
            Entry.objects.filter(log=signed_log, index=index).update(index=index - 1)
    ok, output = verification_output()
    assert not ok
    assert "entry 4 is not the one the tree was built with" in output
    assert "the log serves 11 entries; its trees need 12" in output


def test_reordered_entries_are_named(signed_log):
    third, sixth = entry(signed_log, 3), entry(signed_log, 6)
    with transaction.atomic():
        Entry.objects.filter(pk=third.pk).update(index=1000)
        Entry.objects.filter(pk=sixth.pk).update(index=3)
        Entry.objects.filter(pk=third.pk).update(index=6)
    ok, output = verification_output()
    assert not ok and "entry 3 is not the one the tree was built with" in output


def test_a_forged_tree_head_is_caught(signed_log):
    head = TreeHead.objects.get(log=signed_log, size=8)
    TreeHead.objects.filter(pk=head.pk).update(counted=9)
    ok, output = verification_output()
    assert not ok and "(size 8): it states 9 counted, the entries give 8" in output
    TreeHead.objects.filter(pk=head.pk).update(counted=8, size=7)
    ok, output = verification_output()
    assert not ok and "(size 7): the signature does not verify" in output


def test_a_rewritten_history_is_caught_by_whoever_kept_an_old_head(signed_log, campaign):
    """The operator holds the key: it can swap a signer's entry for another commitment, rebuild
    the tree and re-sign it. The new log is consistent on its own; only a head kept from before
    (the verifier's ``--state``) shows the rewrite."""
    module = verifier()
    kept = DatabaseSource().heads(campaign.slug)[0]  # size 8, verified above
    with transaction.atomic():
        Entry.objects.filter(pk=entry(signed_log, 2).pk).update(commitment="ab" * 32)
        Entry.objects.filter(log=signed_log).update(index=None, leaf_hash=None)
        Node.objects.filter(log=signed_log).delete()
        TreeHead.objects.filter(log=signed_log).delete()
        Log.objects.filter(pk=signed_log.pk).update(size=0, counted=0, root_hash=b"")
    services.publish_tree_head(campaign=campaign, now=NINE + dt.timedelta(hours=2))
    key = public_key().raw
    fresh = module.verify_site(DatabaseSource(), public_key=key)
    assert all(report.ok for report in fresh), [report.problems for report in fresh]
    reports = module.verify_site(DatabaseSource(), public_key=key, state={campaign.slug: kept})
    problems = [problem for report in reports for problem in report.problems]
    assert (
        "the head kept from an earlier run (2026-12-05T09:00:00Z): the entries give another "
        "root; the site's own tree no longer contains it: its first 8 entries were rewritten "
        "after it was signed" in problems
    ), problems
