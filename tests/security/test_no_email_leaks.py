"""A signatory's email address never shows: not in public HTML or JSON, not in the logs at
INFO level, not on error pages. Signed and confirmed through the site with a distinctive
address (``EMAIL``), then every public page and API answer is searched for any part of it."""

from __future__ import annotations

import logging
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone

from campaign.models import OutboundEmail
from optouts.models import OptOutDeclaration, OptOutLocation
from signatures.models import Supporter

from .conftest import EMAIL, EMAIL_MARKERS, NAME, SIGN_FORM

pytestmark = pytest.mark.django_db


def leaks(text: str) -> list[str]:
    """The parts of the address found in ``text`` (any case, any normalisation)."""
    lowered = text.lower()
    return [marker for marker in EMAIL_MARKERS if marker in lowered]


@pytest.fixture
def all_logs(caplog):
    """Every log record at INFO and above, the ``django`` loggers' too (they do not
    propagate to the root logger, where caplog listens)."""
    caplog.set_level(logging.INFO)
    django_logger = logging.getLogger("django")
    django_logger.addHandler(caplog.handler)
    yield caplog
    django_logger.removeHandler(caplog.handler)


def publish_an_optout(supporter: Supporter) -> None:
    """The supporter, verified, reserves their works: they appear in the opt-out registry."""
    Supporter.objects.filter(pk=supporter.pk).update(
        verified_at=timezone.now(), verification_method="link_back"
    )
    declaration = OptOutDeclaration.objects.create(supporter=supporter, declared_at=timezone.now())
    OptOutLocation.objects.create(
        declaration=declaration,
        url="https://halloway.example/works/",
        status="ok",
        checked_at=timezone.now(),
    )


def test_the_address_never_appears_in_public_pages_json_or_logs(client, all_logs, sign_and_confirm):
    signed = sign_and_confirm()
    supporter = signed.supporter
    assert supporter.email.lower() == EMAIL.lower()  # what the leak search looks for
    assert OutboundEmail.objects.get(kind="confirm_signature").status == "sent"
    publish_an_optout(supporter)
    logged = all_logs.text
    assert all_logs.records, "nothing was logged: the capture does not work"

    public = {
        "check your email": signed.sign["Location"],
        "home (en)": "/en/",
        "home (fr)": "/fr/",
        "directory": "/en/supporters/",
        "directory search": f"/en/supporters/?q={NAME.split()[0]}",
        "profile": signed.profile_path,
        "figures": "/en/stats/",
        "API supporters": "/api/v1/supporters",
        "API supporter": f"/api/v1/supporters/{supporter.public_id}",
        "API count": "/api/v1/count",
        "API campaign": "/api/v1/campaign",
        "API opt-outs": "/api/v1/optouts/",
        "API opt-outs JSONL": "/api/v1/optouts.jsonl",
        "API schema": "/api/v1/openapi.json",
        "API docs": "/api/v1/docs",
    }
    anonymous = Client()
    found = {}
    for where, url in public.items():
        response = anonymous.get(url)
        assert response.status_code == 200, f"{where}: {response.status_code}"
        found[where] = leaks(response.content.decode())
    # The searches searched something: the signatory is listed where the public looks.
    for where in ("directory", "profile", "API supporters", "API supporter", "API opt-outs"):
        assert NAME in anonymous.get(public[where]).content.decode(), where
    assert supporter.public_id in anonymous.get(public["API opt-outs JSONL"]).content.decode()

    assert {where: parts for where, parts in found.items() if parts} == {}
    assert leaks(logged) == [], logged
    assert leaks(all_logs.text) == [], all_logs.text


def test_error_pages_never_echo_the_address(launched_campaign, all_logs, monkeypatch):
    client = Client(raise_request_exception=False)
    answers = {
        "404": client.get(f"/en/supporters/{EMAIL}/"),
        "400": client.post("/en/sign/", dict(SIGN_FORM, full_name="Ada\x00")),
        "400 (query)": client.get(f"/en/supporters/?q={EMAIL}%00"),
        "414": client.get(f"/en/supporters/?q={EMAIL}{'x' * 4100}"),
    }

    def refuse(self, *args, **kwargs):
        raise OperationalError(f"connection refused for {EMAIL}")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    answers["503"] = client.post("/en/sign/", SIGN_FORM)
    monkeypatch.undo()

    assert {name: r.status_code for name, r in answers.items()} == {
        "404": 404,
        "400": 400,
        "400 (query)": 400,
        "414": 414,
        "503": 503,
    }
    pages = {name: r.content.decode() for name, r in answers.items()}
    # The 404's language switcher links to the address the visitor typed, in French: their
    # own URL handed back, nobody's data.
    pages["404"] = pages["404"].replace(f'href="/fr/supporters/{EMAIL}/"', "")
    assert {name: leaks(html) for name, html in pages.items()} == dict.fromkeys(answers, [])
    # The refusals logged why, never what was sent.
    refusals = [r.getMessage() for r in all_logs.records if r.name == "campaign.security"]
    assert len(refusals) >= 3
    assert leaks("\n".join(refusals)) == []


class RefusingBackend(EmailBackend):
    """An SMTP server that refuses the recipient, as a mailbox that does not exist does."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {m.to[0]: (550, b"5.1.1 Mailbox unavailable") for m in messages}
        )


def test_a_refused_recipient_is_not_logged(
    launched_campaign, all_logs, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/en/sign/", SIGN_FORM).status_code == 302
    assert OutboundEmail.objects.get().attempts >= 1

    assert leaks(all_logs.text) == [], all_logs.text
