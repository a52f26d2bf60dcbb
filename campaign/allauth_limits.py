"""django-allauth's own rate limits, kept from turning a cache outage into a 500.

allauth counts some attempts in Django's default cache (a wrong TOTP code at the second-factor
step, reauthentication, e-mail confirmation…) and lets the cache's exceptions through: with Redis
unreachable, an organiser typing a code got a 500. The site's own limiter (``campaign.ratelimit``)
already decides what an outage means — let requests through for the first
``RATE_LIMIT_FAIL_OPEN_SECONDS``, then refuse them while ``RATE_LIMIT_FAIL_CLOSED`` is on — so
allauth's limits are made to ask it the same question instead of failing.

The same goes for the used-code marker with which allauth refuses a TOTP code typed twice: while
the cache is down it cannot be checked, so the code is taken during the grace period and refused
after it when failing closed.

allauth offers no hook for this, so ``install()`` wraps three functions of
``allauth.core.internal.ratelimit`` (the module every allauth limit goes through) and
``TOTP._mark_code_used``; a test (tests/security/test_redis_outage.py) fails if a new allauth
version moves them.
"""

from __future__ import annotations

import functools
import logging

from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.mfa.totp.internal.auth import TOTP

from . import ratelimit

logger = logging.getLogger(__name__)


class _NotRecorded:
    """What a hit let through during an outage leaves behind: nothing to roll back."""

    def rollback(self) -> None:
        return None


def _consume_or_decide(consume_single_rate):
    @functools.wraps(consume_single_rate)
    def guarded(request, *args, raise_exception: bool = False, **kwargs):
        try:
            return consume_single_rate(request, *args, raise_exception=raise_exception, **kwargs)
        except RateLimited:
            raise
        except Exception:
            logger.warning("allauth's rate limit could not reach the cache", exc_info=True)
            ratelimit.outage.begin()
            if ratelimit.while_unavailable().allowed:
                return _NotRecorded()
            if raise_exception:
                raise RateLimited from None
            return None  # allauth answers with its "too many attempts" error or 429

    guarded.guards_outages = True
    return guarded


def _quietly(function):
    """Clearing or rolling back a count that cannot be reached: nothing to undo."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            logger.warning("allauth's rate limit could not reach the cache", exc_info=True)
            return None

    guarded.guards_outages = True
    return guarded


def _mark_or_decide(mark_code_used):
    @functools.wraps(mark_code_used)
    def guarded(self, code: str) -> bool:
        try:
            return mark_code_used(self, code)
        except Exception:
            logger.warning("A TOTP code's use could not be recorded in the cache", exc_info=True)
            ratelimit.outage.begin()
            return ratelimit.while_unavailable().allowed

    guarded.guards_outages = True
    return guarded


def install() -> None:
    """Wrap allauth's limiter once per process (called from ``CampaignConfig.ready``)."""
    module = allauth_ratelimit
    if getattr(module._consume_single_rate, "guards_outages", False):
        return
    module._consume_single_rate = _consume_or_decide(module._consume_single_rate)
    module.clear = _quietly(module.clear)
    module.SingleRateLimitUsage.rollback = _quietly(module.SingleRateLimitUsage.rollback)
    TOTP._mark_code_used = _mark_or_decide(TOTP._mark_code_used)
