"""Writes to the ledger: record an event (in the caller's transaction), sequence recorded
events into the Merkle tree, publish signed tree heads.

The model is Certificate Transparency's: ``record`` is the promise, written in the same
transaction as the change it records, so the site never counts a signature the log does not
hold; ``sequence`` integrates committed entries into the tree within seconds (the
*maximum merge delay*, see docs/ledger.md), under a lock per campaign that no signing request
ever waits on; ``publish_tree_heads`` signs the tree every hour.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from campaign.models import Campaign

from . import formats, keys, merkle
from .models import REASONS_BY_KIND, Entry, Kind, Log, Node, TreeHead
from .selectors import document_of, fetch_nodes

logger = logging.getLogger(__name__)

# Kinds after which a signature is in the count.
COUNTING = frozenset({Kind.COUNTED, Kind.RESTORED})

# What may follow what, for one commitment (None: nothing recorded yet).
ALLOWED_AFTER: dict[str | None, frozenset[str]] = {
    None: frozenset({Kind.COUNTED}),
    Kind.COUNTED: frozenset({Kind.WITHDRAWN, Kind.REJECTED, Kind.ERASED}),
    Kind.RESTORED: frozenset({Kind.WITHDRAWN, Kind.REJECTED, Kind.ERASED}),
    Kind.WITHDRAWN: frozenset({Kind.COUNTED, Kind.ERASED}),
    Kind.REJECTED: frozenset({Kind.RESTORED, Kind.REJECTED, Kind.ERASED}),
    Kind.ERASED: frozenset(),
}

SEQUENCE_BATCH = 5000


class LedgerError(ValueError):
    """An event that cannot follow the signature's previous one, or a reason its kind does
    not allow: a bug in the caller, refused so the log stays meaningful."""


def count_delta(previous: str | None, kind: str) -> int:
    """How an entry of ``kind`` after ``previous`` moves the count: the count is the number of
    commitments whose latest entry is ``counted`` or ``restored``."""
    return int(kind in COUNTING) - int(previous in COUNTING)


new_salt = formats.new_salt
commitment = formats.commitment


def log_for(campaign: Campaign) -> Log:
    """The campaign's log, created on first use."""
    try:
        return Log.objects.get(campaign=campaign)
    except Log.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return Log.objects.create(campaign=campaign, root_hash=merkle.EMPTY_ROOT)
    except IntegrityError:  # Created meanwhile by another transaction.
        return Log.objects.get(campaign=campaign)


def record(*, campaign: Campaign, kind: str, commitment: str, reason: str = "") -> Entry:
    """Append an event to the campaign's log, unsequenced, in the caller's transaction.

    Call it inside the transaction that changes the signature (holding its row lock), so the
    entry commits with the change or not at all. Raises ``LedgerError`` when ``kind`` cannot
    follow the commitment's previous entry (see ``ALLOWED_AFTER``) or ``reason`` is not one
    ``kind`` allows.
    """
    log = log_for(campaign)
    _check(kind, reason, commitment, latest_kind(log=log, commitment=commitment))
    return Entry.objects.create(
        log=log, kind=kind, reason=reason, commitment=commitment, recorded_at=timezone.now()
    )


@dataclass(frozen=True)
class Event:
    """One event to record: ``kind`` for ``commitment``, with a public ``reason``."""

    commitment: str
    kind: str
    reason: str = ""


def record_many(
    *,
    campaign: Campaign,
    events: list[Event],
    log: Log | None = None,
    latest: dict[str, str] | None = None,
) -> list[Entry]:
    """``record`` for many events at once (bulk actions, imports): three queries whatever
    their number, fewer when the caller read ``log`` and ``latest`` (``latest_kinds`` of these
    commitments, in this transaction) already. Same guarantees and errors; events for one
    commitment apply in list order."""
    if not events:
        return []
    log = log or log_for(campaign)
    commitments = {event.commitment for event in events}
    if latest is None:
        latest = latest_kinds(log=log, commitments=commitments)
    else:
        latest = {c: k for c, k in latest.items() if c in commitments}
    now = timezone.now()
    entries = []
    for event in events:
        _check(event.kind, event.reason, event.commitment, latest.get(event.commitment))
        latest[event.commitment] = event.kind
        entries.append(
            Entry(
                log=log,
                kind=event.kind,
                reason=event.reason,
                commitment=event.commitment,
                recorded_at=now,
            )
        )
    return Entry.objects.bulk_create(entries)


def _check(kind: str, reason: str, commitment: str, previous: str | None) -> None:
    if kind not in Kind.values:
        raise LedgerError(f"Unknown entry kind {kind!r}.")
    if reason not in REASONS_BY_KIND[kind]:
        raise LedgerError(f"An entry of kind {kind!r} cannot give the reason {reason!r}.")
    if len(commitment) != 64 or commitment != commitment.lower():
        raise LedgerError("A commitment is 64 lower-case hex digits.")
    if kind not in ALLOWED_AFTER[previous]:
        raise LedgerError(f"An entry {kind!r} cannot follow {previous!r}.")


