"""The tracker's public pages: the overview, a company's page, the deals, the logo, and the
"write to this company" button (counted once per signatory, then off to the mail program)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from campaign.selectors import current_campaign
from signatures.models import Signature, Supporter

from . import letters, selectors, services

LOGO_MAX_AGE = 365 * 24 * 60 * 60  # the address changes with the picture


class MailtoRedirect(HttpResponseRedirect):
    allowed_schemes = ["mailto"]


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    table = selectors.overview(sort=request.GET.get("sort", selectors.SORT_DEFAULT))
    return render(
        request,
        "tracker/overview.html",
        {"campaign": current_campaign(), "table": table},
    )


@require_GET
def company(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.company_page(slug=slug)
    if page is None:
        raise Http404("No such company")
    signatory = _signatory(request)
    return render(
        request,
        "tracker/company.html",
        {
            "campaign": current_campaign(),
            "page": page,
            "company": page.company,
            "mailto": letters.mailto_url(page.company, translation.get_language()),
            "signatory": signatory,
            "has_written": bool(signatory)
            and selectors.has_written(company=page.company, supporter=signatory),
        },
    )


@require_POST
def write(request: HttpRequest, slug: str) -> HttpResponse:
    """Count the signed-in signatory once, then send the browser to the ``mailto:`` link."""
    company = selectors.listed_company(slug=slug)
    if company is None or not company.contact_email:
        raise Http404("No such company")
    signatory = _signatory(request)
    if signatory is not None:
        services.record_letter(company=company, supporter=signatory)
    return MailtoRedirect(letters.mailto_url(company, translation.get_language()))


def _signatory(request: HttpRequest) -> Supporter | None:
    """The signed-in person's supporter row, if their signature counts."""
    if not request.user.is_authenticated:
        return None
    return (
        Supporter.objects.filter(user=request.user, signatures__in=Signature.objects.counted())
        .only("pk")
        .first()
    )


@require_GET
def deals(request: HttpRequest) -> HttpResponse:
    deals = list(selectors.published_deals())
    return render(
        request,
        "tracker/deals.html",
        {
            "campaign": current_campaign(),
            "deals": deals,
            "has_samples": any(deal.is_sample for deal in deals),
        },
    )


@require_GET
def logo(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    """The company's logo as re-encoded on upload (never the uploaded bytes), cached for a
    year: its address carries the picture's hash, so a new logo gets a new address."""
    company = selectors.logo_of(slug=slug)
    if company is None or company.logo_version != version:
        raise Http404("No such logo")
    response = HttpResponse(bytes(company.logo_png), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = f'inline; filename="{company.slug}.png"'
    return response
