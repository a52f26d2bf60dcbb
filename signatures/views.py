"""Signing, confirming and withdrawing: parse, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from campaign import safeguards
from campaign.clientip import origin_of
from campaign.csrf import csrf_exempt_same_origin
from campaign.ratelimit import account_email, rate_limited
from campaign.safeguards import Scope
from campaign.selectors import current_campaign

from . import selectors, services, tokens
from .forms import (
    DirectoryFilterForm,
    LinkBackForm,
    ProfileForm,
    ResendForm,
    ReviewRequestForm,
    SignForm,
)
from .models import Supporter
from .selectors import DirectoryFilters


# No CSRF token on the sign and new-link forms: they act on no one's credentials (the emailed
# link is the protection), and a token would make every page carrying the sign form uncacheable.
# Posts from other sites are still refused. See campaign/csrf.py and docs/performance.md.
@csrf_exempt_same_origin
@require_http_methods(["GET", "POST"])
@rate_limited(Scope.SIGN)
def sign(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    if safeguards.for_request(request).signing_paused:
        return _signing_paused(request, campaign)
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and campaign.is_open_for_signing:
        services.sign(
            campaign=campaign,
            details=form.details(),
            language=translation.get_language(),
            origin=origin_of(request),
        )
        return redirect("signatures:check_email")
    return render(request, "signatures/sign.html", {"campaign": campaign, "form": form})


def _signing_paused(request: HttpRequest, campaign) -> HttpResponse:
    """The organisers paused signing: their message instead of the form (nothing is stored)."""
    message = safeguards.for_request(request).pause_message(translation.get_language())
    return render(
        request,
        "signatures/paused.html",
        {"campaign": campaign, "message": message},
        status=200 if request.method == "GET" else 503,
    )


def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "signatures/check_email.html", {"campaign": current_campaign()})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    campaign = current_campaign()
    try:
        confirmation = services.confirm_signature(token=token)
    except tokens.TokenExpired:
        return render(
            request,
            "signatures/link_expired.html",
            {"campaign": campaign, "token": token},
            status=410,
        )
    except tokens.TokenInvalid:
        return render(
            request,
            "signatures/link_invalid.html",
            {"campaign": campaign, "form": ResendForm()},
            status=400,
        )
    return render(
        request,
        "signatures/thanks.html",
        {
            "campaign": campaign,
            "signature": confirmation.signature,
            "newly_confirmed": confirmation.newly_confirmed,
            # The signer's ledger receipt (their secret salt: this page is never cached). Its
            # entries are left to the browser check, so that a signature screening rejected
            # gets the very same page (abuse.services: rejected without a word).
            "receipt": services.receipt_of(confirmation.signature, with_entries=False),
        },
    )


@csrf_exempt_same_origin  # see sign()
@require_POST
@rate_limited(Scope.RESEND)
def resend(request: HttpRequest) -> HttpResponse:
    """A new confirmation link, asked for from an expired link or by address."""
    campaign = current_campaign()
    if "token" in request.POST:
        try:
            tokens.read_confirm_token(request.POST["token"])
        except tokens.TokenExpired as expired:
            services.resend_confirmation(signature_id=expired.signature_id)
        except tokens.TokenInvalid:
            pass
        return redirect("signatures:check_email")
    form = ResendForm(request.POST)
    if form.is_valid():
        services.resend_confirmation(email=form.cleaned_data["email"])
        return redirect("signatures:check_email")
    return render(
        request, "signatures/link_invalid.html", {"campaign": campaign, "form": form}, status=400
    )


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks the person to confirm; POST withdraws."""
    campaign = current_campaign()
    try:
        if request.method == "POST":
            signature = services.withdraw_signature(token=token)
            template = "signatures/withdrawn.html"
        else:
            signature = services.signature_for_withdrawal(token=token)
            template = (
                "signatures/withdrawn.html"
                if signature.status == signature.Status.WITHDRAWN
                else "signatures/withdraw_confirm.html"
            )
    except tokens.TokenInvalid:
        return render(
            request,
            "signatures/link_invalid.html",
            {"campaign": campaign, "form": ResendForm(), "withdrawal": True},
            status=400,
        )
    return render(request, template, {"campaign": campaign, "signature": signature})


# --- The public directory and profiles ------------------------------------------------------


