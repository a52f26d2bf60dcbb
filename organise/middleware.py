"""The gate in front of ``/organise/`` and ``/admin/``: log in, then a second factor.

- Anonymous visitors go to the login page (the emailed code), and come back afterwards.
- People with a back-office role (any of the three groups, staff, superusers) must have a TOTP
  authenticator: without one they are taken to set it up first; with one, the session must have
  passed it (at login, or by confirming a code now).
- Everyone else goes on to the view, which refuses them (``roles.can``): a supporter is never
  asked to set up a second factor they do not need.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from .roles import has_backoffice_role

SECOND_FACTOR_TYPES = [Authenticator.Type.TOTP]


def needs_second_factor(path: str) -> bool:
    return path.startswith(settings.BACKOFFICE_PATH_PREFIXES)


def passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session's login (or a later confirmation) used a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def _redirect(to: str, request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{to}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")


class SecondFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_second_factor(request.path_info):
            response = self.gate(request)
            if response is not None:
                return response
        return self.get_response(request)

    def gate(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return _redirect(resolve_url(settings.LOGIN_URL), request)
        if not has_backoffice_role(user):
            return None
        if not is_mfa_enabled(user, SECOND_FACTOR_TYPES):
            messages.info(
                request,
                _(
                    "The back office needs a second factor. Set up an authenticator app "
                    "to continue."
                ),
            )
            return _redirect(reverse("mfa_activate_totp"), request)
        if not passed_second_factor(request):
            return _redirect(reverse("mfa_reauthenticate"), request)
        return None
