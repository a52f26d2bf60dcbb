"""The back office's front page: what needs doing, and how the appeal is going."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import selectors
from ..access import require
from ..roles import Action


@require(Action.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    campaign = selectors.backoffice_campaign()
    return render(
        request,
        "organise/dashboard.html",
        {"campaign": campaign, "figures": selectors.dashboard(campaign=campaign)},
    )
