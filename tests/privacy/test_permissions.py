"""Only Organisers handle privacy requests (the back office's permission matrix walks these
URLs too; this says it outright, with a real person and a valid form)."""

from __future__ import annotations

import pytest

from campaign.models import AuditEvent
from signatures.models import Supporter

from .conftest import EMAIL, NAME, supporter_named

pytestmark = pytest.mark.django_db

VALID_ERASURE = {
    "erase-reason": "Asked by email.",
    "erase-signature": "keep",
    "erase-confirm": "on",
}


@pytest.mark.parametrize("role", ["Moderator", "Viewer"])
def test_moderators_and_viewers_can_neither_see_export_nor_erase(
    campaign, sign_up, client_as, role
):
    sign_up()
    supporter = supporter_named()
    client = client_as(role)
    base = f"/organise/privacy/{supporter.pk}/"
    assert client.post("/organise/privacy/", {"email": EMAIL}).status_code == 403
    assert client.get(base).status_code == 403
    assert client.post(base + "export/", {"export-reason": "Asked by email."}).status_code == 403
    assert client.post(base + "erase/", VALID_ERASURE).status_code == 403
    assert Supporter.objects.get(pk=supporter.pk).full_name == NAME
    assert not AuditEvent.objects.filter(action__in=["privacy.exported", "supporter.erased"])


def test_an_organiser_may(campaign, sign_up, client_as):
    sign_up()
    supporter = supporter_named()
    client = client_as("Organiser")
    assert client.get(f"/organise/privacy/{supporter.pk}/").status_code == 200
    response = client.post(f"/organise/privacy/{supporter.pk}/erase/", VALID_ERASURE)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="supporter.erased").exists()


def test_the_signatory_page_include_links_organisers_only(campaign, sign_up, client_as, rf):
    from django.template.loader import render_to_string

    from organise.roles import actions_of

    signature = sign_up()
    for role, shown in (("Organiser", True), ("Moderator", False)):
        user = client_as(role).user
        html = render_to_string(
            "organise/includes/privacy_actions.html",
            {"signature": signature, "allowed": actions_of(user)},
        )
        assert (f"/organise/privacy/{signature.supporter_id}/" in html) is shown
