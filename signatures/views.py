"""Signing, confirming and withdrawing: parse, call a service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_POST

from campaign.selectors import current_campaign

from . import services, tokens
from .forms import ResendForm, SignForm


@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and campaign.is_open_for_signing:
        services.sign(
            campaign=campaign, details=form.details(), language=translation.get_language()
        )
        return redirect("signatures:check_email")
    return render(request, "signatures/sign.html", {"campaign": campaign, "form": form})


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
        },
    )


@require_POST
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
