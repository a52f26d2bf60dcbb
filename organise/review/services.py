"""Moderation by organisers: decide verification requests, release or reject held signatures,
reject fraudulent ones and restore them, hide comments, feature signatories.

Every function is keyword-only and runs in one transaction. Each change writes one
``AuditEvent`` per signature (who, what, on whom, why, and the values before and after in
``data``). A change that moves the public count asks for a recount once, after commit. A
decision that no longer applies (someone else took it first, or the signature is not in the
state the action expects) raises ``ModerationError``, whose ``message`` a view can show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaign.models import AuditEvent, Campaign
from ledger.models import Reason
from signatures.models import NAME_HOLD_PREFIX, Signature, Verification
from signatures.services import (
    VerificationError,
    decide_verification,
    record_changes,
    request_count_refresh,
    set_featured,
)

# A bulk action touches at most one page of a list, with room to spare.
MAX_BULK = 500


class ModerationError(Exception):
    """A decision that cannot be taken; ``message`` is translated, for the organiser."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class ModerationAction(StrEnum):
    """What an organiser can do to a signature (or its signer), singly or in bulk."""

    RELEASE = "release"
    REJECT_HELD = "reject_held"
    REJECT = "reject"
    RESTORE = "restore"
    HIDE_COMMENT = "hide_comment"
    SHOW_COMMENT = "show_comment"
    FEATURE = "feature"
    UNFEATURE = "unfeature"


ACTION_LABELS: dict[ModerationAction, Promise] = {
    ModerationAction.RELEASE: _("Release"),
    ModerationAction.REJECT_HELD: _("Reject"),
    ModerationAction.REJECT: _("Reject as fraudulent"),
    ModerationAction.RESTORE: _("Restore"),
    ModerationAction.HIDE_COMMENT: _("Hide the comment"),
    ModerationAction.SHOW_COMMENT: _("Show the comment again"),
    ModerationAction.FEATURE: _("Feature on the home page"),
    ModerationAction.UNFEATURE: _("Stop featuring"),
}

# Actions whose audit event must say why.
NEEDS_REASON = frozenset({ModerationAction.REJECT_HELD, ModerationAction.REJECT})
REJECTION_NEEDS_REASON = _("Give a reason for rejecting: it is kept in the audit trail.")
REFUSAL_NEEDS_REASON = _("Give a reason for refusing: the artist will read it.")


@dataclass(frozen=True)
class Rule:
    """When an action applies to a signature, what it changes, and what to say otherwise."""

    audit_action: str
    applies: Callable[[Signature], bool]
    changes: dict[str, object]
    refusal: Promise


_HELD, _OK, _REJECTED = (
    Signature.Moderation.HELD,
    Signature.Moderation.OK,
    Signature.Moderation.REJECTED,
)

