"""Supporters' accounts: created when a signature is confirmed, exported and erased on request."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

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
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def delete_supporter(*, supporter: Supporter, actor=None) -> None:
    """Erase a supporter and their personal data: their signatures stop counting at once.

    What remains is an audit entry saying that an erasure happened, with no personal data.
    """
    from .signing import request_count_refresh
    from .verification import audit

    with transaction.atomic():
        counted = Signature.objects.counted().filter(supporter=supporter).count()
        audit(
            action="supporter.erased",
            actor=actor,
            data={"counted_signatures": counted, "by_self": actor is None},
        )
        user = supporter.user
        supporter.delete()
        if user is not None and not (user.is_staff or user.is_superuser):
            user.delete()
        if counted:
            request_count_refresh()
