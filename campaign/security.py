"""Security middleware and the pages that go with it.

- ``PermissionsPolicyMiddleware`` sends ``Permissions-Policy`` (``PERMISSIONS_POLICY``): the
  browser features no page uses are switched off. Content-Security-Policy is django-csp's
  (``CONTENT_SECURITY_POLICY``); HSTS, ``X-Content-Type-Options`` and ``Referrer-Policy`` are
  Django's ``SecurityMiddleware``.
- ``RequestHygieneMiddleware`` refuses, before anything reads them, requests no browser sends:
  a NUL byte in the path, the query string or a form field (400: PostgreSQL cannot store one,
  and a query with one fails deep inside a view), a body larger than the site takes (413), a
  URL longer than ``MAX_URL_LENGTH`` (414). Django already answers 400 to bodies whose form
  data passes ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` and to
  malformed multipart bodies; this only adds what it lacks.
- ``DatabaseUnavailableMiddleware`` and ``server_error`` (``handler500``) answer a plain 503
  page with ``Retry-After`` when the database cannot be reached, whether the view or a
  middleware (sessions, the login) found out, so that a visitor reads "try again shortly"
  rather than a server error, and a CDN keeps serving the copies it holds (``stale-if-error``).

Every page here is rendered without a request context: a context processor could need the
database, and a refusal comes before the language is set, so each takes the language from
the URL prefix, else from the language cookie or the browser. Under ``/api/`` the same answers
are JSON (``{"detail": …}``), as the API's own errors are.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# What a failed connection to the database raises (psycopg's and SQLite's, wrapped by Django).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL = "\x00"

GetResponse = Callable[[HttpRequest], HttpResponse]


# --- Error pages --------------------------------------------------------------------------


def page_language(request: HttpRequest) -> str:
    """The language of the page asked for, without touching the database."""
    return translation.get_language_from_path(
        request.path_info
    ) or translation.get_language_from_request(request, check_path=False)


def error_page(request: HttpRequest, *, template: str, status: int) -> HttpResponse:
    """``template`` in the page's language, never cached; for the JSON API, ``{"detail": …}``.
    If the template itself cannot be rendered (a static file missing from the manifest, say)
    a bare page says the same thing: an error page must not fail in turn."""
    with translation.override(page_language(request)):
        if request.path_info.startswith(settings.API_PATH_PREFIX):
            response = JsonResponse({"detail": summary(status)}, status=status)
        else:
            try:
                content = render_to_string(template)
            except Exception:
                logger.exception("The %s page could not be rendered", status)
                content = _bare_page(status)
            response = HttpResponse(content, status=status)
    add_never_cache_headers(response)
    return response


def summary(status: int) -> str:
    """What an error page says, in one sentence."""
    if status == 503:
        return gettext(
            "The appeal is briefly unavailable. Please try again in a few minutes; anything "
            "you signed before this is safe."
        )
    if status >= 500:
        return gettext("Something went wrong. Please try again in a moment.")
    return gettext("Your browser sent a request this site cannot read.")


def _bare_page(status: int) -> str:
    text = escape(summary(status))
    language = escape(translation.get_language())
    return (
        f'<!DOCTYPE html><html lang="{language}"><meta charset="utf-8">'
        f"<title>{text}</title><p>{text}</p></html>"
    )


def bad_request(
    request: HttpRequest, exception: Exception | None = None, *, status: int = 400
) -> HttpResponse:
    """``handler400``, and the refusals of ``RequestHygieneMiddleware`` (413, 414)."""
    return error_page(request, template="400.html", status=status)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    response = error_page(request, template="503.html", status=503)
    response["Retry-After"] = str(settings.SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the exception being handled means the database is
    unreachable (raised in a middleware, which ``DatabaseUnavailableMiddleware`` cannot
    see), else the plain 500 page."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return error_page(request, template="500.html", status=500)


# --- Middleware ---------------------------------------------------------------------------


class PermissionsPolicyMiddleware:
    """Add ``Permissions-Policy`` built from ``PERMISSIONS_POLICY`` ({feature: [origins]};
    an empty list switches the feature off) unless the response has its own."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RequestHygieneMiddleware:
    """Refuse malformed or oversized requests before any view, form or query sees them."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        status, reason = self.refusal(request)
        if status:
            # The reason only: the URL or the body may hold someone's personal data.
            logger.warning("Refused a %s request with %s (%s)", request.method, reason, status)
            return bad_request(request, status=status)
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> tuple[int, str]:
        """``(status, reason)`` when ``request`` must be refused, else ``(0, "")``. The form
        fields are read last, once the body is known to be small enough."""
        query = request.META.get("QUERY_STRING", "")
        if len(request.path) + len(query) > settings.MAX_URL_LENGTH:
            return 414, "a URL too long"
        if has_nul_in_url(request, query):
            return 400, "a NUL byte in its URL"
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, "an unreadable Content-Length"
        if length < 0:
            return 400, "an unreadable Content-Length"
        if length > body_limit(request):
            return 413, "a body too large"
        if has_nul_in_form(request):
            return 400, "a NUL byte in a form field"
        return 0, ""


def has_nul_in_url(request: HttpRequest, query: str) -> bool:
    """Whether the path or the query string holds a NUL byte, raw or ``%00``. The JSON API
    is left to refuse its own parameters: its schema rejects a NUL byte with a documented
    JSON error (422), which API clients and the schema tests expect rather than a page."""
    if request.path_info.startswith(settings.API_PATH_PREFIX):
        return False
    return NUL in request.path or NUL in unquote(query)


def body_limit(request: HttpRequest) -> int:
    """The largest body ``request`` may send: ``IMPORT_MAX_BYTES`` for the back office's CSV
    import, ``MAX_REQUEST_BODY_BYTES`` anywhere else."""
    if request.path_info.startswith(settings.IMPORT_PATH_PREFIX):
        return max(settings.IMPORT_MAX_BYTES, settings.MAX_REQUEST_BODY_BYTES)
    return settings.MAX_REQUEST_BODY_BYTES


def has_nul_in_form(request: HttpRequest) -> bool:
    """Whether a posted form has a NUL byte in a field's name or value, or a file's name.

    Parsing the form here is what ``CsrfViewMiddleware`` does anyway for every form it checks;
    a body Django cannot parse raises as it would in the view (a 400 from Django)."""
    if request.method != "POST" or request.content_type not in FORM_CONTENT_TYPES:
        return False
    for name, values in request.POST.lists():
        if NUL in name or any(NUL in value for value in values):
            return True
    return any(
        NUL in name or any(NUL in (upload.name or "") for upload in uploads)
        for name, uploads in request.FILES.lists()
    )


class DatabaseUnavailableMiddleware:
    """A view that finds the database unreachable answers the 503 page instead of a 500.

    Failures in middleware never reach ``process_exception``: ``handler500``
    (``server_error``) turns those into the same page. With ``DEBUG`` on, Django's debug page
    is kept for developers, as it is for every other error."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG or not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.error("Database unavailable: %s answered 503", request.path, exc_info=exception)
        return service_unavailable(request)
