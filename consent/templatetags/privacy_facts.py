"""``{% privacy_facts as facts %}``: the numbers and address the privacy page states, read
from settings so that the page always says what the site does."""

from __future__ import annotations

from email.utils import parseaddr

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def privacy_facts() -> dict:
    return {
        "unconfirmed_days": settings.UNCONFIRMED_RETENTION_DAYS,
        "email_days": settings.OUTBOX_BODY_RETENTION_DAYS,
        "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
        "contact_email": settings.PRIVACY_CONTACT_EMAIL
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }
