"""Writing consent records: when a signature is given, and when consent to updates is taken back.

``record_signing_consents`` runs inside the signing transaction, so a signature is never stored
without the record of what its signer agreed to. ``withdraw_updates_consent`` is the one way to
stop a person's updates (the unsubscribe link, the account page, organisers on request).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from signatures.models import NameDisplay, Signature, Supporter

from . import wording
from .models import ConsentRecord

Method = ConsentRecord.Method


def record_signing_consents(
    *,
    signature: Signature,
    supporter: Supporter | None = None,
    method: str = Method.FORM,
    when: datetime.datetime | None = None,
    wording_version: str = "",
) -> list[ConsentRecord]:
    """Record what the signer of ``signature`` agreed to just now, one row per purpose given:
    signing and being counted, the public listing as they chose it, and (if ticked) updates.

    The wording is the sentence the form showed, in the signature's language. An import did
    not show this site's form: its rows keep the import's own note (for updates) and its
    version (``import:<job>``), no sentence of ours. Call it inside the transaction that saves
    the signature (``supporter``, when the caller holds it, saves reading it again).
    """
    supporter = supporter or signature.supporter
    when = when or signature.consent_recorded_at or timezone.now()
    version = wording_version or signature.consent_version or settings.CONSENT_VERSION
    name_display = supporter.name_display
    shown_here = method != Method.IMPORT
    with translation.override(signature.language):
        given = [
            (ConsentRecord.Purpose.SIGNING, "", str(wording.SIGNING) if shown_here else ""),
            (
                ConsentRecord.Purpose.LISTING,
                name_display,
                f"{wording.LISTING}: {NameDisplay(name_display).label}" if shown_here else "",
            ),
        ]
        if signature.wants_updates:
            text = signature.updates_consent_text or (str(wording.UPDATES) if shown_here else "")
            given.append((ConsentRecord.Purpose.UPDATES, "", text))
    return ConsentRecord.objects.bulk_create(
        ConsentRecord(
            supporter=supporter,
            signature=signature,
            purpose=purpose,
            action=ConsentRecord.Action.GIVEN,
            choice=choice,
            wording=text,
            wording_version=version,
            language=signature.language,
            method=method,
            recorded_at=when,
        )
        for purpose, choice, text in given
    )


def record_listing_choice(
    *, signature: Signature, supporter: Supporter, method: str = Method.ACCOUNT
) -> ConsentRecord:
    """Record a new choice of how the name is shown (from the account page), for
    ``signature``; call it in the transaction that saves the choice."""
    with translation.override(signature.language):
        label = NameDisplay(supporter.name_display).label
        text = f"{wording.LISTING}: {label}"
    return ConsentRecord.objects.create(
        supporter=supporter,
        signature=signature,
        purpose=ConsentRecord.Purpose.LISTING,
        action=ConsentRecord.Action.GIVEN,
        choice=supporter.name_display,
        wording=text,
        wording_version=settings.CONSENT_VERSION,
        language=signature.language,
        method=method,
    )


def record_updates_withdrawal(
    *, signature: Signature, method: str, when: datetime.datetime | None = None
) -> ConsentRecord:
    """Record that the signer of ``signature`` stopped the updates. For callers that change
    the signature themselves; ``withdraw_updates_consent`` does both."""
    return ConsentRecord.objects.create(
        supporter=signature.supporter,
        signature=signature,
        purpose=ConsentRecord.Purpose.UPDATES,
        action=ConsentRecord.Action.WITHDRAWN,
        wording_version=signature.consent_version,
        language=signature.language,
        method=method,
        recorded_at=when or timezone.now(),
    )


def withdraw_updates_consent(*, signature_id: int, method: str) -> Signature | None:
    """Stop campaign updates to the signer of ``signature_id`` (``wants_updates`` off,
    ``updates_unsubscribed_at`` set, as ``updates.services.unsubscribe`` does for the emailed
    link) and record the withdrawal. Idempotent: a second call changes nothing and writes no
    second row. Returns ``None`` when there is no such signature.
    """
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("supporter")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None or (
            not signature.wants_updates and signature.updates_unsubscribed_at is not None
        ):
            return signature
        signature.wants_updates = False
        signature.updates_unsubscribed_at = signature.updates_unsubscribed_at or timezone.now()
        signature.save(update_fields=["wants_updates", "updates_unsubscribed_at"])
        record_updates_withdrawal(
            signature=signature, method=method, when=signature.updates_unsubscribed_at
        )
    return signature
