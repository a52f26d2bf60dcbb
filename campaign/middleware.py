"""Caching of the public pages, so that a surge of visitors costs the origin little.

Two layers, both applied to *public pages* only: an anonymous ``GET``/``HEAD`` (no session
cookie) answered ``200`` by a view listed in ``PUBLIC_PAGE_VIEWS``, whose response sets no
cookie and chose no ``Cache-Control`` of its own. Pages that embed a CSRF token set the CSRF
cookie, so they never qualify; neither do the account pages, the admin, allauth's pages, the
confirmation and withdrawal links, form errors (they answer a ``POST``) or anything a logged-in
person asks for.

- ``PublicPageCacheControlMiddleware`` sends ``Cache-Control: public, max-age=N,
  stale-while-revalidate=…, stale-if-error=…``: a CDN may keep the page for the counting
  interval (``N``, the public count is no fresher than that anyway), then serve it stale while
  it revalidates, or for a day while the origin errors.
- ``UpdatePublicPageCacheMiddleware`` and ``FetchPublicPageFromCacheMiddleware`` are Django's
  own page cache (``django.middleware.cache``), restricted to those pages and kept as long as
  their ``max-age`` when ``PUBLIC_PAGE_CACHE`` is on: the origin renders each public page at
  most once per interval and per variant, whichever gunicorn process gets the request (the
  ``Age`` header it adds on a hit keeps a CDN from holding the page longer than ``max-age``).
  Keys vary on the address and on the ``Vary`` headers (``Cookie`` when the page read the
  session), as Django does, except that only the query parameters public views read
  (``PUBLIC_PAGE_QUERY_PARAMS``) count, sorted: any other parameter, a tracking tag or a
  random one meant to bust the cache, is answered from the page already kept. A cache that is
  down is a cache miss, never an error.

See docs/performance.md for the reasoning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# Set on the request when the response is a public page (read by the page cache).
PUBLIC_PAGE_MARK = "_is_public_page"


def is_public_view(request: HttpRequest) -> bool:
    """Whether the view that answered ``request`` is listed in ``PUBLIC_PAGE_VIEWS`` (by
    ``namespace:name``, or ``namespace:*`` for a whole namespace)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    allowed = settings.PUBLIC_PAGE_VIEWS
    return match.view_name in allowed or f"{match.namespace}:*" in allowed


def is_public_response(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether ``response`` may be stored and shared by caches (see the module docstring)."""
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.has_header("Cache-Control")
        and not response.cookies
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and is_public_view(request)
    )


@contextmanager
def keyed_on_public_parameters(request: HttpRequest) -> Iterator[None]:
    """While Django's page cache computes its keys from ``request``'s address, the query string
    holds only the parameters listed in ``PUBLIC_PAGE_QUERY_PARAMS``, sorted. The view itself
    always sees the query string as it came."""
    meta = request.META
    original = meta.get("QUERY_STRING", "")
    if not original:
        yield
        return
    known = sorted(
        (name, value)
        for name in settings.PUBLIC_PAGE_QUERY_PARAMS
        for value in request.GET.getlist(name)
    )
    meta["QUERY_STRING"] = urlencode(known)
    try:
        yield
    finally:
        meta["QUERY_STRING"] = original


class PublicPageCacheControlMiddleware:
    """Mark public pages cacheable by CDNs and browsers. Place it above every middleware that
    may set a cookie (sessions, CSRF, messages), so that it sees them all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_public_response(request, response):
            setattr(request, PUBLIC_PAGE_MARK, True)
            patch_cache_control(
                response,
                public=True,
                max_age=settings.PUBLIC_PAGE_MAX_AGE_SECONDS,
                stale_while_revalidate=settings.PUBLIC_PAGE_STALE_WHILE_REVALIDATE_SECONDS,
                stale_if_error=settings.PUBLIC_PAGE_STALE_IF_ERROR_SECONDS,
            )
        return response


class UpdatePublicPageCacheMiddleware(UpdateCacheMiddleware):
    """Django's page cache (response phase), storing public pages only. First in MIDDLEWARE."""

    def _should_update_cache(self, request: HttpRequest, response: HttpResponse) -> bool:
        return (
            settings.PUBLIC_PAGE_CACHE
            and getattr(request, PUBLIC_PAGE_MARK, False)
            and super()._should_update_cache(request, response)
        )

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not self._should_update_cache(request, response):
            return response
        try:  # kept for the page's max-age
            with keyed_on_public_parameters(request):
                return super().process_response(request, response)
        except Exception:
            logger.warning("Page cache unavailable: %s not stored", request.path, exc_info=True)
            return response


class FetchPublicPageFromCacheMiddleware(FetchFromCacheMiddleware):
    """Django's page cache (request phase): answers from the cache when it holds the page.
    Last in MIDDLEWARE, so that the language is known and every ``Vary`` header counted."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.PUBLIC_PAGE_CACHE or settings.SESSION_COOKIE_NAME in request.COOKIES:
            request._cache_update_cache = False
            return None
        try:
            with keyed_on_public_parameters(request):
                return super().process_request(request)
        except Exception:
            logger.warning("Page cache unavailable: %s rendered", request.path, exc_info=True)
            request._cache_update_cache = False
            return None
