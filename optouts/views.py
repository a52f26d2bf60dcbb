"""The supporter's opt-out page: declare, add places, withdraw, download the files to host."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.selectors import current_campaign
from signatures.models import Supporter
from signatures.services import link_back_token, profile_permalink

from . import documents, selectors, services
from .forms import DeclarationForm, LocationForm
from .models import OptOutDeclaration


def _own_supporter(request: HttpRequest) -> Supporter | None:
    return Supporter.objects.filter(user=request.user).first()


def _active_declaration(supporter: Supporter) -> OptOutDeclaration | None:
    return supporter.optout_declarations.active().select_related("supporter").first()


@login_required
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest) -> HttpResponse:
    """The page; a POST declares the reservation."""
    supporter = _own_supporter(request)
    if supporter is None:
        return render(request, "signatures/account_none.html", {"campaign": current_campaign()})
    form = DeclarationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.declare(
                supporter=supporter,
                locations=form.cleaned_data["locations"],
                licensing_url=form.cleaned_data["licensing_url"],
                actor=request.user,
            )
        except services.OptOutError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Your declaration is recorded. We are checking your addresses.")
            )
            return redirect("optouts:opt_out")
    return _page(request, supporter, declaration_form=form)


@login_required
@require_POST
def add_location(request: HttpRequest) -> HttpResponse:
    supporter = _own_supporter(request)
    declaration = _active_declaration(supporter) if supporter else None
    if declaration is None:
        return redirect("optouts:opt_out")
    form = LocationForm(request.POST)
    if form.is_valid():
        try:
            services.add_location(
                declaration=declaration, url=form.cleaned_data["url"], actor=request.user
            )
        except services.OptOutError as error:
            form.add_error("url", error.message)
        else:
            messages.success(request, _("We are checking this address."))
            return redirect("optouts:opt_out")
    return _page(request, supporter, location_form=form)


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    supporter = _own_supporter(request)
    declaration = _active_declaration(supporter) if supporter else None
    if declaration is not None:
        services.withdraw(declaration=declaration, actor=request.user)
        messages.success(
            request,
            _("Your declaration is withdrawn. It no longer appears in the public registry."),
        )
    return redirect("optouts:opt_out")


@login_required
@require_GET
def download_tdmrep(request: HttpRequest) -> HttpResponse:
    declaration, origin = _download_target(request)
    return _attachment(
        documents.tdmrep_json(declaration, origin=origin), "application/json", "tdmrep.json"
    )


@login_required
@require_GET
def download_robots(request: HttpRequest) -> HttpResponse:
    declaration, origin = _download_target(request)
    return _attachment(
        documents.robots_txt(declaration, origin=origin), "text/plain", "robots-ai.txt"
    )


def _download_target(request: HttpRequest) -> tuple[OptOutDeclaration, str]:
    """The supporter's declaration in force and the site (``?site=``) the file is for."""
    supporter = _own_supporter(request)
    declaration = _active_declaration(supporter) if supporter else None
    if declaration is None:
        raise Http404
    sites = documents.origins(declaration)
    site = request.GET.get("site", "")
    if site not in sites:
        raise Http404
    return declaration, site


def _attachment(content: str, media_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _page(request: HttpRequest, supporter: Supporter, **forms) -> HttpResponse:
    campaign = current_campaign()
    declarations = selectors.declarations_of(supporter=supporter)
    declaration = next((d for d in declarations if d.is_active), None)
    context = {
        "campaign": campaign,
        "supporter": supporter,
        "declaration": declaration,
        "past_declarations": [d for d in declarations if not d.is_active],
        "declaration_form": DeclarationForm(),
        "location_form": LocationForm(),
        "profile_permalink": profile_permalink(supporter),
        "link_back_token": link_back_token(supporter),
        "crawlers": documents.AI_CRAWLERS,
        **forms,
    }
    if declaration is not None:
        context |= {
            "sites": documents.origins(declaration),
            "policy_url": documents.policy_url(declaration),
            "is_published": selectors.published_declaration(campaign=campaign, uid=declaration.uid)
            is not None,
        }
    return render(request, "optouts/opt_out.html", context)
