"""Reads of the ledger shared by the page, the API and the verifier: entries by range, tree
heads, and proofs that cost O(log n) stored hashes (one query), whatever the log's size."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from campaign.models import Campaign

from . import formats, keys, merkle
from .models import Entry, Log, Node, TreeHead

MAX_ENTRIES_PER_PAGE = 10_000


class ProofError(ValueError):
    """Sizes or indexes outside the sequenced tree."""


def log_of(campaign: Campaign) -> Log | None:
    return Log.objects.filter(campaign=campaign).first()


def public_log(slug: str) -> Log | None:
    """The log of a campaign the public may see, by its slug."""
    return (
        Log.objects.select_related("campaign")
        .filter(campaign__slug=slug, campaign__in=Campaign.objects.public())
        .first()
    )


def fetch_nodes(*, log: Log, keys: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of these perfect subtrees, in one query."""
    if not keys:
        return {}
    condition = reduce(or_, (Q(level=level, position=position) for level, position in keys))
    rows = Node.objects.filter(log=log).filter(condition).values_list("level", "position", "hash")
    return {(level, position): bytes(digest) for level, position, digest in rows}


def _compute(log: Log, compute):
    nodes = fetch_nodes(log=log, keys=merkle.needed_nodes(compute))
    return compute(lambda level, position: nodes[(level, position)])


def root_at(*, log: Log, size: int) -> bytes:
    """The root of the tree's first ``size`` entries (a past tree head's root)."""
    _check_size(log, size)
    return _compute(log, lambda node: merkle.subtree_root(0, size, node))


def inclusion_proof(*, log: Log, index: int, size: int) -> list[bytes]:
    """The audit path of entry ``index`` in the tree of ``size`` entries."""
    _check_size(log, size)
    if not 0 <= index < size:
        raise ProofError("The entry is not in a tree of that size.")
    return _compute(log, lambda node: merkle.inclusion_path(index, size, node))


def consistency_proof(*, log: Log, first: int, second: int) -> list[bytes]:
    """The proof that the tree of ``first`` entries is a prefix of the one of ``second``."""
    _check_size(log, second)
    if not 0 <= first <= second:
        raise ProofError("The first size must not exceed the second.")
    return _compute(log, lambda node: merkle.consistency_proof(first, second, node))


def _check_size(log: Log, size: int) -> None:
    if not 0 <= size <= log.size:
        raise ProofError(f"The log has {log.size} sequenced entries.")


def entry_documents(*, log: Log, start: int, end: int) -> Iterator[dict]:
    """Sequenced entries ``start`` ≤ index < ``end``, in order, as published."""
    rows = (
        Entry.objects.filter(log=log, index__gte=start, index__lt=end)
        .order_by("index")
        .only("index", "kind", "reason", "commitment", "recorded_at")
    )
    slug = log.campaign.slug
    for entry in rows.iterator(chunk_size=2000):
        yield formats.entry_document(
            campaign=slug,
            index=entry.index,
            kind=entry.kind,
            reason=entry.reason,
            commitment=entry.commitment,
            time=entry.recorded_at,
        )


def entries_for_commitment(*, log: Log, commitment: str) -> list[Entry]:
    """Every entry of one signature, sequenced or not, in order (a receipt's entries)."""
    return list(Entry.objects.filter(log=log, commitment=commitment).order_by("id"))


def latest_heads(*, log: Log, limit: int = 24) -> list[TreeHead]:
    return list(TreeHead.objects.filter(log=log).order_by("-timestamp", "-id")[:limit])


def head_document(head: TreeHead, slug: str) -> dict:
    """A signed tree head as the API publishes it."""
    return {
        "campaign": slug,
        "size": head.size,
        "root_hash": bytes(head.root_hash).hex(),
        "timestamp": formats.head_time(head.timestamp),
        "signature": base64.b64encode(bytes(head.signature)).decode(),
        "key_id": head.key_id,
        "counted": head.counted,
        "signed_text": formats.tree_head_text(
            campaign=slug, size=head.size, root_hash=bytes(head.root_hash), time=head.timestamp
        ),
    }


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def key_id(self) -> str:
        return keys.key_id(self.raw)


def public_key() -> PublicKey | None:
    """The key that signs tree heads; ``None`` when none is configured (outside DEBUG): public
    pages then say so rather than fail, and no head is signed until it is set."""
    try:
        return PublicKey(keys.public_key_bytes())
    except keys.SigningKeyError:
        return None


def log_status(log: Log) -> dict:
    """The log as it stands: its current (unsigned) tree and its count; and the site's count
    when the log held ``site_count_at_size`` entries, taken by the count job in one snapshot
    with the log (``services.sequence_and_count``), so the two can be compared exactly."""
    return {
        "campaign": log.campaign.slug,
        "size": log.size,
        "root_hash": (bytes(log.root_hash) if log.size else merkle.EMPTY_ROOT).hex(),
        "counted": log.counted,
        "site_count": log.checked_site_count,
        "site_count_at_size": log.checked_size,
        "site_count_checked_at": log.checked_at,
        "unsequenced": Entry.objects.filter(log=log, index=None).count(),
        "sequenced_at": log.sequenced_at,
    }


def public_logs() -> list[Log]:
    """The logs of the campaigns the public may see."""
    return list(
        Log.objects.select_related("campaign")
        .filter(campaign__in=Campaign.objects.public())
        .order_by("id")
    )


def heads_page(*, log: Log, offset: int, limit: int) -> list[TreeHead]:
    """Signed tree heads, oldest first."""
    return list(
        TreeHead.objects.filter(log=log).order_by("timestamp", "id")[offset : offset + limit]
    )


def head_of_size(*, log: Log, size: int) -> TreeHead | None:
    """The latest signed head of exactly ``size`` entries, if any."""
    return TreeHead.objects.filter(log=log, size=size).order_by("-timestamp").first()


def document_of(entry: Entry, log: Log) -> dict:
    """A sequenced entry as published."""
    return formats.entry_document(
        campaign=log.campaign.slug,
        index=entry.index,
        kind=entry.kind,
        reason=entry.reason,
        commitment=entry.commitment,
        time=entry.recorded_at,
    )


def receipt_document(*, log: Log, commitment: str) -> dict | None:
    """Every entry carrying ``commitment`` (a signer's receipt), each sequenced one covered by
    the latest signed head with its inclusion proof; ``None`` when no entry carries it."""
    rows = entries_for_commitment(log=log, commitment=commitment)
    if not rows:
        return None
    heads = latest_heads(log=log, limit=1)
    head = heads[0] if heads else None
    entries = []
    for row in rows:
        covered = head is not None and row.index is not None and row.index < head.size
        entries.append(
            {
                "index": row.index,
                "kind": row.kind,
                "reason": row.reason,
                "time": formats.entry_time(row.recorded_at),
                "entry": document_of(row, log) if row.index is not None else None,
                "proof": (
                    [p.hex() for p in inclusion_proof(log=log, index=row.index, size=head.size)]
                    if covered
                    else None
                ),
            }
        )
    return {
        "commitment": commitment,
        "head": head_document(head, log.campaign.slug) if head else None,
        "entries": entries,
    }