RULES: dict[ModerationAction, Rule] = {
    ModerationAction.RELEASE: Rule(
        "signature.released",
        lambda s: s.moderation == _HELD,
        {"moderation": _OK, "hold_reason": ""},
        _("This signature is no longer held: someone has already decided it."),
    ),
    ModerationAction.REJECT_HELD: Rule(
        "signature.rejected",
        lambda s: s.moderation == _HELD,
        {"moderation": _REJECTED, "hold_reason": ""},
        _("This signature is no longer held: someone has already decided it."),
    ),
    ModerationAction.REJECT: Rule(
        "signature.rejected",
        lambda s: s.moderation != _REJECTED,
        {"moderation": _REJECTED, "hold_reason": ""},
        _("This signature is already rejected."),
    ),
    ModerationAction.RESTORE: Rule(
        "signature.restored",
        lambda s: s.moderation == _REJECTED,
        {"moderation": _OK},
        _("This signature is not rejected: someone may have restored it already."),
    ),
    ModerationAction.HIDE_COMMENT: Rule(
        "signature.comment_hidden",
        lambda s: bool(s.comment) and not s.comment_hidden,
        {"comment_hidden": True},
        _("This signature has no visible comment to hide."),
    ),
    ModerationAction.SHOW_COMMENT: Rule(
        "signature.comment_shown",
        lambda s: s.comment_hidden,
        {"comment_hidden": False},
        _("This signature's comment is not hidden."),
    ),
    # Featuring protects the name from impostors and puts it on the home page: only for a
    # signature that counts.
    ModerationAction.FEATURE: Rule(
        "supporter.featured",
        lambda s: s.is_counted and not s.supporter.is_featured,
        {},
        _("Only a signatory who counts and is not featured yet can be featured."),
    ),
    ModerationAction.UNFEATURE: Rule(
        "supporter.unfeatured",
        lambda s: s.supporter.is_featured,
        {},
        _("This signatory is not featured."),
    ),
}


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did: how many signatures changed, and how many were left alone
    (already in that state, decided by someone else, or no longer there)."""

    changed: int
    skipped: int


# --- Signatures ---------------------------------------------------------------------------


def applicable_actions(signature: Signature) -> list[ModerationAction]:
    """The actions that apply to ``signature`` as it is (a held signature is released or
    rejected; "reject as fraudulent" is for the others)."""
    actions = [action for action in ModerationAction if RULES[action].applies(signature)]
    if ModerationAction.REJECT_HELD in actions:
        actions.remove(ModerationAction.REJECT)
    return actions


def moderate_signature(
    *,
    action: ModerationAction,
    signature_id: int,
    actor,
    reason: str = "",
    campaign: Campaign | None = None,
) -> Signature:
    """Apply ``action`` to one signature (of ``campaign``, when given) and return it as it is
    now.

    Raises ``Signature.DoesNotExist`` when there is no such signature, and
    ``ModerationError`` when a reason is missing or the action no longer applies (for
    example when someone else released the signature a moment ago).
    """
    action = ModerationAction(action)
    _check_reason(action, reason)
    with transaction.atomic():
        queryset = Signature.objects.filter(pk=signature_id)
        if campaign is not None:
            queryset = queryset.filter(campaign=campaign)
        signature = _locked(queryset).first()
        if signature is None:
            raise Signature.DoesNotExist(signature_id)
        if not RULES[action].applies(signature):
            raise ModerationError(RULES[action].refusal)
        _apply(action, [signature], actor=actor, reason=reason)
    return signature


def moderate_signatures(
    *,
    action: ModerationAction,
    signature_ids: Iterable[int],
    actor,
    reason: str = "",
    campaign: Campaign | None = None,
) -> BulkResult:
    """Apply ``action`` to each of ``signature_ids`` it applies to (of ``campaign``, when
    given), in one transaction, one audit event per signature changed; the others are
    skipped and counted. Raises ``ModerationError`` when a reason is missing or the list is
    longer than ``MAX_BULK``."""
    action = ModerationAction(action)
    _check_reason(action, reason)
    wanted = sorted(set(signature_ids))
    if len(wanted) > MAX_BULK:
        raise ModerationError(_("Choose at most %(max)s signatures at a time.") % {"max": MAX_BULK})
    with transaction.atomic():
        queryset = Signature.objects.filter(pk__in=wanted)
        if campaign is not None:
            queryset = queryset.filter(campaign=campaign)
        found = list(_locked(queryset))
        valid = [signature for signature in found if RULES[action].applies(signature)]
        _apply(action, valid, actor=actor, reason=reason)
    return BulkResult(changed=len(valid), skipped=len(wanted) - len(valid))


def _check_reason(action: ModerationAction, reason: str) -> None:
    if action in NEEDS_REASON and not reason.strip():
        raise ModerationError(REJECTION_NEEDS_REASON)


def _locked(queryset):
    """Rows locked for the rest of the transaction, in id order (two organisers acting on
    overlapping selections wait for each other instead of deadlocking)."""
    return queryset.select_related("supporter").select_for_update(of=("self",)).order_by("pk")


def _apply(action: ModerationAction, signatures: list[Signature], *, actor, reason: str) -> None:
    """Change ``signatures`` (locked, and all eligible) and record each change."""
    if not signatures:
        return
    if action in (ModerationAction.FEATURE, ModerationAction.UNFEATURE):
        for signature in signatures:
            featured = action == ModerationAction.FEATURE
            set_featured(
                supporter=signature.supporter, featured=featured, actor=actor, reason=reason
            )
        return
    rule = RULES[action]
    counted_before = {signature.pk: signature.is_counted for signature in signatures}
    name_holds = {s.pk for s in signatures if s.hold_reason.startswith(NAME_HOLD_PREFIX)}
    events = []
    for signature in signatures:
        before = {field: getattr(signature, field) for field in rule.changes}
        for field, value in rule.changes.items():
            setattr(signature, field, value)
        events.append(
            AuditEvent(
                action=rule.audit_action,
                actor=actor,
                supporter=signature.supporter,
                reason=reason.strip(),
                data={
                    "signature": signature.pk,
                    "before": _plain(before),
                    "after": _plain(rule.changes),
                },
            )
        )
    Signature.objects.filter(pk__in=[s.pk for s in signatures]).update(**rule.changes)
    AuditEvent.objects.bulk_create(events)
    # The public ledger: out of or back into the count, with a public reason category.
    record_changes([s for s in signatures if s.pk in name_holds], rejection=Reason.IMPERSONATION)
    record_changes([s for s in signatures if s.pk not in name_holds], rejection=Reason.FRAUDULENT)
    if any(counted_before[s.pk] != s.is_counted for s in signatures):
        request_count_refresh()


def _plain(values: dict) -> dict:
    """JSON-ready values (choices become their stored strings)."""
    return {
        field: value if isinstance(value, bool | int | None) else str(value)
        for field, value in values.items()
    }


# --- Verification requests ----------------------------------------------------------------


def approve_verification(*, verification_id: int, actor, reason: str = "") -> Verification:
    """Verify the supporter on the evidence: the badge appears and their held signatures
    count again. Raises ``Verification.DoesNotExist``, or ``ModerationError`` when the
    request was already decided (by someone else, or by the automatic check)."""
    return _decide(verification_id=verification_id, approve=True, actor=actor, reason=reason)


def refuse_verification(*, verification_id: int, actor, reason: str) -> Verification:
    """Refuse the request; the supporter sees the reason on their account page. Raises
    ``Verification.DoesNotExist``, or ``ModerationError`` when the reason is missing or the
    request was already decided."""
    if not reason.strip():
        raise ModerationError(REFUSAL_NEEDS_REASON)
    return _decide(verification_id=verification_id, approve=False, actor=actor, reason=reason)


def _decide(*, verification_id: int, approve: bool, actor, reason: str) -> Verification:
    verification = Verification.objects.get(pk=verification_id)
    try:
        return decide_verification(
            verification=verification, approve=approve, actor=actor, reason=reason.strip()
        )
    except VerificationError as error:
        raise ModerationError(error.message) from error
