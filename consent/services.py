"""Writing consent records: when a signature is given, and when consent to updates is taken back.

``record_signing_consents`` runs inside the signing transaction, so a signature is never stored
without the record of what its signer agreed to. Stopping a person's updates
is ``signatures.services.withdraw_updates_consent``, which writes its record here.

Consent sits below signatures (signing records consent inside its own transaction), so this
module names the signature and supporter it is given without importing their app.
"""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation

from . import wording
from .models import ConsentRecord

if TYPE_CHECKING:  # for the type hints only: signatures is the app above
    from signatures.models import Signature, Supporter

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
                f"{wording.LISTING}: {_choice_label(supporter, 'name_display')}"
                if shown_here
                else "",
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


def _choice_label(instance, field_name: str) -> str:
    """``instance.get_<field>_display()`` in the active language, without its cost (Django
    hashes every lazy label of the field, translating each, on every call: 0.15 ms)."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field_name)
    return _labels(field, translation.get_language()).get(value, value)


@functools.lru_cache(maxsize=64)
def _labels(field, language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in field.flatchoices}


def record_listing_choice(
    *, signature: Signature, supporter: Supporter, method: str = Method.ACCOUNT
) -> ConsentRecord:
    """Record a new choice of how the name is shown (from the account page), for
    ``signature``; call it in the transaction that saves the choice."""
    with translation.override(signature.language):
        text = f"{wording.LISTING}: {supporter.get_name_display_display()}"
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
    the signature themselves; ``signatures.services.withdraw_updates_consent`` does both."""
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
