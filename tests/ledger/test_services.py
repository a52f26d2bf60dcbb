"""Recording, sequencing and signing: the log, its tree and its count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger import formats, merkle, selectors, services
from ledger.models import Entry, Kind, Log, Node, Reason, TreeHead

from .conftest import site_shows, verification_output


def test_an_entry_waits_unsequenced_then_takes_the_next_place(signer, campaign):
    first, second = signer(), signer()
    entry = first.record(Kind.COUNTED, Reason.SIGNED_HERE)
    assert entry.index is None and entry.leaf_hash is None
    second.record(Kind.COUNTED, Reason.SIGNED_HERE)
    assert services.sequence() == 2
    assert list(Entry.objects.order_by("index").values_list("index", "commitment")) == [
        (0, first.commitment),
        (1, second.commitment),
    ]
    log = Log.objects.get(campaign=campaign)
    assert (log.size, log.counted) == (2, 2)
    assert services.sequence() == 0  # Nothing left: running again changes nothing.


def test_the_stored_tree_matches_a_rebuild_from_the_published_entries(signer, campaign):
    for _ in range(13):
        signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
        services.sequence()  # One at a time and ...
    for _ in range(6):
        signer().record(Kind.COUNTED, Reason.IMPORTED)
    services.sequence()  # ... in a batch give the same tree.
    log = Log.objects.get(campaign=campaign)
    documents = list(selectors.entry_documents(log=log, start=0, end=log.size))
    leaves = [merkle.leaf_hash(formats.leaf_bytes(doc)) for doc in documents]
    assert bytes(log.root_hash) == merkle.root_from_leaves(leaves)
    for size in (1, 7, 8, 13, 19):
        assert selectors.root_at(log=log, size=size) == merkle.root_from_leaves(leaves[:size])
    # 19 leaves: 19 leaf nodes and 9 + 4 + 2 + 1 inner perfect subtrees.
    assert Node.objects.filter(log=log).count() == 19 + 9 + 4 + 2 + 1


def test_the_count_follows_each_signature_latest_entry(signer, campaign):
    a, b, c, d = signer(), signer(), signer(), signer()
    for s in (a, b, c, d):
        s.record(Kind.COUNTED, Reason.SIGNED_HERE)
    a.record(Kind.WITHDRAWN)
    b.record(Kind.REJECTED, Reason.UNDER_REVIEW)
    b.record(Kind.REJECTED, Reason.FRAUDULENT)
    c.record(Kind.REJECTED, Reason.UNDER_REVIEW)
    c.record(Kind.RESTORED, Reason.REVIEW_CLEARED)
    d.record(Kind.ERASED, Reason.SIGNER_REQUEST)
    a.record(Kind.COUNTED, Reason.SIGNED_HERE)  # Signed again after withdrawing.
    a.record(Kind.WITHDRAWN)
    a.record(Kind.ERASED, Reason.SIGNER_REQUEST)  # Erasing a withdrawn one: no change.
    services.sequence()
    assert Log.objects.get(campaign=campaign).counted == 1  # c only


@pytest.mark.parametrize(
    ("history", "kind", "reason"),
    [
        ([], Kind.WITHDRAWN, ""),
        ([], Kind.RESTORED, ""),
        ([(Kind.COUNTED, Reason.SIGNED_HERE)], Kind.COUNTED, Reason.SIGNED_HERE),
        ([(Kind.COUNTED, Reason.SIGNED_HERE)], Kind.RESTORED, ""),
        ([(Kind.COUNTED, Reason.SIGNED_HERE), (Kind.ERASED, "")], Kind.COUNTED, "signed-here"),
        ([], Kind.COUNTED, Reason.FRAUDULENT),  # A reason its kind cannot give.
        ([(Kind.COUNTED, Reason.SIGNED_HERE)], Kind.REJECTED, ""),  # Removals say why.
    ],
)
def test_an_impossible_event_is_refused(signer, history, kind, reason):
    s = signer()
    for earlier_kind, earlier_reason in history:
        s.record(earlier_kind, earlier_reason)
    with pytest.raises(services.LedgerError):
        s.record(kind, reason)
    assert Entry.objects.count() == len(history)


def test_a_commitment_hides_the_signature_and_binds_it():
    salt = bytes(range(32))
    assert formats.commitment(salt, "signature:1") == formats.commitment(salt, "signature:1")
    assert formats.commitment(salt, "signature:1") != formats.commitment(salt, "signature:2")
    assert formats.commitment(salt, "signature:1") != formats.commitment(
        services.new_salt(), "signature:1"
    )
    with pytest.raises(ValueError):
        formats.commitment(b"short", "signature:1")


def test_tree_heads_are_hourly_signed_and_verify(signer, campaign):
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    nine = timezone.make_aware(dt.datetime(2026, 12, 5, 9, 0, 5), dt.UTC)
    first = services.publish_tree_head(campaign=campaign, now=nine)
    assert first is not None and first.size == 1 and first.counted == 1
    # The same hour again: nothing new, whatever happened meanwhile.
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    assert (
        services.publish_tree_head(campaign=campaign, now=nine + dt.timedelta(minutes=30)) is None
    )
    second = services.publish_tree_head(campaign=campaign, now=nine + dt.timedelta(hours=1))
    assert second.size == 2
    assert TreeHead.objects.count() == 2
    ok, output = verification_output()
    assert ok and "the site has not yet compared its count with the log" in output
    site_shows(campaign, 3)
    ok, output = verification_output()
    assert not ok
    assert (
        "the site counted 3 signatures when its log held 2 entries; those entries count 2" in output
    )
    site_shows(campaign, 2)
    ok, output = verification_output()
    assert ok, output
    assert "2 entries, 2 signed tree heads, 2 signatures counted" in output


def test_an_empty_log_gets_a_head_too(campaign):
    (published,) = services.publish_tree_heads()
    assert published.head.size == 0
    assert bytes(published.head.root_hash) == merkle.EMPTY_ROOT
    ok, output = verification_output()
    assert ok, output


def test_the_management_commands(signer, campaign, capsys):
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    site_shows(campaign, 1)
    call_command("publish_tree_heads")
    assert "test-appeal: signed size 1" in capsys.readouterr().out
    call_command("verify_ledger")
    assert "OK: every check holds." in capsys.readouterr().out
    call_command("ledger_key")
    assert len(capsys.readouterr().out.strip()) == 44  # base64 of 32 bytes


def test_the_count_job_compares_in_one_snapshot_and_reports_drift(signer, campaign, caplog):
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    (check,) = site_shows(campaign, 2)
    assert (check.site, check.ledger, check.size, check.drift) == (2, 2, 2, 0)
    assert Entry.objects.filter(index=None).count() == 0  # sequenced by the check
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    (check,) = site_shows(campaign, 2)  # A count without its entry would look like this.
    assert check.drift == -1
    assert "Ledger drift for test-appeal: the site counts 2 signatures, its log 3" in caplog.text
    log = Log.objects.get(campaign=campaign)
    assert (log.checked_size, log.checked_site_count) == (3, 2)


@pytest.mark.django_db(transaction=True)
def test_the_check_takes_its_own_snapshot_outside_any_transaction(signer, campaign):
    """Outside a test's transaction: on PostgreSQL the check runs REPEATABLE READ."""
    for _ in range(3):
        signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    (check,) = site_shows(campaign, 3)
    assert (check.site, check.ledger, check.size) == (3, 3, 3)


def test_a_log_being_sequenced_elsewhere_is_left_out_of_the_check(
    signer, campaign, monkeypatch, caplog
):
    """Another sequencer holds the log (SKIP LOCKED finds nothing): no false drift."""
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    monkeypatch.setattr(services, "_sequence_batch", lambda **kwargs: 0)
    assert site_shows(campaign, 1) == []
    assert "Ledger drift" not in caplog.text
    assert Log.objects.get(campaign=campaign).checked_size is None


def test_many_events_are_recorded_in_three_queries(signer, campaign, django_assert_num_queries):
    people = [signer() for _ in range(30)]
    services.log_for(campaign)
    events = [services.Event(p.commitment, Kind.COUNTED, Reason.IMPORTED) for p in people]
    events.append(services.Event(people[0].commitment, Kind.REJECTED, Reason.DUPLICATE))
    with django_assert_num_queries(3):  # the log, the latest kinds, one insert
        services.record_many(campaign=campaign, events=events)
    with pytest.raises(services.LedgerError):
        services.record_many(
            campaign=campaign,
            events=[services.Event(people[1].commitment, Kind.COUNTED, "imported")],
        )
    services.sequence()
    assert Log.objects.get(campaign=campaign).counted == 29
