"""The campaign's public pages: thin views over ``selectors``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt

from signatures import selectors as signature_selectors
from signatures.forms import SignForm

from . import selectors, share_image
from .models import Campaign


def home(request: HttpRequest) -> HttpResponse:
    campaign = selectors.current_campaign(with_content="home")
    return render(
        request,
        "campaign/home.html",
        {
            "campaign": campaign,
            "form": SignForm(),
            "featured": signature_selectors.featured_supporters(campaign=campaign),
            "latest": signature_selectors.latest_signatories(campaign=campaign),
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


# --- Sharing and the embeddable counter -----------------------------------------------------


def og_image(request: HttpRequest) -> HttpResponse:
    """The Open Graph picture: the title and the live count, redrawn when the count changes."""
    campaign = selectors.current_campaign()
    response = HttpResponse(share_image.share_image(campaign=campaign), content_type="image/png")
    patch_cache_control(response, public=True, max_age=settings.COUNT_REFRESH_SECONDS)
    return response


@xframe_options_exempt
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The counter other sites put in an iframe: the only page any site may frame."""
    campaign = get_object_or_404(Campaign.objects.public(), slug=slug)
    response = render(request, "campaign/embed.html", {"campaign": campaign})
    response["Content-Security-Policy"] = "frame-ancestors *"
    patch_cache_control(response, public=True, max_age=settings.COUNT_REFRESH_SECONDS)
    return response
