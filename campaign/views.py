"""The campaign's public pages: thin views over ``selectors``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from signatures import selectors as signature_selectors
from signatures.forms import SignForm

from . import selectors


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
