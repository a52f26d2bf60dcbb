"""Property: any sequence of signing events keeps the log's count equal to the count of
signatures, and every older tree head consistent with every newer one.

Written over the ledger's own API: a small model of a signature's life decides which event
each step records, as the signatures services do (tests/signatures cover those services
calling the ledger)."""

from __future__ import annotations

import datetime as dt
import itertools

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from campaign.models import Campaign
from ledger import merkle, selectors, services
from ledger.models import Kind, Log, Reason, TreeHead
from ledger.verification import verify

from .conftest import Signer

ACTIONS = ["sign", "confirm", "withdraw", "reject", "restore", "erase", "sequence", "publish"]
serial = itertools.count()

# From a signature's state, what each action records (None: the action does not apply).
EVENTS = {
    ("new", "confirm"): None,  # Must sign first.
    ("pending", "confirm"): ("counted", Kind.COUNTED, Reason.SIGNED_HERE),
    ("counted", "withdraw"): ("withdrawn", Kind.WITHDRAWN, Reason.NONE),
    ("counted", "reject"): ("rejected", Kind.REJECTED, Reason.FRAUDULENT),
    ("rejected", "restore"): ("counted", Kind.RESTORED, Reason.REVIEW_CLEARED),
    ("withdrawn", "confirm"): ("counted", Kind.COUNTED, Reason.SIGNED_HERE),  # signed again
    ("counted", "erase"): ("erased", Kind.ERASED, Reason.SIGNER_REQUEST),
    ("withdrawn", "erase"): ("erased", Kind.ERASED, Reason.SIGNER_REQUEST),
    ("rejected", "erase"): ("erased", Kind.ERASED, Reason.SIGNER_REQUEST),
    ("pending", "erase"): ("gone", None, None),  # Never counted: nothing to record.
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 5)), max_size=40))
def test_count_and_consistency_hold_under_any_sequence(db, steps):
    campaign = Campaign.objects.create(
        slug=f"property-{next(serial)}", title="P", summary="P", appeal="P", status="live"
    )
    signers = [Signer(campaign, i) for i in range(6)]
    state = ["new"] * 6
    now = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
    for action, who in steps:
        if action == "sequence":
            services.sequence(campaign=campaign)
        elif action == "publish":
            now += dt.timedelta(hours=1)
            services.publish_tree_head(campaign=campaign, now=now)
        elif action == "sign":
            state[who] = "pending" if state[who] in ("new", "gone") else state[who]
            if state[who] == "erased":  # Signing again after erasure: a new signature.
                signers[who] = Signer(campaign, 100 + next(serial))
                state[who] = "pending"
        elif (event := EVENTS.get((state[who], action))) is not None:
            state[who], kind, reason = event
            if kind:
                signers[who].record(kind, reason)
    services.sequence(campaign=campaign)
    services.publish_tree_head(campaign=campaign, now=now + dt.timedelta(hours=1))
    log = Log.objects.get(campaign=campaign)
    assert log.counted == state.count("counted")
    (check,) = [
        c
        for c in services.sequence_and_count(
            count=lambda: {campaign.pk: state.count("counted")}
        ).checks
        if c.campaign_id == campaign.pk
    ]
    assert check.drift == 0
    heads = list(TreeHead.objects.filter(log=log).order_by("timestamp"))
    for old, new in itertools.combinations(heads, 2):
        proof = selectors.consistency_proof(log=log, first=old.size, second=new.size)
        assert merkle.verify_consistency(
            old.size, new.size, bytes(old.root_hash), bytes(new.root_hash), proof
        )
    reports = verify(campaigns=[campaign.slug])
    assert all(report.ok for report in reports), [r.problems for r in reports]
    assert reports[-1].counted == state.count("counted")
