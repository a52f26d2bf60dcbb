"""Privacy fixtures: a person who used every part of the site, the clock moved at will, and a
search of the whole database for what identifies someone."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client
from django.utils import timezone

from campaign.models import OutboundEmail
from signatures.models import Signature, Supporter
from tests.organise.conftest import campaign, client_as, organiser_client, person  # noqa: F401

NAME = "Zoë Quillfeather"
EMAIL = "Zoe.Quill@example.org"

SIGN_POST = {
    "full_name": NAME,
    "email": EMAIL,
    "field_of_work": "illustrator",
    "country": "IS",
    "known_for": "The Lantern Atlas",
    "link": "https://zoe-quill.example/work",
    "comment": "Ask before you take.",
    "name_display": "full",
    "agree": "on",
    "wants_updates": "on",
}


class Clock:
    """``timezone.now`` under the test's control: ``clock.travel(days=31)``."""

    def __init__(self, monkeypatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def travel(self, **delta) -> datetime.datetime:
        self.now += datetime.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def link_in(email: OutboundEmail, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/\w\w/sign/{kind}/[^\s\"<]+)", email.text_body)
    assert match, f"no {kind} link in:\n{email.text_body}"
    return match.group(1)


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks):
    """``sign_up(confirm=True, **changes)``: sign the appeal through the form (in English)
    and, unless told otherwise, confirm by the emailed link, in a browser of its own.
    Returns the signature."""

    def run(*, confirm: bool = True, language: str = "en", **changes) -> Signature:
        client = Client()
        data = {**SIGN_POST, **changes}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/{language}/sign/", data).status_code == 302
        signature = Signature.objects.get(supporter__email=data["email"])
        if confirm:
            email = OutboundEmail.objects.filter(kind="confirm_signature").latest("pk")
            with django_capture_on_commit_callbacks(execute=True):
                assert client.get(link_in(email, "confirm")).status_code == 200
            signature.refresh_from_db()
        return signature

    return run


def _text_columns(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    ]


def rows_mentioning(*needles: str) -> list[str]:
    """Every stored value, in every text or JSON column of every model (and every session),
    that contains one of ``needles`` (case-insensitive); as "app.Model.column #pk" lines."""
    folded = [n.casefold() for n in needles]
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._default_manager.values("pk", *columns).iterator():
            for column in columns:
                value = row[column]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if any(n in (text or "").casefold() for n in folded):
                    found.append(f"{model._meta.label}.{column} #{row['pk']}")
    for session in Session.objects.all():
        text = json.dumps(session.get_decoded(), ensure_ascii=False).casefold()
        if any(n in text for n in folded):
            found.append(f"session {session.pk}")
    return found


def supporter_named(name: str = NAME) -> Supporter:
    return Supporter.objects.get(full_name=name)
