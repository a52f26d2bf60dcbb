"""Handing delivery runs (the ``deliver_outbox_batch`` task) to the queue: after the commits
that queue mail (debounced: at most one run waits), for the moment the next waiting message
falls due, for the sweeper, and as a worker starts. Nothing here raises when the cache or the
broker is down: the rows stay ``queued`` and ``sweep.sweep_outbox`` hands them over later."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ..models import OutboundEmail

logger = logging.getLogger(__name__)

# A run further away than this is not scheduled on the broker but left to the sweeper: a
# worker holds every scheduled task in memory, and Redis hands a task held longer than its
# visibility timeout (10 minutes) to another worker.
MAX_COUNTDOWN_SECONDS = 300
# Present while a delivery run is queued and has not started (see queue_batch_delivery). It
# expires in case that run's task is lost: until then new commits rely on the lost run and
# their rows wait (for a restarted worker's run, see worker_started, or the sweeper).
PENDING_RUN_KEY = "outbox:run-pending"
# A run sent without a countdown waits in Redis, where no worker can lose it, until a worker
# with a free process takes it and starts it at once (late acks, prefetch multiplier 1), so
# only a broker that lost its queue loses it; it may wait long behind a backlog, and a shorter
# key would add a run per expiry meanwhile.
PENDING_RUN_TIMEOUT = 30
# A gathered run (a countdown) is held in the memory of the worker that received it until it
# starts, and lost if that worker is killed meanwhile: its key lives only this long after the
# run should have started, so that the next commit on another worker's watch sends a new run.
# A run that is merely late (its worker busy) costs one extra run per expiry, which finds
# what is left, if anything.
PENDING_RUN_GRACE_SECONDS = 5
# Present once a run is scheduled for that second (see queue_batch_delivery_when_due).
WAKE_UP_KEY = "outbox:wake-up:{}"


def queue_batch_delivery_after_commit() -> bool:
    """``queue_batch_delivery`` for the commit that just queued a message: the run starts
    ``OUTBOX_GATHER_SECONDS`` later, so that the messages committed meanwhile join it (at once
    on the embedded default, where tasks run eagerly). The ``on_commit`` hook of every write
    that queues mail. Meanwhile the run is held by the worker that received it: if that worker
    is killed, its replacement sends a run as it starts (``worker_started``), and another
    worker's next commit does once the debounce key expires, a few seconds later."""
    return queue_batch_delivery(countdown=settings.OUTBOX_GATHER_SECONDS or None)


def queue_batch_delivery(*, countdown: float | None = None) -> bool:
    """Make sure a delivery run (the ``deliver_outbox_batch`` task) starts after now (or
    ``countdown`` seconds from now), so that what was just committed leaves; says whether one
    will.

    Debounced: however many messages are committed, at most one run waits in the queue. Never
    raises: when the cache or the broker is unreachable the rows stay ``queued`` and
    ``sweep_outbox`` hands them over, so an outage cannot turn the request that queued a
    message into an error.
    """
    # Why no row is missed. Row R commits, then this adds PENDING_RUN_KEY. If the add
    # succeeds, a run is sent now, so it starts after R committed and sees R. If it fails, the
    # key was there: a run was sent and has not started yet, because a run deletes the key as
    # it starts, before it looks for due rows (``mark_run_started``). That run therefore deletes
    # it after this add, after R committed, and then sees R. (Deleting after querying would
    # be wrong: a run could delete a key that was added for a row it never saw.) Rows
    # committed while a run is under way find the key gone and send a run of their own; it
    # may find nothing left, a cheap task. Whoever else deletes the key (a run the sweeper or
    # a wake-up started) only causes an extra run, never one too few. If the task never
    # arrives (broker restarted, or the worker holding a gathered run killed before it
    # started: a run with a countdown waits in that worker's memory), the rows that relied on
    # it wait for another run: the one a replacement worker sends as it becomes ready
    # (``worker_started``), the next commit's once the key has expired
    # (``_pending_run_timeout``: a few seconds after the run was due when gathered, half a
    # minute otherwise), or the sweeper's. A key expiring while its run is merely late breaks
    # none of this: that run still deletes the key (perhaps one added since) before it looks
    # for rows, and the commit that found the key gone sends an extra run.
    if not _add_key(PENDING_RUN_KEY, timeout=_pending_run_timeout(countdown)):
        return True  # a run is on its way and will see the new rows
    if start_batch_delivery(countdown=countdown):
        return True
    _delete_key(PENDING_RUN_KEY)  # no run is coming: let the next commit try again
    return False


