"""The public ledger page: what the ledger is, in plain words, and its latest signed heads."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campaign.selectors import current_campaign

from . import selectors

HEADS_SHOWN = 12


def page(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    log = selectors.log_of(campaign)
    heads = selectors.latest_heads(log=log, limit=HEADS_SHOWN) if log else []
    return render(
        request,
        "ledger/page.html",
        {
            "campaign": campaign,
            "log": log,
            "heads": [selectors.head_document(head, campaign.slug) for head in heads],
            "public_key": selectors.public_key(),
            "max_merge_delay": settings.LEDGER_MAX_MERGE_DELAY_SECONDS,
            # The page is cached publicly: it must not read the visitor's session.
            "messages": [],
        },
    )


def verifier_script(request: HttpRequest) -> HttpResponse:
    """The standalone verifier (``tools/verify_ledger.py``), to download and run."""
    path = settings.BASE_DIR / "tools" / "verify_ledger.py"
    response = HttpResponse(path.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_ledger.py"'
    return response
