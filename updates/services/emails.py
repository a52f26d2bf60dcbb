"""An update as an email: its kind, the body in every language, the context its templates get,
and the one-click unsubscribe link and headers each recipient's copy carries."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from signatures.models import Signature

from .. import tokens
from ..models import LANGUAGE_CODES, Update

EMAIL_KIND = "update"


def unsubscribe_url(*, signature: Signature, language: str) -> str:
    with translation.override(language):
        path = reverse("updates:unsubscribe", args=[tokens.make_unsubscribe_token(signature)])
    return settings.SITE_URL + path


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients show an "Unsubscribe" button that POSTs
    ``List-Unsubscribe=One-Click`` to ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def email_context(
    update: Update, *, language: str, body_html, name: str, unsubscribe: str, is_test: bool
) -> dict:
    """What the ``update`` email templates get for one copy in ``language``."""
    with translation.override(language):
        home_url = settings.SITE_URL + reverse("campaign:home")
    return {
        "campaign": update.campaign,
        "name": name,
        "title": update.title_in(language),
        "body_html": body_html,
        "body_text": update.body_in(language),
        "unsubscribe_url": unsubscribe,
        "home_url": home_url,
        "is_test": is_test,
    }


def html_bodies(update: Update) -> dict[str, str]:
    """The body in every language, rendered once for a whole batch."""
    return {code: update.html_in(code) for code in LANGUAGE_CODES}