def _pending_run_timeout(countdown: float | None) -> int:
    """How long ``PENDING_RUN_KEY`` may stand for a run sent with ``countdown``."""
    if countdown:
        return math.ceil(countdown) + PENDING_RUN_GRACE_SECONDS
    return PENDING_RUN_TIMEOUT


def worker_started() -> bool:
    """Send a delivery run at once, past the debounce, as a worker becomes ready: a worker
    killed while it held a gathered run (``queue_batch_delivery_after_commit``) lost it, and
    the rows it was for would wait for the next commit after its key expired or the sweeper;
    its replacement sends them as it starts. Extra runs (every worker, every restart) find
    nothing or share the work. It is a wake-up run: a killed worker may also have held the
    wake-up scheduled for a message waiting for a retry, and this one schedules it again.
    Never raises (see ``start_batch_delivery``)."""
    return start_batch_delivery(wake_up=True)


def start_batch_delivery(*, countdown: float | None = None, wake_up: bool = False) -> bool:
    """Send a ``deliver_outbox_batch`` task (without the debounce), to run now or in
    ``countdown`` seconds, a wake-up run or not (see ``drain_outbox``); says whether that
    worked. Never raises: when the broker is unreachable (or, on the embedded default, the
    eager run failed unexpectedly) the rows stay ``queued`` for ``sweep_outbox``."""
    from ..tasks import deliver_outbox_batch

    try:
        kwargs = {"wake_up": True} if wake_up else None
        deliver_outbox_batch.apply_async(kwargs=kwargs, countdown=countdown)
    except Exception:
        logger.warning(
            "Outbox: a delivery run could not be handed to the queue; the sweeper will retry it.",
            exc_info=True,
        )
        return False
    return True


def queue_batch_delivery_when_due() -> bool:
    """Schedule a delivery run for when the next waiting message (after a temporary failure,
    or held by the rate cap) falls due; says whether one is scheduled. One run per second,
    however many ask. It is a wake-up run, which calls this again as it ends: the messages
    waiting longer are scheduled one after the other, each by the run before. A message due
    in more than ``MAX_COUNTDOWN_SECONDS`` is left for ``sweep_outbox``, which picks it up
    soon after it falls due."""
    next_attempt_at = (
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_attempt_at is None:
        return False
    # The run starts on the second after the message falls due, so that it finds it due, and
    # so does any other message due within that second.
    second = math.ceil(next_attempt_at.timestamp())
    countdown = max(0.0, second - timezone.now().timestamp())
    if countdown > MAX_COUNTDOWN_SECONDS:
        return False
    if not _add_key(WAKE_UP_KEY.format(second), timeout=int(countdown) + 60):
        return True
    return start_batch_delivery(countdown=countdown, wake_up=True)


def _add_key(key: str, *, timeout: int) -> bool:
    """``cache.add``; true as well when the cache cannot be reached (then nothing is
    debounced, and a broker on the same Redis will most likely refuse the task too)."""
    try:
        return cache.add(key, 1, timeout=timeout)
    except Exception:
        logger.warning("Outbox: the cache is unreachable (%s).", key, exc_info=True)
        return True


def _delete_key(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Outbox: the cache is unreachable (%s).", key, exc_info=True)


def mark_run_started() -> None:
    """Called by a delivery run as it starts, before it looks for due rows: from now on, a
    commit must hand over a run of its own (see ``queue_batch_delivery``)."""
    _delete_key(PENDING_RUN_KEY)
