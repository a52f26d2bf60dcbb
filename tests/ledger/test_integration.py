"""The ledger wired into the real flows: signing, confirming, withdrawing, rejecting as
fraudulent, restoring and erasing keep the count equal to the log's, every old tree head
consistent with the new ones, and the verifier satisfied; receipts reach the signer."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from campaign.models import Campaign
from ledger import merkle, selectors
from ledger import services as ledger_services
from ledger.models import Entry, Kind, Log, Reason, TreeHead
from ledger.verification import verify
from organise.review.services import ModerationAction, ModerationError, moderate_signature
from signatures import services, tokens
from signatures.models import Signature, Supporter
from signatures.services.privacy import erase_supporter
from signatures.services.signing import SignatureDetails
from tests.factories import SignatureFactory

serial = itertools.count()
ACTIONS = ["sign", "confirm", "withdraw", "reject", "restore", "erase", "erase_keep", "count"]


def live_campaign() -> Campaign:
    return Campaign.objects.create(
        slug=f"flow-{next(serial)}", title="Flow", summary="S", appeal="A", status="live"
    )


def details(email: str) -> SignatureDetails:
    return SignatureDetails(
        full_name=f"Person {email.split('@')[0]}",
        email=email,
        field_of_work="writer",
        country="FR",
        name_display="full",
    )


def signature_of(campaign: Campaign, email: str) -> Signature | None:
    return (
        Signature.objects.filter(campaign=campaign, supporter__email=email)
        .select_related("campaign", "supporter")
        .first()
    )


def act(campaign: Campaign, action: str, email: str) -> None:
    signature = signature_of(campaign, email)
    if action == "sign":
        services.sign(campaign=campaign, details=details(email), language="en")
    elif signature is None:
        return
    elif action == "confirm" and signature.status == Signature.Status.PENDING:
        services.confirm_signature(token=tokens.make_confirm_token(signature))
    elif action == "withdraw":
        services.withdraw_signature_of(signature_id=signature.pk)
    elif action in ("reject", "restore"):
        chosen = ModerationAction.REJECT if action == "reject" else ModerationAction.RESTORE
        with contextlib.suppress(ModerationError):  # Not applicable in this state.
            moderate_signature(action=chosen, signature_id=signature.pk, actor=None, reason="x")
    elif action in ("erase", "erase_keep"):
        erase_supporter(supporter_id=signature.supporter_id, keep_count=action == "erase_keep")
    elif action == "count":
        services.refresh_signature_counts()


def assert_count_matches_log(campaign: Campaign) -> None:
    services.refresh_signature_counts()
    campaign.refresh_from_db()
    log = Log.objects.filter(campaign=campaign).first()
    exact = Signature.objects.filter(campaign=campaign).counted().count()
    if log is None:  # Nothing was ever counted.
        assert campaign.signature_count == exact == 0
        return
    assert campaign.signature_count == exact == log.counted
    assert (log.checked_size, log.checked_site_count) == (log.size, exact)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.booleans()), max_size=30
    )
)
def test_real_flows_keep_the_count_equal_to_the_log(db, caplog, steps):
    campaign = live_campaign()
    people = [f"p{next(serial)}@example.org" for _ in range(4)]
    now = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="ledger.services"):
        for action, who, publish in steps:
            act(campaign, action, people[who])
            if publish:
                now += dt.timedelta(hours=1)
                ledger_services.publish_tree_head(campaign=campaign, now=now)
        assert_count_matches_log(campaign)
    assert "Ledger drift" not in caplog.text
    ledger_services.publish_tree_head(campaign=campaign, now=now + dt.timedelta(hours=1))
    log = Log.objects.get(campaign=campaign)
    heads = list(TreeHead.objects.filter(log=log).order_by("timestamp"))
    for old, new in itertools.combinations(heads, 2):
        proof = selectors.consistency_proof(log=log, first=old.size, second=new.size)
        assert merkle.verify_consistency(
            old.size, new.size, bytes(old.root_hash), bytes(new.root_hash), proof
        )
    reports = verify(campaigns=[campaign.slug])
    assert [r.problems for r in reports] == [[]]


@pytest.fixture
def campaign(db):
    return live_campaign()


def test_each_flow_leaves_its_entry(campaign):
    email = "ada@example.org"
    act(campaign, "sign", email)
    assert not Entry.objects.exists()  # Pending: not in the public record.
    act(campaign, "confirm", email)
    act(campaign, "reject", email)
    act(campaign, "restore", email)
    act(campaign, "withdraw", email)
    act(campaign, "sign", email)
    act(campaign, "confirm", email)
    act(campaign, "erase", email)
    kinds = list(Entry.objects.order_by("id").values_list("kind", "reason"))
    assert kinds == [
        (Kind.COUNTED, Reason.SIGNED_HERE),
        (Kind.REJECTED, Reason.FRAUDULENT),
        (Kind.RESTORED, Reason.REVIEW_CLEARED),
        (Kind.WITHDRAWN, Reason.NONE),
        (Kind.COUNTED, Reason.SIGNED_HERE),
        (Kind.ERASED, Reason.SIGNER_REQUEST),
    ]
    assert len(set(Entry.objects.values_list("commitment", flat=True))) == 1
    assert_count_matches_log(campaign)


def test_erasure_that_keeps_the_count_unlinks_the_entry(campaign):
    email = "grace@example.org"
    act(campaign, "sign", email)
    act(campaign, "confirm", email)
    signature = signature_of(campaign, email)
    assert signature.ledger_salt and signature.ledger_commitment
    act(campaign, "erase_keep", email)
    signature = Signature.objects.get(pk=signature.pk)
    assert bytes(signature.ledger_salt) == b""  # Nobody can link the entry any more ...
    assert signature.ledger_commitment  # ... which stays, as does the count.
    assert services.receipt_of(signature) is None
    assert list(Entry.objects.values_list("kind", flat=True)) == [Kind.COUNTED]
    assert_count_matches_log(campaign)


def test_a_count_without_its_entry_is_reported(campaign, caplog):
    act(campaign, "sign", "a@example.org")
    act(campaign, "confirm", "a@example.org")
    Signature.objects.filter(campaign=campaign).update(moderation="rejected")  # Behind its back.
    with caplog.at_level(logging.ERROR, logger="ledger.services"):
        services.refresh_signature_counts()
    assert "Ledger drift for flow-" in caplog.text
    assert "the site counts 0 signatures, its log 1 (-1)" in caplog.text


def test_the_confirmation_email_and_pages_carry_the_receipt(client, campaign, settings):
    from campaign.models import OutboundEmail

    settings.CAMPAIGN_SLUG = campaign.slug
    act(campaign, "sign", "ida@example.org")
    signature = signature_of(campaign, "ida@example.org")
    email = OutboundEmail.objects.get(kind="confirm_signature")
    salt = bytes(signature.ledger_salt).hex()
    assert salt in email.text_body and salt in email.html_body
    thanks = client.get(f"/en/sign/confirm/{tokens.make_confirm_token(signature)}/")
    signature.refresh_from_db()
    assert signature.ledger_commitment in thanks.content.decode()
    user = Supporter.objects.get(pk=signature.supporter_id).user  # made at confirmation
    client.force_login(user)
    account = client.get("/en/account/").content.decode()
    assert signature.ledger_commitment in account and "data-ledger-receipt" in account
    assert "js/ledger-receipt.js" in account


def test_factories_give_counted_signatures_their_entries(campaign):
    SignatureFactory.create_batch(3, campaign=campaign, confirmed=True)
    SignatureFactory(campaign=campaign)  # pending: none
    assert Entry.objects.count() == 3
    assert_count_matches_log(campaign)
