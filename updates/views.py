"""Public pages of updates: the news (published updates, in the visitor's language) and the
unsubscribe link of every update email. Parse, call a selector or a service, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campaign.selectors import current_campaign

from . import selectors, services, tokens


@require_GET
def news_list(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    page = selectors.news_page(campaign=campaign, cursor=request.GET.get("after", ""))
    language = translation.get_language()
    entries = [{"update": update, "title": update.title_in(language)} for update in page.entries]
    return render(
        request,
        "updates/news_list.html",
        {"campaign": campaign, "page": page, "entries": entries},
    )


@require_GET
def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = current_campaign()
    update = selectors.published_update(campaign=campaign, slug=slug)
    language = translation.get_language()
    return render(
        request,
        "updates/news_detail.html",
        {
            "campaign": campaign,
            "update": update,
            "title": update.title_in(language),
            "body": update.html_in(language),
        },
    )


# The one-click POST of RFC 8058 comes from the mail provider, without a cookie or a CSRF
# token: the signed token in the address is the authority, and unsubscribing is all it can do.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks the person to confirm (a mail scanner following the link changes nothing);
    POST, from that page or from the mail client's one-click button, unsubscribes."""
    try:
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            signature = services.unsubscribe(token=token, one_click=one_click)
        else:
            signature = selectors.signature_for_unsubscribe(token=token)
    except tokens.UnsubscribeLinkInvalid:
        return render(
            request, "updates/unsubscribe_invalid.html", {"campaign": _campaign()}, status=400
        )
    done = signature.updates_unsubscribed_at is not None and not signature.wants_updates
    return render(
        request,
        "updates/unsubscribed.html" if done else "updates/unsubscribe_confirm.html",
        {"campaign": signature.campaign},
    )


def _campaign():
    try:
        return current_campaign()
    except Http404:
        return None
