"""Queueing a message: every message the site sends is an ``OutboundEmail`` row first, written
in the transaction that makes it necessary, with a priority from its kind (``priority_for``);
after the commit a delivery run is handed to the queue (``handoff``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from ..models import OutboundEmail
from . import handoff
from .rendering import RenderedEmail, render_email


def enqueue_email(
    *,
    to: str,
    kind: str,
    language: str,
    context: dict,
    dedup_key: str,
    headers: dict | None = None,
    fresh_key: bool = False,
) -> OutboundEmail:
    """Queue message ``kind`` for ``to``, rendered now in ``language``; it leaves after commit.

    Call it inside the transaction that makes the message necessary: if that transaction rolls
    back, no row remains and nothing is sent. Once it commits, a delivery run is handed to the
    queue (``queue_batch_delivery``; it runs at once on the embedded default); if the broker is
    down, the row waits for ``sweep_outbox``, and the caller sees no error. ``dedup_key`` makes
    the call idempotent: when a row with that key exists it is returned, and nothing is
    rendered, created or sent. ``headers`` are extra message headers (e.g. ``List-Unsubscribe``).
    ``fresh_key`` says that no row can have ``dedup_key`` yet (the caller holds the lock on what
    the key counts, as signing does): the lookup and the savepoint are skipped, and a duplicate
    would raise ``IntegrityError`` into the caller's transaction.

    Raises ``ValueError`` for a language the site does not speak or a header that could inject
    others, ``ValidationError`` for an invalid address, ``TemplateDoesNotExist`` for a ``kind``
    without templates.
    """
    if not fresh_key:
        existing = OutboundEmail.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    language = _site_language(language)
    validate_email(to)
    headers = _checked_headers(headers or {})
    rendered = render_email(kind=kind, language=language, context=context)
    return _queue(
        to=to,
        kind=kind,
        language=language,
        rendered=rendered,
        dedup_key=dedup_key,
        headers=headers,
        fresh_key=fresh_key,
    )


def enqueue_rendered_email(
    *,
    to: str,
    kind: str,
    language: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    dedup_key: str,
    headers: dict | None = None,
) -> OutboundEmail:
    """Queue a message someone else rendered (django-allauth renders its own mail); otherwise
    exactly like ``enqueue_email``: same transaction rules, same idempotence, same errors
    (except ``TemplateDoesNotExist``)."""
    existing = OutboundEmail.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    language = _site_language(language)
    validate_email(to)
    headers = _checked_headers(headers or {})
    rendered = RenderedEmail(
        subject=" ".join(subject.split()), text_body=text_body, html_body=html_body
    )
    return _queue(
        to=to, kind=kind, language=language, rendered=rendered, dedup_key=dedup_key, headers=headers
    )


# The messages a person is waiting for as they use the site: they leave before any mailing.
WAITED_FOR_KINDS = frozenset({"confirm_signature", "already_signed"})
WAITED_FOR_PREFIXES = ("account_",)  # django-allauth's: login codes, address confirmations
BULK_KINDS = frozenset({"update"})  # news to signatories (updates.services.emails)


def priority_for(kind: str) -> int:
    """The ``OutboundEmail.priority`` of message ``kind``: what someone waits for goes first,
    mailings last, anything else between."""
    if kind in WAITED_FOR_KINDS or kind.startswith(WAITED_FOR_PREFIXES):
        return OutboundEmail.Priority.WAITED_FOR
    if kind in BULK_KINDS:
        return OutboundEmail.Priority.BULK
    return OutboundEmail.Priority.NORMAL


def _site_language(language: str) -> str:
    """The site's language for ``language`` ("fr-ca" → "fr"); ``ValueError`` if it has none."""
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        raise ValueError(f"The site does not speak {language!r}.") from None


def _queue(
    *,
    to: str,
    kind: str,
    language: str,
    rendered: RenderedEmail,
    dedup_key: str,
    headers: dict[str, str],
    fresh_key: bool = False,
) -> OutboundEmail:
    """Store the row and hand a delivery run to the queue once the transaction commits."""
    email = OutboundEmail(
        recipient=to,
        language=language,
        kind=kind,
        priority=priority_for(kind),
        subject=rendered.subject[:255],
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        headers=headers,
        message_id=make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost"),
        dedup_key=dedup_key,
        next_attempt_at=timezone.now(),
    )
    if fresh_key:
        email.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                email.save(force_insert=True)
        except IntegrityError:
            # A concurrent transaction queued the same key and committed first: that row wins.
            return OutboundEmail.objects.get(dedup_key=dedup_key)
    transaction.on_commit(handoff.queue_batch_delivery_after_commit)
    return email


def _checked_headers(headers: dict) -> dict[str, str]:
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError("Email header names and values must be strings.")
        if any(char in name + value for char in "\r\n") or ":" in name:
            raise ValueError(f"Email header {name!r} would break the message's headers.")
    return dict(headers)