@dataclass(frozen=True)
class Latest:
    kind: str
    reason: str


def latest_entries(*, log: Log, commitments: set[str]) -> dict[str, Latest]:
    """{commitment: its latest entry's kind and reason, sequenced or not} (absent: none),
    in one query."""
    latest: dict[str, Latest] = {}
    if not commitments:
        return latest
    rows = (
        Entry.objects.filter(log=log, commitment__in=commitments)
        .order_by("id")
        .values_list("commitment", "kind", "reason")
    )
    for commitment_, kind, reason in rows:
        latest[commitment_] = Latest(kind, reason)
    return latest


def latest_kinds(*, log: Log, commitments: set[str]) -> dict[str, str]:
    """{commitment: kind of its latest entry, sequenced or not} (absent: no entry)."""
    return {c: e.kind for c, e in latest_entries(log=log, commitments=commitments).items()}


def latest_kind(*, log: Log, commitment: str) -> str | None:
    """The kind of the commitment's latest entry, sequenced or not (id order is the order of
    the changes for one signature: its row lock serialises them)."""
    return (
        Entry.objects.filter(log=log, commitment=commitment)
        .order_by("-id")
        .values_list("kind", flat=True)
        .first()
    )


# --- Sequencing ---------------------------------------------------------------------------


def sequence(*, campaign: Campaign | None = None, batch: int = SEQUENCE_BATCH) -> int:
    """Give every committed, unsequenced entry its place in its log, in id order, and extend
    the tree. Safe to run twice and concurrently: a log whose lock another sequencer holds is
    skipped (that one does the work). Returns the number of entries sequenced."""
    logs = Log.objects.filter(entries__index=None).distinct()
    if campaign is not None:
        logs = logs.filter(campaign=campaign)
    done = 0
    for log_id in list(logs.values_list("id", flat=True)):
        while True:
            added = _sequence_batch(log_id=log_id, batch=batch)
            done += added
            if added < batch:
                break
    return done


def _sequence_batch(*, log_id: int, batch: int) -> int:
    with transaction.atomic():
        log = (
            Log.objects.select_for_update(skip_locked=True)
            .select_related("campaign")
            .filter(pk=log_id)
            .first()
        )
        if log is None:
            return 0
        pending = list(Entry.objects.filter(log=log, index=None).order_by("id")[:batch])
        if not pending:
            return 0
        latest = _latest_sequenced_kinds(log, {entry.commitment for entry in pending})
        nodes = _frontier(log)
        new_nodes: list[Node] = []
        size, counted = log.size, log.counted
        for entry in pending:
            entry.index = size
            entry.leaf_hash = merkle.leaf_hash(formats.leaf_bytes(document_of(entry, log)))
            for level, position, digest in merkle.completed_nodes(
                size, entry.leaf_hash, lambda lv, pos: nodes[(lv, pos)]
            ):
                nodes[(level, position)] = digest
                new_nodes.append(Node(log=log, level=level, position=position, hash=digest))
            counted += count_delta(latest.get(entry.commitment), entry.kind)
            latest[entry.commitment] = entry.kind
            size += 1
        Entry.objects.bulk_update(pending, ["index", "leaf_hash"], batch_size=500)
        Node.objects.bulk_create(new_nodes, batch_size=1000)
        log.size, log.counted = size, counted
        log.root_hash = merkle.subtree_root(0, size, lambda lv, pos: nodes[(lv, pos)])
        log.sequenced_at = timezone.now()
        log.save(update_fields=["size", "counted", "root_hash", "sequenced_at"])
    return len(pending)


def _latest_sequenced_kinds(log: Log, commitments: set[str]) -> dict[str, str]:
    latest: dict[str, str] = {}
    rows = (
        Entry.objects.filter(log=log, commitment__in=commitments, index__isnull=False)
        .order_by("index")
        .values_list("commitment", "kind")
    )
    for commitment_, kind in rows.iterator(chunk_size=2000):
        latest[commitment_] = kind
    return latest


def _frontier(log: Log) -> dict[tuple[int, int], bytes]:
    """The perfect subtrees the tree of ``log.size`` leaves splits into (one per bit of the
    size): the only stored hashes that appending leaves needs."""
    keys_ = frontier_keys(log.size)
    if not keys_:
        return {}
    return fetch_nodes(log=log, keys=keys_)


def frontier_keys(size: int) -> set[tuple[int, int]]:
    out, start = set(), 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            out.add((level, start >> level))
            start += 1 << level
    return out


# --- Checking the site's count against the log ---------------------------------------------


@dataclass(frozen=True)
class CountCheck:
    """The site's count and the log's, for one campaign, as of one database snapshot."""

    campaign_id: int
    slug: str
    site: int
    ledger: int
    size: int

    @property
    def drift(self) -> int:
        return self.site - self.ledger


@dataclass(frozen=True)
class Counted:
    counts: dict[int, int]  # What ``count()`` returned.
    checks: list[CountCheck]


