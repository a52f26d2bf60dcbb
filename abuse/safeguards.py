"""The organisers' kill switches and rate limits, as every request reads them: from the cache,
never from the database.

The database holds the truth (``KillSwitches``, ``RateLimit``); ``publish()`` copies it into one
cache entry whenever an organiser changes it, and beat republishes it every minute
(``abuse.tasks.publish_safeguards``), which repairs a cache that was flushed or restarted.
Reading costs one cache round trip per request (memoised on the request), and no query: the
sign page's query budget stays what it was. When the entry is missing, the request goes on with
the defaults (switches off, limits from settings) and a republication is queued, so an empty
cache is repaired at once rather than at beat's next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from .models import KillSwitches, Per, RateLimit, Scope

logger = logging.getLogger(__name__)

CACHE_KEY = "abuse:safeguards:v1"
REPUBLISH_GUARD_KEY = "abuse:safeguards:republishing"
REQUEST_ATTRIBUTE = "_abuse_safeguards"


@dataclass(frozen=True)
class Limit:
    limit: int
    window_seconds: int

    @property
    def is_on(self) -> bool:
        return self.limit > 0 and self.window_seconds > 0


@dataclass(frozen=True)
class Safeguards:
    signing_paused: bool = False
    read_only: bool = False
    pause_messages: dict[str, str] = field(default_factory=dict)
    # {"sign:ip": Limit, …}: every scope and counter, defaults filled in.
    limits: dict[str, Limit] = field(default_factory=dict)
    # False when built from defaults because the published copy was missing.
    published: bool = True

    def limit(self, scope: str, per: str) -> Limit:
        return self.limits.get(f"{scope}:{per}") or default_limit(scope, per)

    def pause_message(self, language: str | None = None) -> str:
        """The organisers' message in ``language`` (the page's), else in English, else ""."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        return self.pause_messages.get(language) or self.pause_messages.get("en", "")


def default_limit(scope: str, per: str) -> Limit:
    limit, window = settings.RATE_LIMIT_DEFAULTS.get(scope, {}).get(per, (0, 60))
    return Limit(limit=limit, window_seconds=window)


def default_limits() -> dict[str, Limit]:
    return {f"{scope}:{per}": default_limit(scope, per) for scope in Scope for per in Per}


def _cache():
    return caches[settings.RATE_LIMIT_CACHE]


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


def _as_data(safeguards: Safeguards) -> dict:
    return {
        "signing_paused": safeguards.signing_paused,
        "read_only": safeguards.read_only,
        "pause_messages": safeguards.pause_messages,
        "limits": {key: [lim.limit, lim.window_seconds] for key, lim in safeguards.limits.items()},
    }


def _from_data(data: dict) -> Safeguards:
    return Safeguards(
        signing_paused=bool(data.get("signing_paused")),
        read_only=bool(data.get("read_only")),
        pause_messages=dict(data.get("pause_messages") or {}),
        limits={key: Limit(*value) for key, value in (data.get("limits") or {}).items()},
    )


def publish() -> Safeguards:
    """Copy the database's safeguards into the cache; returns them. A cache that is down is
    logged: requests use the defaults until it is back and beat publishes again."""
    safeguards = load()
    try:
        _cache().set(CACHE_KEY, _as_data(safeguards), timeout=None)
    except Exception:
        logger.warning("Could not publish the safeguards to the cache", exc_info=True)
    return safeguards


def current() -> Safeguards:
    """The published safeguards (one cache round trip, no query), or the defaults."""
    try:
        data = _cache().get(CACHE_KEY)
    except Exception:
        logger.warning("Safeguards unreadable: the cache is unavailable", exc_info=True)
        return Safeguards(limits=default_limits(), published=False)
    if data is None:
        _republish_soon()
        return Safeguards(limits=default_limits(), published=False)
    return _from_data(data)


def for_request(request: HttpRequest) -> Safeguards:
    """``current()``, read once per request."""
    safeguards = getattr(request, REQUEST_ATTRIBUTE, None)
    if safeguards is None:
        safeguards = current()
        setattr(request, REQUEST_ATTRIBUTE, safeguards)
    return safeguards


def _republish_soon() -> None:
    """Queue one republication (not one per request) once the current transaction commits."""
    try:
        if not _cache().add(REPUBLISH_GUARD_KEY, 1, timeout=30):
            return
    except Exception:
        return
    transaction.on_commit(_queue_republication)


def _queue_republication() -> None:
    from .tasks import publish_safeguards

    try:
        publish_safeguards.delay()
    except Exception:
        logger.warning("Could not queue the safeguards' publication", exc_info=True)
