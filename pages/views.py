"""The campaign's public pages: thin views over ``selectors``."""

from __future__ import annotations

import html

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt

from campaign import safeguards, selectors
from campaign.models import Campaign
from signatures import selectors as signature_selectors
from signatures import stats
from signatures.forms import SignForm
from tracker import selectors as tracker_selectors

from . import figures, share_image


def home(request: HttpRequest) -> HttpResponse:
    campaign = selectors.current_campaign(with_content="home")
    guards = safeguards.for_request(request)
    return render(
        request,
        "campaign/home.html",
        {
            "campaign": campaign,
            "form": SignForm(),
            "signing_paused": guards.signing_paused,
            "pause_message": guards.pause_message(translation.get_language()),
            "featured": signature_selectors.featured_supporters(campaign=campaign),
            "latest": signature_selectors.latest_signatories(campaign=campaign),
            "growth_chart": figures.growth_chart(campaign=campaign, compact=True, compute=False),
            "tracker_figures": tracker_selectors.figures(),
        },
    )


def why_it_matters(request: HttpRequest) -> HttpResponse:
    campaign = selectors.current_campaign(with_content="why")
    return render(request, "campaign/why_it_matters.html", {"campaign": campaign})


def about(request: HttpRequest) -> HttpResponse:
    campaign = selectors.current_campaign()
    return render(request, "campaign/about.html", {"campaign": campaign})


def privacy(request: HttpRequest) -> HttpResponse:
    campaign = selectors.current_campaign()
    return render(request, "campaign/privacy.html", {"campaign": campaign})


# --- Figures, sharing, the embeddable counter -----------------------------------------------


def stats_page(request: HttpRequest) -> HttpResponse:
    """The figures: growth, fields of work, countries (sortable by ``?sort=``), share verified;
    and the code to embed the counter."""
    campaign = selectors.current_campaign()
    sort = stats.country_sort(request.GET.get("sort"))
    return render(
        request,
        "campaign/stats.html",
        {
            "campaign": campaign,
            "figures": figures.stats_page(campaign=campaign, sort=sort),
            "embed_code": _embed_code(campaign),
        },
    )


def _embed_code(campaign: Campaign) -> str:
    """The ``<iframe>`` a partner pastes into a page: plain text (the template escapes it)."""

    def attribute(value: str) -> str:
        return html.escape(value, quote=False).replace('"', "&quot;")

    src = settings.SITE_URL + reverse("campaign:embed", kwargs={"slug": campaign.slug})
    title = gettext("Signature counter: %(title)s") % {"title": campaign.title}
    return (
        f'<iframe src="{attribute(src)}" title="{attribute(title)}" width="100%" height="180" '
        'style="border:0" loading="lazy"></iframe>'
    )


def og_image(request: HttpRequest) -> HttpResponse:
    """The Open Graph picture: the title and the live count, redrawn when the count changes."""
    campaign = selectors.current_campaign()
    response = HttpResponse(share_image.share_image(campaign=campaign), content_type="image/png")
    patch_cache_control(response, public=True, max_age=settings.COUNT_REFRESH_SECONDS)
    return response


def tracker_share_image(request: HttpRequest, slug: str) -> HttpResponse:
    """The Open Graph picture of a tracked company: its name and its status on each demand."""
    page = tracker_selectors.company_page(slug=slug)
    if page is None:
        raise Http404("No such company")
    response = HttpResponse(share_image.tracker_share_image(page=page), content_type="image/png")
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE_SECONDS)
    return response


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The counter other sites put in an iframe: the only page any site may frame."""
    campaign = get_object_or_404(Campaign.objects.public(), slug=slug)
    response = render(request, "campaign/embed.html", {"campaign": campaign})
    patch_cache_control(response, public=True, max_age=settings.COUNT_REFRESH_SECONDS)
    return response
