"""Supporters' accounts: created when a signature is confirmed, exported and erased on request."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consent import services as consent_services

from ..models import Signature, Supporter


def ensure_account(*, supporter: Supporter) -> None:
    """Give a supporter an account whose email address is verified, so that they can log in
    with a code sent to it. Confirming a signature proved the address; an existing account
    with that verified address is reused. Call it inside the confirming transaction."""
    if supporter.user_id is not None:
        return
    address = EmailAddress.objects.filter(email__iexact=supporter.email, verified=True).first()
    if address is not None:
        user = address.user
    else:
        user = get_user_model().objects.create_user(
            username=f"supporter-{supporter.public_id}", email=supporter.email
        )
        EmailAddress.objects.create(user=user, email=supporter.email, verified=True, primary=True)
    supporter.user = user
    supporter.save(update_fields=["user"])


def export_supporter_data(*, supporter: Supporter) -> dict:
    """Everything the site keeps about a supporter, as JSON-ready data (their right of access)."""
    return {
        "exported_at": timezone.now().isoformat(),
        "supporter": {
            "email": supporter.email,
            "full_name": supporter.full_name,
            "name_display": supporter.name_display,
            "public_name": supporter.public_name,
            "field_of_work": supporter.field_of_work,
            "other_fields": supporter.other_fields,
            "country": supporter.country.code,
            "known_for": supporter.known_for,
            "link": supporter.link,
            "links": supporter.links,
            "bio": supporter.bio,
            "identifiers": {
                "isni": supporter.isni,
                "ipi": supporter.ipi,
                "imdb": supporter.imdb_id,
                "musicbrainz": supporter.musicbrainz_id,
                "wikidata": supporter.wikidata_id,
            },
            "language": supporter.language,
            "verified_at": supporter.verified_at.isoformat() if supporter.verified_at else None,
            "created_at": supporter.created_at.isoformat(),
        },
        "signatures": [
            {
                "campaign": signature.campaign.slug,
                "status": signature.status,
                "comment": signature.comment,
                "signed_at": signature.created_at.isoformat(),
                "confirmed_at": _iso(signature.confirmed_at),
                "withdrawn_at": _iso(signature.withdrawn_at),
                "agreed_to_appeal_at": _iso(signature.agreed_at),
                "wants_updates": signature.wants_updates,
                "updates_consent_text": signature.updates_consent_text,
                "consent_version": signature.consent_version,
                "consent_recorded_at": _iso(signature.consent_recorded_at),
            }
            for signature in supporter.signatures.select_related("campaign")
        ],
        "verifications": [
            {
                "method": verification.method,
                "status": verification.status,
                "requested_at": verification.created_at.isoformat(),
                "decided_at": _iso(verification.decided_at),
                "reason": verification.reason,
            }
            for verification in supporter.verifications.all()
        ],
        "ai_training_opt_outs": [
            {
                "status": declaration.status,
                "declared_at": _iso(declaration.declared_at),
                "withdrawn_at": _iso(declaration.withdrawn_at),
                "licensing_url": declaration.licensing_url,
                "places": [
                    {"url": place.url, "status": place.status, "checked_at": _iso(place.checked_at)}
                    for place in declaration.locations.all()
                ],
            }
            for declaration in supporter.optout_declarations.prefetch_related("locations")
        ],
        "consents": [
            {
                "purpose": record.purpose,
                "action": record.action,
                "choice": record.choice,
                "wording": record.wording,
                "wording_version": record.wording_version,
                "language": record.language,
                "method": record.method,
                "recorded_at": _iso(record.recorded_at),
            }
            for record in supporter.consent_records.all()
        ],
        "emails": [
            {
                "kind": email.kind,
                "to": email.recipient,
                "subject": email.subject,
                "status": email.status,
                "queued_at": _iso(email.created_at),
                "sent_at": _iso(email.sent_at),
            }
            for email in _emails_sent_to(supporter)
        ],
    }


def _emails_sent_to(supporter: Supporter):
    from .privacy import emails_to_supporter

    return emails_to_supporter(supporter).order_by("created_at", "pk")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def delete_supporter(*, supporter: Supporter, actor=None) -> None:
    """Erase a supporter at their own request (their account page): every signature is
    withdrawn and deleted, so their signatures stop counting at once, and nothing that
    identifies them is left (see ``privacy.erase_supporter``). The audit trail records that an
    erasure happened, with numbers only."""
    from .privacy import erase_supporter

    erase_supporter(supporter_id=supporter.pk, actor=actor, keep_count=False)


def withdraw_updates_consent(*, signature_id: int, method: str) -> Signature | None:
    """Stop campaign updates to the signer of ``signature_id`` (``wants_updates`` off,
    ``updates_unsubscribed_at`` set, as the emailed link's unsubscribe does) and record the
    withdrawal. Idempotent: a second call changes nothing and writes no second row.
    Returns ``None`` when there is no such signature.
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
        consent_services.record_updates_withdrawal(
            signature=signature, method=method, when=signature.updates_unsubscribed_at
        )
    return signature
