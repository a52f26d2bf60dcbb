"""What every response under ``/api/`` shares: a rate limit per client, public caching headers
and a strong ``ETag`` answered with ``304 Not Modified``.

Written here rather than taken from django-ninja: ninja's throttles read ``X-Forwarded-For``
(which a client can forge until trusted proxies are configured), keep a list of timestamps per
client that concurrent requests overwrite, and do not cover the schema and docs views. This
limiter is a fixed one-minute window counted with the cache's atomic ``incr``, keyed by the
client's address as ``campaign.clientip`` reads it (``REMOTE_ADDR`` unless trusted proxies are
configured; an IPv6 client by its /64 network, which one machine usually holds).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag

from campaign.clientip import client_ip, limit_bucket

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60

View = Callable[..., HttpResponse]


def public_api(view: View) -> View:
    """Wrap an API view: refuse clients over the rate limit (429), then let any cache keep the
    answer for ``COUNT_REFRESH_SECONDS`` and revalidate it by its ``ETag``."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = seconds_until_allowed(request)
        if wait:
            return too_many_requests(wait)
        response = view(request, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            patch_cache_control(
                response,
                public=True,
                max_age=settings.COUNT_REFRESH_SECONDS,
                stale_while_revalidate=settings.PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS,
                stale_if_error=settings.PUBLIC_PAGE_STALE_IF_ERROR_SECONDS,
            )
        if request.method != "GET" or response.streaming:
            return response
        if not response.has_header("ETag"):
            set_response_etag(response)
        if not response.has_header("ETag"):  # An empty body has none (an empty JSON Lines page).
            return response
        return get_conditional_response(request, etag=response["ETag"], response=response)

    return wrapped


def client_key(request: HttpRequest) -> str:
    """Whom the limit counts: the client's address as the whole site reads it
    (``campaign.clientip``: ``REMOTE_ADDR``, or ``X-Forwarded-For`` counted back over the trusted
    proxies), an IPv6 one by its /64 network."""
    return limit_bucket(client_ip(request))


def seconds_until_allowed(request: HttpRequest) -> int:
    """0 when the request may proceed, else the seconds until the client's window ends.

    Each request counts, including refused ones. When the cache is unreachable the API stays
    open rather than failing every request.
    """
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return 0
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api:rate:{window}:{client_key(request)}"
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # The key expired between add and incr.
            cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
    except Exception:
        logger.warning("Rate limit not applied: the cache is unavailable", exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def too_many_requests(wait: int) -> HttpResponse:
    body = {"detail": f"Too many requests. Try again in {wait} seconds."}
    response = HttpResponse(json.dumps(body), status=429, content_type="application/json")
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response