def directory(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    form = DirectoryFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else DirectoryFilters()
    page = selectors.directory_page(
        campaign=campaign, filters=filters, cursor=request.GET.get("after", "")
    )
    # The next page's address keeps the filters, never other parameters: the page cache
    # answers an address with extra ones from the same page (campaign/middleware.py).
    query = QueryDict(mutable=True)
    for name in form.fields:
        if name in request.GET:
            query.setlist(name, request.GET.getlist(name))
    return render(
        request,
        "signatures/directory.html",
        {
            "campaign": campaign,
            "form": form,
            "filters": filters,
            "page": page,
            "filter_query": query.urlencode(),
        },
    )


def profile(request: HttpRequest, slug: str) -> HttpResponse:
    """A public profile. The address ends with the supporter's public id; an older address
    (the name part changed) redirects to the current one."""
    campaign = current_campaign()
    public_id = slug.rsplit("-", 1)[-1]
    signature = selectors.public_profile(campaign=campaign, public_id=public_id)
    if signature is None:
        raise Http404
    if signature.supporter.slug != slug:
        return redirect("signatures:profile", slug=signature.supporter.slug, permanent=True)
    return render(
        request,
        "signatures/profile.html",
        {"campaign": campaign, "signature": signature, "supporter": signature.supporter},
    )


# --- A supporter's own account ------------------------------------------------------------


def _own_supporter(request: HttpRequest):
    return Supporter.objects.filter(user=request.user).first()


def _own_signature(supporter, campaign):
    return supporter.signatures.filter(campaign=campaign).first() if supporter else None


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The supporter's profile form, their verification, their data and their signature."""
    supporter = _own_supporter(request)
    if supporter is None:
        return render(request, "signatures/account_none.html", {"campaign": current_campaign()})
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_profile(supporter=supporter, changes=form.changes(), actor=request.user)
            messages.success(request, _("Your profile is saved."))
            return redirect("signatures:account")
        return _render_account(request, supporter, form=form)
    return _render_account(request, supporter)


def _render_account(request: HttpRequest, supporter, **forms) -> HttpResponse:
    """The account page; ``forms`` replaces the blank forms with ones carrying errors."""
    campaign = current_campaign()
    signature = _own_signature(supporter, campaign)
    comment = signature.comment if signature else ""
    context = {
        "campaign": campaign,
        "supporter": supporter,
        "signature": signature,
        "form": ProfileForm(initial=ProfileForm.initial_for(supporter, comment)),
        "link_form": LinkBackForm(),
        "review_form": ReviewRequestForm(),
        "link_back_token": services.link_back_token(supporter),
        "profile_permalink": services.profile_permalink(supporter),
        "verifications": list(supporter.verifications.all()[:5]),
        "receipt": services.receipt_of(signature) if signature else None,
        **forms,
    }
    return render(request, "signatures/account.html", context)


def _verification_request(request, *, form_class, form_name: str, ask, done: str):
    """Shared by both ways of asking for verification: validate, ask, say what happened."""
    supporter = _own_supporter(request)
    if supporter is None:
        return redirect("signatures:account")
    form = form_class(request.POST)
    if not form.is_valid():
        return _render_account(request, supporter, **{form_name: form})
    try:
        ask(supporter, form.cleaned_data)
    except services.VerificationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(f"{reverse('signatures:account')}#verification")


@login_required
@require_POST
@rate_limited(Scope.VERIFICATION, email_from=account_email)
def verify_link(request: HttpRequest) -> HttpResponse:
    return _verification_request(
        request,
        form_class=LinkBackForm,
        form_name="link_form",
        ask=lambda supporter, data: services.request_link_back_check(
            supporter=supporter, page_url=data["page_url"]
        ),
        done=_("We are checking your page. The result appears below in a moment."),
    )


@login_required
@require_POST
@rate_limited(Scope.VERIFICATION, email_from=account_email)
def verify_review(request: HttpRequest) -> HttpResponse:
    return _verification_request(
        request,
        form_class=ReviewRequestForm,
        form_name="review_form",
        ask=lambda supporter, data: services.request_review(
            supporter=supporter, message=data["message"], links=data["evidence_links"]
        ),
        done=_("Your request has gone to the organisers."),
    )


@login_required
def download_data(request: HttpRequest) -> HttpResponse:
    supporter = _own_supporter(request)
    if supporter is None:
        raise Http404
    response = JsonResponse(
        services.export_supporter_data(supporter=supporter), json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_withdraw(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    supporter = _own_supporter(request)
    signature = _own_signature(supporter, campaign)
    if signature is None:
        return redirect("signatures:account")
    if request.method == "POST":
        services.withdraw_signature_of(signature_id=signature.pk)
        return render(request, "signatures/withdrawn.html", {"campaign": campaign})
    if signature.status == signature.Status.WITHDRAWN:
        return render(request, "signatures/withdrawn.html", {"campaign": campaign})
    return render(
        request,
        "signatures/withdraw_confirm.html",
        {"campaign": campaign, "signature": signature},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Erase the supporter and their account, after they confirm."""
    campaign = current_campaign()
    supporter = _own_supporter(request)
    if supporter is None:
        return redirect("signatures:account")
    if request.method == "POST":
        services.delete_supporter(supporter=supporter)
        logout(request)
        return render(request, "signatures/deleted.html", {"campaign": campaign})
    return render(request, "signatures/delete_confirm.html", {"campaign": campaign})
