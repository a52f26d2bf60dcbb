"""Supporters editing their own public profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from campaign.audit import audit
from consent.services import record_listing_choice

from ..models import Signature, Supporter
from .verification import hold_if_impersonating, revoke_verification

PROFILE_FIELDS = (
    "full_name", "name_display", "field_of_work", "other_fields", "country", "known_for",
    "bio", "links", "isni", "ipi", "imdb_id", "musicbrainz_id", "wikidata_id",
)  # fmt: skip


@dataclass(frozen=True)
class ProfileChanges:
    """Validated values from the profile form; ``comment`` is the public reason for signing."""

    values: dict = field(default_factory=dict)
    comment: str | None = None


def update_profile(*, supporter: Supporter, changes: ProfileChanges, actor) -> Supporter:
    """Apply a supporter's edits to their profile, in one transaction.

    A verified supporter who changes their name loses the badge (the proof was for the old
    name) and the new name goes through the impersonation guard again. Every change is an
    audit event with the values before and after.
    """
    with transaction.atomic():
        supporter = Supporter.objects.select_for_update().get(pk=supporter.pk)
        before = {name: _plain(getattr(supporter, name)) for name in PROFILE_FIELDS}
        for name, value in changes.values.items():
            if name in PROFILE_FIELDS:
                setattr(supporter, name, value)
        after = {name: _plain(getattr(supporter, name)) for name in PROFILE_FIELDS}
        changed = {name for name in PROFILE_FIELDS if before[name] != after[name]}
        if "full_name" in changed:
            revoke_verification(supporter=supporter, actor=actor, reason="name changed")
        supporter.save()
        signatures = list(supporter.signatures.select_related("campaign", "supporter"))
        if changes.comment is not None:
            for signature in signatures:
                if signature.comment != changes.comment:
                    signature.comment = changes.comment
                    signature.save(update_fields=["comment"])
                    changed.add("comment")
        if "full_name" in changed:
            for signature in signatures:
                if signature.status == Signature.Status.CONFIRMED:
                    hold_if_impersonating(signature=signature)
        if "name_display" in changed:
            for signature in signatures:
                record_listing_choice(signature=signature, supporter=supporter)
        if changed:
            audit(
                action="profile.updated",
                supporter=supporter,
                actor=actor,
                data={
                    "before": {k: before[k] for k in changed if k in before},
                    "after": {k: after[k] for k in changed if k in after},
                },
            )
    return supporter


def _plain(value):
    return getattr(value, "code", value)