def sequence_and_count(*, count: Callable[[], dict[int, int]]) -> Counted:
    """Sequence every committed entry and count the signatures (``count()``: {campaign id:
    counted signatures}) in ONE database snapshot, so the two describe the same moment; record
    the pair on each log (what the API publishes for the verifier) and log an error for each
    campaign whose count differs from its log's. Run by the count job every few seconds.

    On PostgreSQL the snapshot is a REPEATABLE READ transaction; if a concurrent sequencer
    moved a log meanwhile, that log is left for the next run. SQLite's transaction is a
    snapshot already. Returns ``count()``'s figures and the checks.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # Inside a caller's transaction, its isolation level stands.
            _snapshot()
        skipped = {log_id for log_id in _logs_waiting() if not _sequence_all(log_id)}
        counts = count()
        checks = _compare(counts, skip=skipped)
    for check in checks:
        if check.drift:
            logger.error(
                "Ledger drift for %s: the site counts %s signatures, its log %s (%+d) at %s "
                "entries: a change was made without its ledger entry, or an entry without its "
                "change.",
                check.slug,
                check.site,
                check.ledger,
                check.drift,
                check.size,
            )
    return Counted(counts=counts, checks=checks)


def _snapshot() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _logs_waiting() -> list[int]:
    return list(Log.objects.filter(entries__index=None).distinct().values_list("id", flat=True))


def _sequence_all(log_id: int) -> bool:
    """Sequence the log within the snapshot; False when another sequencer holds or moved it
    (the log is then left out of this check, and checked on the next run)."""
    try:
        with transaction.atomic():
            while _sequence_batch(log_id=log_id, batch=SEQUENCE_BATCH) == SEQUENCE_BATCH:
                pass
    except OperationalError:  # Serialization failure: another sequencer moved this log.
        return False
    return not Entry.objects.filter(log_id=log_id, index=None).exists()


def _compare(counts: dict[int, int], *, skip: set[int]) -> list[CountCheck]:
    now = timezone.now()
    checks = []
    logs = Log.objects.select_related("campaign").order_by("id")
    for log in logs:
        if log.pk in skip:
            logger.info("Log %s was being sequenced elsewhere; it is checked next time", log.pk)
            continue
        site = counts.get(log.campaign_id, 0)
        checks.append(CountCheck(log.campaign_id, log.campaign.slug, site, log.counted, log.size))
        # Written only when the pair moved: a quiet site costs no write every few seconds.
        Log.objects.filter(pk=log.pk).exclude(
            checked_size=log.size, checked_site_count=site
        ).update(checked_size=log.size, checked_site_count=site, checked_at=now)
    for campaign_id, site in counts.items():  # Counted signatures but no log at all.
        known = {c.campaign_id for c in checks} | set(
            Log.objects.filter(pk__in=skip).values_list("campaign_id", flat=True)
        )
        if site and campaign_id not in known:
            slug = Campaign.objects.filter(pk=campaign_id).values_list("slug", flat=True).first()
            checks.append(CountCheck(campaign_id, slug or str(campaign_id), site, 0, 0))
    return checks


# --- Tree heads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    campaign: str
    head: TreeHead | None  # None: this hour's head existed already.


def publish_tree_heads(*, now: dt.datetime | None = None, force: bool = False) -> list[Published]:
    """Sequence, then sign each public campaign's tree: at most one head per campaign per
    clock hour (run twice in an hour, the second run signs nothing), or a fresh one each call
    with ``force``. A head is signed even when the tree has not grown: it shows the log is
    alive. Raises ``keys.SigningKeyError`` when no key is configured outside DEBUG."""
    now = now or timezone.now()
    out = []
    for campaign in Campaign.objects.public().order_by("id"):
        out.append(
            Published(campaign.slug, publish_tree_head(campaign=campaign, now=now, force=force))
        )
    return out


def publish_tree_head(
    *, campaign: Campaign, now: dt.datetime | None = None, force: bool = False
) -> TreeHead | None:
    """Sign the campaign's current tree (after sequencing it), unless a head of this clock
    hour exists and not ``force``. Returns the new head, or ``None``."""
    now = (now or timezone.now()).replace(microsecond=0)
    sequence(campaign=campaign)
    log = log_for(campaign)
    with transaction.atomic():
        log = Log.objects.select_for_update().select_related("campaign").get(pk=log.pk)
        hour = now.replace(minute=0, second=0)
        latest = TreeHead.objects.filter(log=log).order_by("-timestamp").first()
        if latest is not None and (
            latest.timestamp >= now or (latest.timestamp >= hour and not force)
        ):
            return None
        root = bytes(log.root_hash) if log.size else merkle.EMPTY_ROOT
        text = formats.tree_head_text(
            campaign=campaign.slug, size=log.size, root_hash=root, time=now
        )
        head = TreeHead.objects.create(
            log=log,
            size=log.size,
            root_hash=root,
            timestamp=now,
            signature=keys.sign(text.encode()),
            key_id=keys.key_id(keys.public_key_bytes()),
            counted=log.counted,
        )
    logger.info("Ledger tree head signed for %s: size %s", campaign.slug, head.size)
    return head
