"""Proving that a profile belongs to the artist it names, and the guard against impostors.

A badge appears only once a ``Verification`` is decided in the supporter's favour, by an
automatic link-back check or by organisers; every decision is an ``AuditEvent``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from campaign.audit import audit
from campaign.models import Campaign
from campaign.selectors import launch_supporter_names

from .. import linkcheck
from ..confusables import name_skeleton
from ..models import Signature, Supporter, Verification, name_hold_reason
from .public_record import record_change

logger = logging.getLogger(__name__)


class VerificationError(Exception):
    """A request the supporter can correct; ``message`` is translated for them."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- The impersonation guard ------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _skeletons_of(names: tuple[str, ...]) -> dict[str, str]:
    """Each name of ``names`` by its skeleton (the first, for names folding alike). Folding the
    launch supporters' names cost about a millisecond of CPU on every signature; the list
    rarely changes, so each version of it is folded once per process."""
    return {name_skeleton(name): name for name in reversed(names)}


def impersonation_match(*, supporter: Supporter, campaign: Campaign) -> str:
    """The protected name ``supporter``'s name could pass for, or "" when there is none.

    Protected: the supporters named at launch, and every verified or featured supporter other
    than this one. Names are compared by their confusables skeleton (case, accents, spacing,
    invisible characters and look-alike letters from other scripts all fold away). A verified
    supporter is not held: their own name was proven.
    """
    if not supporter.name_skeleton or supporter.is_verified:
        return ""
    names = protected_names(campaign=campaign, skeletons=[supporter.name_skeleton])
    return names.match(supporter)


@dataclass(frozen=True)
class ProtectedNames:
    """The protected names some skeletons could pass for, looked up at once (an import checks
    a whole chunk with two queries): ``match`` applies ``impersonation_match``'s rule."""

    launch: dict[str, str]
    # skeleton → [(supporter id, full name)] of verified or featured supporters, oldest first.
    protected: dict[str, list[tuple[int, str]]]

    def match(self, supporter: Supporter) -> str:
        skeleton = supporter.name_skeleton
        if not skeleton or supporter.is_verified:
            return ""
        if skeleton in self.launch:
            return self.launch[skeleton]
        others = self.protected.get(skeleton, ())
        return next((name for pk, name in others if pk != supporter.pk), "")


def protected_names(*, campaign: Campaign, skeletons: Iterable[str]) -> ProtectedNames:
    """The protected names (see ``impersonation_match``) that ``skeletons`` could pass for: two
    queries, however many skeletons."""
    wanted = {skeleton for skeleton in skeletons if skeleton}
    if not wanted:
        return ProtectedNames(launch={}, protected={})
    launch_names = launch_supporter_names(campaign=campaign)
    launch = {k: v for k, v in _skeletons_of(launch_names).items() if k in wanted}
    protected: dict[str, list[tuple[int, str]]] = {}
    found = (
        Supporter.objects.filter(name_skeleton__in=wanted)
        .filter(Q(verified_at__isnull=False) | Q(is_featured=True))
        .order_by("pk")
        .values_list("pk", "name_skeleton", "full_name")
    )
    for pk, skeleton, name in found:
        protected.setdefault(skeleton, []).append((pk, name))
    return ProtectedNames(launch=launch, protected=protected)


def hold_if_impersonating(*, signature: Signature) -> bool:
    """Hold ``signature`` for review if its signer's name could pass for a protected one;
    says whether it did. Call it inside a transaction, after a name change."""
    if signature.moderation != Signature.Moderation.OK:
        return False
    protected = impersonation_match(supporter=signature.supporter, campaign=signature.campaign)
    if not protected:
        return False
    signature.moderation = Signature.Moderation.HELD
    signature.hold_reason = name_hold_reason(protected)
    signature.save(update_fields=["moderation", "hold_reason"])
    record_change(signature)  # Out of the count while held: its ledger entry.
    audit(
        action="signature.held",
        supporter=signature.supporter,
        reason=signature.hold_reason,
        data={"signature": signature.pk, "name": signature.supporter.full_name},
    )
    return True


# --- Link-back proof ------------------------------------------------------------------------------


def link_back_token(supporter: Supporter) -> str:
    """The personal token a supporter puts on their own page; derived, never stored."""
    return salted_hmac(
        "signatures.link-back", f"{supporter.pk}:{supporter.public_id}", algorithm="sha256"
    ).hexdigest()[:32]


def profile_permalink(supporter: Supporter) -> str:
    """The profile's address that never changes, in no language: the site redirects it to the
    profile in the visitor's language, under its current name."""
    return f"{settings.SITE_URL}/supporters/{supporter.public_id}/"


def request_link_back_check(*, supporter: Supporter, page_url: str) -> Verification:
    """Ask for the page at ``page_url`` to be checked for a link back to the profile.

    The check runs in a Celery task (network access never happens in a request). Raises
    ``VerificationError`` when the supporter is already verified or a check is running.
    """
    if supporter.is_verified:
        raise VerificationError(_("Your profile is already verified."))
    with transaction.atomic():
        Supporter.objects.select_for_update().filter(pk=supporter.pk).first()
        if supporter.verifications.filter(
            method=Verification.Method.LINK_BACK, status=Verification.Status.PENDING
        ).exists():
            raise VerificationError(_("A check is already under way. Try again in a minute."))
        verification = Verification.objects.create(
            supporter=supporter,
            method=Verification.Method.LINK_BACK,
            evidence={"page_url": page_url, "profile_url": profile_permalink(supporter)},
        )
        audit(action="verification.requested", supporter=supporter, data=verification.evidence)
        from ..tasks import check_link_back as task

        transaction.on_commit(lambda: _queue_check(task, verification.pk))
    return verification


