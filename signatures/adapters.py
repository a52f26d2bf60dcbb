"""django-allauth's mail goes through the outbox like every other message."""

from __future__ import annotations

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from campaign.clientip import client_ip
from campaign.outbox import enqueue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's message (login code, address confirmation, …) in the current
        language and queue it; a worker delivers it like any other outbox row."""
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (content for content, mimetype in message.alternatives if mimetype == "text/html"), ""
        )
        with transaction.atomic():
            enqueue_rendered_email(
                to=email,
                kind="account_" + template_prefix.rsplit("/", 1)[-1],
                language=translation.get_language() or "en",
                subject=message.subject,
                text_body=message.body,
                html_body=html,
                dedup_key=f"account:{uuid.uuid4()}",
            )

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address as the whole site reads it (``TRUSTED_PROXY_COUNT``), for
        allauth's own rate limits."""
        return client_ip(request) or "0.0.0.0"  # noqa: S104 (a key, never bound to)
