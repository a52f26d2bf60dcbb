"""Organisers export a person's data on request: the very file the person downloads, and an
audit event that says who exported whose data and why, without personal data."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from campaign.models import AuditEvent
from tests.organise.conftest import log_in

from .conftest import EMAIL, NAME, supporter_named

pytestmark = pytest.mark.django_db


def _without_time(export: dict) -> dict:
    return {key: value for key, value in export.items() if key != "exported_at"}


def test_the_organisers_export_is_the_persons_own(campaign, sign_up, organiser_client):
    sign_up()
    supporter = supporter_named()
    own = Client()
    log_in(own, supporter.user, second_factor=False)
    theirs = json.loads(own.get("/en/account/data.json").content)

    response = organiser_client.post(
        f"/organise/privacy/{supporter.pk}/export/",
        {"export-reason": "Asked by email on 3 March."},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="supporter-{supporter.public_id}-data.json"'
    )
    assert "no-store" in response["Cache-Control"]
    exported = json.loads(response.content)
    assert _without_time(exported) == _without_time(theirs)
    assert exported["supporter"]["email"] == EMAIL
    assert {c["purpose"] for c in exported["consents"]} == {"signing", "listing", "updates"}
    assert [e["kind"] for e in exported["emails"]] == ["confirm_signature"]

    event = AuditEvent.objects.get(action="privacy.exported")
    assert event.actor == organiser_client.user and event.supporter == supporter
    assert event.reason == "Asked by email on 3 March."
    recorded = json.dumps(event.data, ensure_ascii=False) + event.reason
    assert EMAIL.casefold() not in recorded.casefold() and NAME not in recorded


def test_an_export_without_a_reason_is_refused_and_not_recorded(
    campaign, sign_up, organiser_client
):
    sign_up()
    supporter = supporter_named()
    response = organiser_client.post(
        f"/organise/privacy/{supporter.pk}/export/", {"export-reason": ""}
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert not AuditEvent.objects.filter(action="privacy.exported").exists()
