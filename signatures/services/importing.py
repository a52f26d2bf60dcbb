"""Signatures collected elsewhere (paper forms, a partner's list), written as the sign form's are.

The caller (the back office's CSV import) has already checked and normalised each signer with
the sign form's own rules (``SignForm`` gives the ``SignatureDetails``); these services write
the Supporter and the Signature with the sign flow's rules: the same profile fields
(``signing._profile``), the impersonation guard (a name that could pass for a protected one is
held for review), the consent records, and the confirmation email through
``resend_confirmation`` when the organiser asks each person to confirm.

What differs from signing on the site, on purpose: an imported signature counts at once unless
confirmation is asked; a known address only fills in what its profile lacks (or, when the
profile is not the person's own yet, takes the changed values); a confirmed signature is never
downgraded and a withdrawn one is never touched. Importing the same signer twice changes
nothing.

Each service runs in one transaction (a savepoint inside the caller's), so the caller can
report a row the database refuses and go on with the others.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign
from consent.models import ConsentRecord
from consent.services import record_signing_consents

from ..models import NameDisplay, Signature, Supporter, name_hold_reason
from ..signals import signatures_imported
from .public_record import record_change
from .signing import SignatureDetails, _profile, resend_confirmation
from .verification import ProtectedNames, hold_if_impersonating, impersonation_match


@dataclass(frozen=True)
class ImportedSigner:
    """One person of an imported list: what the sign form's rules made of their row, and what
    only a list says (their language, when they signed). An empty value means "not given"."""

    details: SignatureDetails
    language: str = ""
    signed_at: datetime.datetime | None = None

    def profile(self) -> dict[str, str]:
        """The profile fields the row gives, as the sign flow writes them."""
        return _profile(self.details, self.language)


@dataclass(frozen=True)
class ImportSource:
    """Where a batch of signatures comes from and how to take it in.

    ``label`` is kept with each signature (``source_detail``); ``reference`` is the consent
    version recorded (such as ``import:42``); ``consent_text`` says how consent to updates was
    collected, kept with each signature that wants them; with ``ask_confirmation`` a new
    signature waits for its signer's click instead of counting at once; ``organiser_id`` is who
    ran the import (kept with each signature's signing context for screening)."""

    label: str
    reference: str
    consent_text: str
    ask_confirmation: bool = False
    organiser_id: int | None = None


class ImportOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ImportResult:
    """What importing one signer did: the outcome, the fields it changed, the protected name a
    held signature could pass for (or ""), whether a confirmation email was queued, and the
    signature to screen (new, or just confirmed; None otherwise)."""

    outcome: ImportOutcome
    supporter: Supporter
    changed: tuple[str, ...] = ()
    held_as: str = ""
    emailed: bool = False
    screen_id: int | None = None


def import_signature(
    *,
    campaign: Campaign,
    signer: ImportedSigner,
    source: ImportSource,
    supporter: Supporter | None = None,
    protected: ProtectedNames | None = None,
) -> ImportResult:
    """Sign ``campaign`` for ``signer``: a new supporter for a new address, else ``supporter``
    (locked by the caller, with no signature of ``campaign``) with its profile filled in.

    The signature is counted at once (confirmed when the list says it was signed), or pending
    with the confirmation email the sign flow queues when ``source.ask_confirmation``; it is
    held for review when the name could pass for a protected one (looked up in ``protected``,
    the chunk's names found at once, when given). Raises ``IntegrityError`` or ``DataError``
    when the database refuses the row (nothing of it is kept)."""
    with transaction.atomic():
        if supporter is None:
            profile = signer.profile()
            profile["name_display"] = profile["name_display"] or NameDisplay.FULL
            profile["language"] = profile["language"] or settings.LANGUAGE_CODE
            supporter = Supporter(email=signer.details.email, **profile)
            supporter.save()
        else:
            _fill_in_profile(supporter, signer)
        signature, held_as = _new_signature(
            campaign=campaign, supporter=supporter, signer=signer, source=source, names=protected
        )
    return ImportResult(
        ImportOutcome.CREATED,
        supporter=supporter,
        held_as=held_as,
        emailed=source.ask_confirmation,
        screen_id=signature.pk,
    )


def update_imported_signature(
    *, signature: Signature, signer: ImportedSigner, source: ImportSource
) -> ImportResult:
    """Take ``signer`` into ``signature`` (locked by the caller, with its supporter): the
    profile is filled in; a pending signature is confirmed (the person signed elsewhere) unless
    ``source.ask_confirmation``; an empty comment is filled in; a new name that could pass for
    a protected one holds the signature. Nothing else changes: never the status of a confirmed
    signature, never what the person said about updates; a withdrawn signature is left as it
    is, details and all."""
    supporter = signature.supporter
    if signature.status == Signature.Status.WITHDRAWN:
        return ImportResult(ImportOutcome.WITHDRAWN, supporter=supporter)
    with transaction.atomic():
        changed = _fill_in_profile(supporter, signer)
        changed += _update_signature(signature, signer, source)
        held_as = ""
        if "full_name" in changed and hold_if_impersonating(signature=signature):
            held_as = signature.hold_reason
    if not changed:
        return ImportResult(ImportOutcome.UNCHANGED, supporter=supporter)
    return ImportResult(
        ImportOutcome.UPDATED,
        supporter=supporter,
        changed=tuple(changed),
        held_as=held_as,
        screen_id=signature.pk if "status" in changed else None,
    )


def announce_imported(*, signature_ids: list[int], source: ImportSource) -> None:
    """Tell the apps above (the abuse controls) that a chunk wrote or confirmed these
    signatures, so that they are screened as signatures made on the site are. Call it inside
    the chunk's transaction, once per chunk: a rolled-back chunk (a dry run) announces
    nothing that lasts."""
    if signature_ids:
        signatures_imported.send(
            sender=Signature,
            signature_ids=list(signature_ids),
            reference=source.reference,
            organiser_id=source.organiser_id,
        )


def _fill_in_profile(supporter: Supporter, signer: ImportedSigner) -> list[str]:
    """Fill in what the profile lacks. A profile the person holds (an account, or verified)
    keeps its values; any other takes the row's changed values, as the sign form's details
    replace a pending signer's. An empty value never erases anything. Returns what changed."""
    owned = supporter.user_id is not None or supporter.verified_at is not None
    changed = []
    for name, value in signer.profile().items():
        current = getattr(supporter, name)
        current = getattr(current, "code", current)  # a Country
        if value and value != current and (not current or not owned):
            setattr(supporter, name, value)
            changed.append(name)
    if changed:
        supporter.save(update_fields=changed)
    return changed


def _new_signature(
    *,
    campaign: Campaign,
    supporter: Supporter,
    signer: ImportedSigner,
    source: ImportSource,
    names: ProtectedNames | None,
) -> tuple[Signature, str]:
    """Save the signature; with the protected name it is held for, or ""."""
    now = timezone.now()
    signed = signer.signed_at or now
    details = signer.details
    signature = Signature(
        campaign=campaign,
        supporter=supporter,
        status=Signature.Status.PENDING if source.ask_confirmation else Signature.Status.CONFIRMED,
        confirmed_at=None if source.ask_confirmation else signed,
        source=Signature.Source.IMPORT,
        source_detail=source.label,
        language=signer.language or supporter.language,
        comment=details.comment,
        agreed_at=signed,
        wants_updates=details.wants_updates,
        updates_consent_text=source.consent_text if details.wants_updates else "",
        consent_version=source.reference[:20],
        consent_recorded_at=now,
    )
    if names is not None:
        protected = names.match(supporter)
    else:
        protected = impersonation_match(supporter=supporter, campaign=campaign)
    if protected:
        signature.moderation = Signature.Moderation.HELD
        signature.hold_reason = name_hold_reason(protected)
    signature.save()
    record_change(signature)  # Counted at once: its ledger entry (public_record.py).
    record_signing_consents(
        signature=signature, supporter=supporter, method=ConsentRecord.Method.IMPORT, when=signed
    )
    if signer.signed_at:
        Signature.objects.filter(pk=signature.pk).update(created_at=signer.signed_at)
    if source.ask_confirmation:
        resend_confirmation(signature_id=signature.pk)
    return signature, protected


def _update_signature(
    signature: Signature, signer: ImportedSigner, source: ImportSource
) -> list[str]:
    changed = []
    if signature.status == Signature.Status.PENDING and not source.ask_confirmation:
        signature.status = Signature.Status.CONFIRMED
        signature.confirmed_at = signer.signed_at or timezone.now()
        changed += ["status", "confirmed_at"]
    comment = signer.details.comment
    if comment and not signature.comment:
        signature.comment = comment
        changed.append("comment")
    if changed:
        signature.save(update_fields=changed)
        record_change(signature)
    return changed
