"""The project's URLs plus a page that shows one receipt (what the account page shows), for
the browser test of the receipt check before and independently of the account page."""

from __future__ import annotations

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from campaign.selectors import current_campaign
from campaign.urls import handler400, handler500  # noqa: F401
from campaign.urls import urlpatterns as project_urlpatterns
from ledger.receipts import receipt_for

PAGE = Template(
    '{% extends "base.html" %}{% block content %}<div class="wrap wrap--narrow">'
    '{% include "ledger/includes/receipt.html" %}</div>{% endblock %}'
)


def receipt_page(request):
    campaign = current_campaign()
    receipt = receipt_for(
        campaign=campaign, salt=bytes.fromhex(request.GET["salt"]), signature_ref=request.GET["ref"]
    )
    context = RequestContext(request, {"campaign": campaign, "receipt": receipt})
    return HttpResponse(PAGE.render(context))


urlpatterns = [path("test-receipt/", receipt_page), *project_urlpatterns]
