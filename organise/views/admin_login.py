"""The Django admin has no login form of its own here: it uses the site's login (the emailed
code, then the second factor), so that ``/admin/`` is held to the back office's standard."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """Send people to the site's login, then back to the admin page they asked for.

    Staff who are already logged in (with their second factor: the middleware sees to it) go
    straight on; anyone else logged in was refused for lack of staff status, which a new login
    would not change.
    """
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    next_url = next_url or "/admin/"
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(next_url)
        raise PermissionDenied
    query = urlencode({REDIRECT_FIELD_NAME: next_url})
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
