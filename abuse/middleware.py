"""Read-only mode for every public write, and the rate limit on django-allauth's login codes.

Read-only mode answers every public ``POST`` (and the confirmation link, a ``GET`` that writes)
with a page saying the appeal is read-only for now. The back office and the admin keep working,
so that organisers can switch it off, and so do logging in (organisers must be able to reach the
back office), changing language and unsubscribing from updates (a right we never suspend).

django-allauth's views are not ours to decorate, so the limit on asking for a login code is
applied here, by view name, with the same check as ``campaign.ratelimit.rate_limited``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from campaign import safeguards
from campaign.ratelimit import check, posted_email, refusal
from campaign.safeguards import Scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# GET views that write, refused in read-only mode too.
WRITING_GETS = frozenset({"signatures:confirm"})
# Public writes that read-only mode leaves alone (see the module docstring).
READ_ONLY_EXEMPT = frozenset(
    {
        "set_language",
        "account_login",
        "account_logout",
        "account_request_login_code",
        "account_confirm_login_code",
        "account_reauthenticate",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "updates:unsubscribe",
    }
)
LIMITED_VIEWS = {"account_request_login_code": Scope.LOGIN_CODE}
READ_ONLY_RETRY_AFTER_SECONDS = 300


def is_backoffice(request: HttpRequest) -> bool:
    return request.path_info.startswith(settings.BACKOFFICE_PATH_PREFIXES)


def is_public_write(request: HttpRequest, view_name: str) -> bool:
    writes = request.method not in SAFE_METHODS or view_name in WRITING_GETS
    return writes and view_name not in READ_ONLY_EXEMPT and not is_backoffice(request)


def read_only_page(request: HttpRequest) -> HttpResponse:
    response = render(request, "read_only.html", status=503)
    response["Retry-After"] = str(READ_ONLY_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class SafeguardsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if is_public_write(request, view_name) and safeguards.for_request(request).read_only:
            return read_only_page(request)
        scope = LIMITED_VIEWS.get(view_name)
        if scope and request.method == "POST":
            verdict = check(request, scope=scope, email=posted_email(request))
            if not verdict.allowed:
                return refusal(request, verdict)
        return None
