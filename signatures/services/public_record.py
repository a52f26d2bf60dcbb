"""Keep the public ledger (``ledger``) in step with the signatures: every change that moves a
signature into or out of the count leaves its entry, in the same transaction.

One rule instead of one hand-written event per code path: after changing signatures, a
service calls :func:`record_changes` with them (re-read or updated in memory), and the ledger
gets whatever entry makes its state match the signature's: ``counted`` when it starts
counting, ``restored`` when it counts again after a removal by organisers, ``withdrawn`` or
``rejected`` when it stops, with a public reason category. A call that changes nothing
records nothing, so calling it twice is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ledger import services as ledger
from ledger.models import Kind, Reason
from ledger.receipts import Receipt, receipt_for

from ..models import NAME_HOLD_PREFIX, Signature

# The reason category a removal by organisers or screening gives, when the caller names none.
DEFAULT_REJECTION = Reason.OTHER


def signature_ref(signature: Signature) -> str:
    """The signature's stable id inside its commitment."""
    return f"signature:{signature.pk}"


def give_salt(signature: Signature) -> None:
    """Give the signature its secret salt, in memory (saved with the row: no query)."""
    if not signature.ledger_salt:
        signature.ledger_salt = ledger.new_salt()


def prepare_commitment(signature: Signature) -> list[str]:
    """Set the signature's commitment in memory if it has none (a salt too, if needed);
    returns the fields to save with the caller's own ``save(update_fields=…)``."""
    if signature.ledger_commitment:
        return []
    give_salt(signature)
    signature.ledger_commitment = ledger.commitment(
        bytes(signature.ledger_salt), signature_ref(signature)
    )
    signature._fresh_commitment = True  # No entry can carry it yet: nothing to look up.
    return ["ledger_salt", "ledger_commitment"]


def ensure_commitment(signature: Signature) -> str:
    """The signature's commitment, made (with a new salt if needed) and saved on first use."""
    fields = prepare_commitment(signature)
    if fields:
        Signature.objects.filter(pk=signature.pk).update(
            ledger_salt=signature.ledger_salt, ledger_commitment=signature.ledger_commitment
        )
    return signature.ledger_commitment


def record_changes(signatures: Iterable[Signature], *, rejection: str = "") -> int:
    """Record in the ledger what these signatures' current state changes in the public
    record (their state as given: save it first, in the same transaction). ``rejection`` is
    the public reason category of a removal by organisers (``ledger.models.Reason``);
    otherwise one is inferred (held: ``under-review``; held for a confusable name:
    ``impersonation``; else ``other``). Returns the number of entries recorded."""
    by_campaign: dict[int, list[Signature]] = defaultdict(list)
    for signature in signatures:
        by_campaign[signature.campaign_id].append(signature)
    recorded = 0
    for group in by_campaign.values():
        recorded += _record_group(group, rejection)
    return recorded


def record_change(signature: Signature, *, rejection: str = "") -> int:
    return record_changes([signature], rejection=rejection)


def _record_group(signatures: list[Signature], rejection: str) -> int:
    campaign = signatures[0].campaign
    log = ledger.log_for(campaign)  # One indexed read; the log row is never locked here.
    known = {
        s.ledger_commitment
        for s in signatures
        if s.ledger_commitment and not getattr(s, "_fresh_commitment", False)
    }
    latest = ledger.latest_entries(log=log, commitments=known)
    events = []
    for signature in signatures:
        previous = latest.get(signature.ledger_commitment) if signature.ledger_commitment else None
        events.extend(_events(signature, previous, rejection))
    kinds = {commitment: entry.kind for commitment, entry in latest.items()}
    ledger.record_many(campaign=campaign, events=events, log=log, latest=kinds)
    return len(events)


def _events(signature: Signature, previous, rejection: str) -> list[ledger.Event]:
    kind = previous.kind if previous else None
    in_log_count = kind in ledger.COUNTING
    if signature.is_counted == in_log_count:
        if kind == Kind.REJECTED and signature.moderation == Signature.Moderation.REJECTED:
            reason = rejection or _rejection_reason(signature)
            if reason != previous.reason:  # Held for review, now decided: say what was found.
                return [ledger.Event(signature.ledger_commitment, Kind.REJECTED, reason)]
        return []
    commitment = ensure_commitment(signature)
    if signature.is_counted:
        if kind == Kind.REJECTED:
            return [ledger.Event(commitment, Kind.RESTORED, Reason.REVIEW_CLEARED)]
        source = Reason.IMPORTED if signature.source == Signature.Source.IMPORT else None
        return [ledger.Event(commitment, Kind.COUNTED, source or Reason.SIGNED_HERE)]
    if signature.status == Signature.Status.WITHDRAWN:
        return [ledger.Event(commitment, Kind.WITHDRAWN, Reason.NONE)]
    return [ledger.Event(commitment, Kind.REJECTED, rejection or _rejection_reason(signature))]


def _rejection_reason(signature: Signature) -> str:
    if signature.moderation == Signature.Moderation.HELD:
        return Reason.UNDER_REVIEW
    if signature.hold_reason.startswith(NAME_HOLD_PREFIX):
        return Reason.IMPERSONATION
    return DEFAULT_REJECTION


def record_erasure(signature: Signature, *, reason: str = Reason.SIGNER_REQUEST) -> int:
    """Before a signature is deleted with its signer's data: an ``erased`` entry when the
    ledger knows it (the count drops if it was counted). Returns the entries recorded."""
    if not signature.ledger_commitment:
        return 0
    log = ledger.log_for(signature.campaign)
    previous = ledger.latest_entries(log=log, commitments={signature.ledger_commitment})
    entry = previous.get(signature.ledger_commitment)
    if entry is None or entry.kind == Kind.ERASED:
        return 0
    # The log and the previous entry were just read: record_many checks against them.
    event = ledger.Event(signature.ledger_commitment, Kind.ERASED, reason)
    ledger.record_many(
        campaign=signature.campaign,
        events=[event],
        log=log,
        latest={signature.ledger_commitment: entry.kind},
    )
    return 1


def forget_salt(signatures: Iterable[Signature]) -> None:
    """Blank the salts (erasure that keeps the signature as an anonymous count): its entries
    stay, and nobody, the site included, can link them to the person any more."""
    Signature.objects.filter(pk__in=[s.pk for s in signatures]).update(ledger_salt=b"")


def receipt_of(signature: Signature, *, with_entries: bool = True) -> Receipt | None:
    """The signer's receipt (``None`` once the salt is erased, or before it exists); without
    ``with_entries``, no query: a pending signature has no entry to list."""
    if not signature.ledger_salt:
        return None
    return receipt_for(
        campaign=signature.campaign,
        salt=bytes(signature.ledger_salt),
        signature_ref=signature_ref(signature),
        entries=None if with_entries else [],
    )
