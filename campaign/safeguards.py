"""The organisers' kill switches and rate limits, as every request reads them: from the cache,
never from the database.

This is the reading side, at the bottom of the house so that signing, the API and the rate
limiter can obey the switches without knowing who sets them. The abuse controls own the truth
(``abuse.models.KillSwitches`` and ``RateLimit``) and the writing side: ``abuse.safeguards.
publish()`` copies it into one cache entry whenever an organiser changes it, and beat
republishes it every minute, which repairs a cache that was flushed or restarted. Reading costs
one cache round trip per request (memoised on the request), and no query. When the entry is
missing, the request goes on with the defaults (switches off, limits from settings) and the
publisher registered by the abuse app (``register_publisher``) is asked to publish again once
the transaction commits, so an empty cache is repaired at once rather than at beat's next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CACHE_KEY = "abuse:safeguards:v1"
REPUBLISH_GUARD_KEY = "abuse:safeguards:republishing"
REQUEST_ATTRIBUTE = "_abuse_safeguards"


class Scope(models.TextChoices):
    """What a rate limit guards."""

    SIGN = "sign", _("Signing")
    RESEND = "resend", _("Asking for a new confirmation link")
    LOGIN_CODE = "login_code", _("Asking for a login code")
    VERIFICATION = "verification", _("Asking for a verification")


class Per(models.TextChoices):
    """What a rate limit counts by."""

    IP = "ip", _("per address")
    EMAIL = "email", _("per email")


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


def cache():
    return caches[settings.RATE_LIMIT_CACHE]


def as_data(safeguards: Safeguards) -> dict:
    """What the cache holds: plain JSON-able data."""
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


def current() -> Safeguards:
    """The published safeguards (one cache round trip, no query), or the defaults."""
    try:
        data = cache().get(CACHE_KEY)
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


# --- Who publishes --------------------------------------------------------------------------

_publisher: Callable[[], None] | None = None


def register_publisher(publish_later: Callable[[], None]) -> None:
    """Called once by the app that owns the safeguards (``abuse``, in its ``ready()``):
    ``publish_later()`` queues a publication to the cache."""
    global _publisher
    _publisher = publish_later


def _republish_soon() -> None:
    """Queue one republication (not one per request) once the current transaction commits."""
    if _publisher is None:
        return
    try:
        if not cache().add(REPUBLISH_GUARD_KEY, 1, timeout=30):
            return
    except Exception:
        return
    transaction.on_commit(_publisher)
