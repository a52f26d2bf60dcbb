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
        "withdrawn_days": settings.WITHDRAWN_RETENTION_DAYS,
        "import_file_days": settings.IMPORT_FILE_RETENTION_DAYS,
        "dry_run_days": settings.IMPORT_DRY_RUN_RETENTION_DAYS,
        "import_report_days": settings.IMPORT_REPORT_RETENTION_DAYS,
        "spike_days": settings.SPIKE_EVIDENCE_RETENTION_DAYS,
        "confirm_days": settings.SIGNATURE_CONFIRM_DAYS,
        "contact_email": settings.PRIVACY_CONTACT_EMAIL
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }
