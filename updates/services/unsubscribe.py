"""Unsubscribing from updates, by the link every update carries (a page or the mail client's
one-click POST): no login, the signed token is the authority."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaign.audit import audit
from consent.models import ConsentRecord
from consent.services import record_updates_withdrawal
from signatures.models import Signature

from .. import tokens


def unsubscribe(*, token: str, one_click: bool = False) -> Signature:
    """Stop updates to the signature an unsubscribe link names (``wants_updates`` off,
    ``updates_unsubscribed_at`` set) and record it; doing it again changes nothing. No login:
    the signed token is the authority. Raises ``tokens.UnsubscribeLinkInvalid`` for an
    altered link or a signature that no longer exists."""
    signature_id = tokens.read_unsubscribe_token(token)
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("supporter", "campaign")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None:
            raise tokens.UnsubscribeLinkInvalid
        if signature.wants_updates or signature.updates_unsubscribed_at is None:
            before = {
                "wants_updates": signature.wants_updates,
                "updates_unsubscribed_at": _iso(signature.updates_unsubscribed_at),
            }
            signature.wants_updates = False
            signature.updates_unsubscribed_at = signature.updates_unsubscribed_at or timezone.now()
            signature.save(update_fields=["wants_updates", "updates_unsubscribed_at"])
            record_updates_withdrawal(
                signature=signature,
                method=ConsentRecord.Method.EMAIL_LINK,
                when=signature.updates_unsubscribed_at,
            )
            audit(
                action="updates.unsubscribed",
                supporter=signature.supporter,
                data={
                    "signature": signature.pk,
                    "campaign": signature.campaign_id,
                    "via": "one-click" if one_click else "page",
                    "before": before,
                    "after": {
                        "wants_updates": False,
                        "updates_unsubscribed_at": _iso(signature.updates_unsubscribed_at),
                    },
                },
            )
    return signature


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