def _queue_check(task, verification_id: int) -> None:
    try:
        task.delay(verification_id)
    except Exception:  # The broker is down: the request stays pending; the supporter retries.
        logger.warning("Could not queue link-back check %s", verification_id, exc_info=True)


def check_link_back(*, verification_id: int) -> Verification | None:
    """Fetch the page a pending link-back verification names and decide it.

    Safe to run twice: a decided verification is left alone. The fetch happens outside any
    transaction, under linkcheck's limits (timeouts, size cap, no private addresses).
    """
    verification = (
        Verification.objects.select_related("supporter")
        .filter(pk=verification_id, status=Verification.Status.PENDING)
        .first()
    )
    if verification is None:
        return None
    supporter = verification.supporter
    result = linkcheck.check_link_back(
        verification.evidence.get("page_url", ""),
        profile_url=profile_permalink(supporter),
        token=link_back_token(supporter),
    )
    evidence = {
        **verification.evidence,
        "result": result.reason,
        "detail": result.detail,
        "final_url": result.final_url,
    }
    try:
        return _decide(
            verification=verification,
            approve=result.ok,
            actor=None,
            reason=result.reason,
            evidence=evidence,
        )
    except VerificationError:  # Another run of the task decided it meanwhile.
        return Verification.objects.get(pk=verification.pk)


# --- Review by organisers -------------------------------------------------------------------


def request_review(*, supporter: Supporter, message: str, links: list[str]) -> Verification:
    """Ask organisers to verify the profile on the evidence given."""
    if supporter.is_verified:
        raise VerificationError(_("Your profile is already verified."))
    with transaction.atomic():
        verification = Verification.objects.create(
            supporter=supporter,
            method=Verification.Method.REVIEW,
            evidence={
                "message": message,
                "links": links,
                "identifiers": {
                    kind: getattr(supporter, kind)
                    for kind in ("isni", "ipi", "imdb_id", "musicbrainz_id", "wikidata_id")
                    if getattr(supporter, kind)
                },
            },
        )
        audit(action="verification.requested", supporter=supporter, data=verification.evidence)
    return verification


def decide_verification(
    *, verification: Verification, approve: bool, actor, reason: str = ""
) -> Verification:
    """An organiser's decision on a pending verification. Raises ``VerificationError`` when
    it was already decided (by someone else, or by the automatic check)."""
    return _decide(
        verification=verification,
        approve=approve,
        actor=actor,
        reason=reason,
        evidence=verification.evidence,
    )


def _decide(
    *, verification: Verification, approve: bool, actor, reason: str, evidence: dict
) -> Verification:
    now = timezone.now()
    with transaction.atomic():
        locked = Verification.objects.select_for_update().get(pk=verification.pk)
        if locked.status != Verification.Status.PENDING:
            raise VerificationError(_("This request has already been decided."))
        locked.status = Verification.Status.VERIFIED if approve else Verification.Status.REFUSED
        locked.decided_at, locked.decided_by = now, actor
        locked.reason, locked.evidence = reason, evidence
        locked.save()
        supporter = locked.supporter
        audit(
            action="verification.approved" if approve else "verification.refused",
            supporter=supporter,
            actor=actor,
            reason=reason,
            data={
                "verification": locked.pk,
                "method": locked.method,
                "evidence": evidence,
                "before": {
                    "status": Verification.Status.PENDING,
                    "verified": supporter.is_verified,
                },
                "after": {"status": locked.status, "verified": approve or supporter.is_verified},
            },
        )
        if approve:
            supporter.verified_at, supporter.verification_method = now, locked.method
            supporter.save(update_fields=["verified_at", "verification_method"])
            _release_held_signatures(supporter=supporter, actor=actor)
    return locked


def _release_held_signatures(*, supporter: Supporter, actor) -> None:
    """A proven name is no impostor's: its held signatures count again."""
    from .signing import request_count_refresh

    held = list(supporter.signatures.filter(moderation=Signature.Moderation.HELD))
    for signature in held:
        signature.moderation, signature.hold_reason = Signature.Moderation.OK, ""
        signature.save(update_fields=["moderation", "hold_reason"])
        audit(
            action="signature.released",
            supporter=supporter,
            actor=actor,
            reason="verified",
            data={"signature": signature.pk},
        )
    if held:
        request_count_refresh()


def revoke_verification(*, supporter: Supporter, actor, reason: str) -> None:
    """Remove a supporter's badge (their name changed, or organisers withdrew it)."""
    if not supporter.is_verified:
        return
    audit(
        action="verification.revoked",
        supporter=supporter,
        actor=actor,
        reason=reason,
        data={"method": supporter.verification_method},
    )
    supporter.verified_at, supporter.verification_method = None, ""


def set_featured(*, supporter: Supporter, featured: bool, actor, reason: str = "") -> None:
    """Feature a supporter on the home page, or stop; recorded in the audit trail (with the
    organiser's reason, and the value before and after)."""
    if supporter.is_featured == featured:
        return
    with transaction.atomic():
        supporter.is_featured = featured
        supporter.save(update_fields=["is_featured"])
        audit(
            action="supporter.featured" if featured else "supporter.unfeatured",
            supporter=supporter,
            actor=actor,
            reason=reason,
            data={"before": {"is_featured": not featured}, "after": {"is_featured": featured}},
        )
