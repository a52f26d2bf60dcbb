"""The back office's own pages: the front page (what needs doing, how the appeal is going) and
the audit trail (every decision and change, newest first, read-only); and the Django admin's
login, which is the site's. Each area's pages live in its package (``organise.review``…)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from . import selectors
from .access import require
from .forms import AuditFilterForm
from .roles import Action, can
from .trail import describe


@require(Action.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    campaign = selectors.backoffice_campaign()
    return render(
        request,
        "organise/dashboard.html",
        {"campaign": campaign, "figures": selectors.dashboard(campaign=campaign)},
    )


@require(Action.VIEW_AUDIT)
@require_safe
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    form.is_valid()
    filters = form.filters()
    page = selectors.audit_page(
        filters=filters,
        cursor=request.GET.get("after", ""),
        personal_data=can(request.user, Action.VIEW_PERSONAL_DATA),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "organise/audit.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": [describe(event) for event in page.entries],
            "filter_query": query.urlencode(),
            "known_actions": AuditFilterForm.known_actions(),
        },
    )


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """Send people to the site's login (the emailed code, then the second factor), then back
    to the admin page they asked for: the Django admin has no login form of its own here, so
    that ``/admin/`` is held to the back office's standard.

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
