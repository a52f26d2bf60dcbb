"""The writing side of the organisers' kill switches and rate limits.

The database holds the truth (``KillSwitches``, ``RateLimit``); ``publish()`` copies it into the
one cache entry that every request reads through ``campaign.safeguards`` (the reading side, at
the bottom of the house), whenever an organiser changes it; beat republishes it every minute
(``abuse.tasks.publish_safeguards``), and a request that finds the entry missing asks for a
publication through ``queue_publication``, registered in ``AbuseConfig.ready``.
"""

from __future__ import annotations

import logging

from campaign.safeguards import (
    CACHE_KEY,
    Limit,
    Safeguards,
    as_data,
    cache,
    default_limits,
)

from .models import KillSwitches, RateLimit

logger = logging.getLogger(__name__)


def load() -> Safeguards:
    """The safeguards as the database holds them (two queries)."""
    switches = KillSwitches.objects.filter(pk=1).first() or KillSwitches()
    limits = default_limits()
    for row in RateLimit.objects.all():
        limits[f"{row.scope}:{row.per}"] = Limit(row.limit, row.window_seconds)
    return Safeguards(
        signing_paused=switches.signing_paused,
        read_only=switches.read_only,
        pause_messages={"en": switches.pause_message_en, "fr": switches.pause_message_fr},
        limits=limits,
    )


def publish() -> Safeguards:
    """Copy the database's safeguards into the cache; returns them. A cache that is down is
    logged: requests use the defaults until it is back and beat publishes again."""
    safeguards = load()
    try:
        cache().set(CACHE_KEY, as_data(safeguards), timeout=None)
    except Exception:
        logger.warning("Could not publish the safeguards to the cache", exc_info=True)
    return safeguards


def queue_publication() -> None:
    """Queue ``publish`` on a worker (run after a commit, when a request found no entry)."""
    from .tasks import publish_safeguards

    try:
        publish_safeguards.delay()
    except Exception:
        logger.warning("Could not queue the safeguards' publication", exc_info=True)
