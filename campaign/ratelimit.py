"""Rate limits per client address and per email address, counted in the cache.

Fixed windows: a counter per (what, whom, window) that the cache increments atomically and
forgets when the window ends. With Redis, every counter of a request is created and incremented
in one pipelined round trip (``SET key 0 EX ttl NX`` then ``INCR key``); other backends (the
embedded default's local memory) use ``add`` then ``incr``. The limits come from
``abuse.safeguards`` (organisers' settings, published to the cache), so a request costs two
cache round trips and no query. Email addresses are counted by their canonical form
(``campaign.emailkeys``), hashed, so that "a.b+1@gmail.com" and "ab@gmail.com" share a counter and
no address is written to the cache.

Written here rather than taken from django-ratelimit or django-allauth's limiter: limits edited
by organisers in the database, one round trip for all counters, and a cache outage that fails
open for at most ``RATE_LIMIT_FAIL_OPEN_SECONDS`` and then closed (``RATE_LIMIT_FAIL_CLOSED``)
are what neither offers.

When the cache cannot be reached, requests are let through for the first
``RATE_LIMIT_FAIL_OPEN_SECONDS`` of the outage (signing must survive a Redis restart), then
refused with a 503 (or still let through when ``RATE_LIMIT_FAIL_CLOSED`` is off); never a 500.
While the cache is down, it is tried again at most every ``RATE_LIMIT_PROBE_SECONDS``, so that
requests do not each wait on a dead server.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from . import safeguards
from .clientip import client_ip, limit_bucket
from .emailkeys import canonical_email
from .safeguards import Per

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    # True when refused because the counters could not be reached (fail closed).
    unavailable: bool = False


ALLOWED = Verdict(allowed=True)


class _Outage:
    """This process's view of a cache outage: when it began, when the cache was last tried."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: float | None = None
        self.last_probe = 0.0

    def reset(self) -> None:
        with self.lock:
            if self.since is not None:
                logger.warning("Rate limits: the cache is back after %.0f s", self.elapsed())
            self.since = None
            self.last_probe = 0.0

    def elapsed(self) -> float:
        return 0.0 if self.since is None else time.monotonic() - self.since

    def begin(self) -> None:
        with self.lock:
            now = time.monotonic()
            if self.since is None:
                self.since = now
                logger.error("Rate limits: the cache is unavailable; failing open for now")
            self.last_probe = now

    def should_probe(self) -> bool:
        return (
            self.since is None
            or time.monotonic() - self.last_probe >= settings.RATE_LIMIT_PROBE_SECONDS
        )


outage = _Outage()


def check(request: HttpRequest, *, scope: str, email: str = "") -> Verdict:
    """Count this request against ``scope``'s limits for its client address and, when given,
    for ``email``; say whether it may go on and, if not, how long to wait."""
    if not settings.RATE_LIMITS_ENABLED:
        return ALLOWED
    limits = safeguards.for_request(request)
    now = time.time()
    counters = []
    for per, whom in ((Per.IP, limit_bucket(client_ip(request))), (Per.EMAIL, email)):
        limit = limits.limit(scope, per)
        if not whom or not limit.is_on:
            continue
        if per == Per.EMAIL:
            whom = canonical_email(whom)
        window = int(now // limit.window_seconds)
        ends = (window + 1) * limit.window_seconds
        digest = hashlib.sha256(whom.encode()).hexdigest()[:32]
        key = f"abuse:rl:{scope}:{per}:{limit.window_seconds}:{window}:{digest}"
        counters.append((key, limit.limit, ends))
    if not counters:
        return ALLOWED
    if not outage.should_probe():
        return while_unavailable()
    try:
        counts = _increment([(key, math.ceil(ends - now) + 1) for key, _lim, ends in counters])
    except Exception:
        logger.warning("Rate limit counters unavailable", exc_info=True)
        outage.begin()
        return while_unavailable()
    outage.reset()
    waits = [
        math.ceil(ends - now)
        for (_key, lim, ends), count in zip(counters, counts, strict=True)
        if count > lim
    ]
    if waits:
        return Verdict(allowed=False, retry_after=max(1, max(waits)))
    return ALLOWED


def while_unavailable() -> Verdict:
    """The verdict while the cache cannot be reached: open for the first
    ``RATE_LIMIT_FAIL_OPEN_SECONDS`` of the outage, then closed if ``RATE_LIMIT_FAIL_CLOSED``."""
    if outage.elapsed() <= settings.RATE_LIMIT_FAIL_OPEN_SECONDS or not (
        settings.RATE_LIMIT_FAIL_CLOSED
    ):
        return ALLOWED
    return Verdict(allowed=False, retry_after=settings.RATE_LIMIT_PROBE_SECONDS, unavailable=True)


def _increment(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (created with its time to live if new); their new values."""
    cache = caches[settings.RATE_LIMIT_CACHE]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        pipe = client.pipeline(transaction=False)
        for key, ttl in keys:
            full_key = cache.make_and_validate_key(key)
            pipe.set(full_key, 0, ex=ttl, nx=True)
            pipe.incr(full_key)
        return [int(value) for value in pipe.execute()[1::2]]
    counts = []
    for key, ttl in keys:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            counts.append(1)
    return counts


def refusal(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    """The page a refused request gets, in the page's language: 429 with ``Retry-After``, or
    503 when the limits cannot be checked and fail closed."""
    response = render(
        request,
        "429.html",
        {"retry_after": verdict.retry_after, "unavailable": verdict.unavailable},
        status=503 if verdict.unavailable else 429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    add_never_cache_headers(response)
    return response


def posted_email(request: HttpRequest) -> str:
    return request.POST.get("email", "")[:254]


def account_email(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return getattr(user, "email", "") if user is not None and user.is_authenticated else ""


def rate_limited(scope: str, *, email_from: Callable[[HttpRequest], str] = posted_email):
    """Limit a view's POSTs by ``scope``, per client address and per the email address
    ``email_from`` finds in the request. GETs pass untouched (and uncounted)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                verdict = check(request, scope=scope, email=email_from(request))
                if not verdict.allowed:
                    return refusal(request, verdict)
            return view(request, *args, **kwargs)

        limited.rate_limit_scope = scope
        return limited

    return decorator
