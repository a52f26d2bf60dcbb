"""Writes of the abuse controls: the signing context, the quiet screening of a signature, and
the organisers' kill switches, rate limits and block and allow lists.

Screening never tells the signer anything: a signature that trips a rule is stored like any
other, gets the same pages and emails, and is marked ``rejected`` with a reason organisers can
read, so that it never counts and never shows. It runs in a background task queued when the
signing transaction commits (``screen_after_commit``).
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from campaign.audit import audit
from campaign.clientip import RequestOrigin, ip_key, ip_range, parse_ip
from campaign.emailkeys import canonical_email, email_domain
from ledger.models import Reason
from signatures.models import Signature
from signatures.services import record_change, request_count_refresh

from . import safeguards
from .lists import block_reason, compiled_lists, normalise_entry
from .models import KillSwitches, ListEntry, RateLimit, SigningContext

logger = logging.getLogger(__name__)


# --- Signing context and screening ------------------------------------------------------------


def screen_after_commit(*, signature_id: int, origin: RequestOrigin | None = None) -> None:
    """Once the current transaction commits, queue the screening of a signature (with where it
    came from, when the request is known). Never raises: with the queue unreachable, the
    context is written at once and ``screen_stragglers`` screens the signature later."""
    transaction.on_commit(lambda: _queue_screening(signature_id, origin))


def _queue_screening(signature_id: int, origin: RequestOrigin | None) -> None:
    from .tasks import screen_signature as task

    try:
        if origin is None:
            task.delay(signature_id)
        else:
            task.delay(signature_id, origin.ip, origin.user_agent)
    except Exception:
        logger.exception("Could not queue the screening of signature %s", signature_id)
        if origin is not None:
            try:
                record_signing_context(
                    signature_id=signature_id, ip=origin.ip, user_agent=origin.user_agent
                )
            except Exception:
                logger.exception("Could not record where signature %s came from", signature_id)


def record_signing_context(
    *, signature_id: int, ip: str = "", user_agent: str = ""
) -> SigningContext | None:
    """Store where a signature came from, or refresh it when the person signed again (the
    lists will then be applied again). Returns None when the signature is gone."""
    signature = Signature.objects.select_related("supporter").filter(pk=signature_id).first()
    if signature is None:
        return None
    address = parse_ip(ip)
    context, _created = SigningContext.objects.update_or_create(
        signature=signature,
        defaults={
            **_email_fields(signature.supporter.email),
            "ip": str(address) if address else None,
            "ip_range": ip_range(ip),
            "ip_key": ip_key(ip),
            "user_agent": user_agent[:300],
            "created_at": timezone.now(),
            "screened_at": None,
            "verdict": "",
        },
    )
    return context


def record_import_contexts(
    *, signature_ids: list[int], reference: str, organiser_id: int | None
) -> None:
    """Write the signing context of imported signatures (source "import", ``reference``, the
    organiser; no address or browser), as the chunk that wrote them does, in its transaction:
    two queries, however many. A signature that has one already (signed on the site, then
    confirmed by the import) keeps its own."""
    rows = Signature.objects.filter(pk__in=signature_ids).values_list(
        "pk", "supporter__email", "created_at"
    )
    SigningContext.objects.bulk_create(
        [
            SigningContext(
                signature_id=pk,
                source=Signature.Source.IMPORT,
                import_reference=reference[:20],
                organiser_id=organiser_id,
                created_at=created_at,
                **_email_fields(email),
            )
            for pk, email, created_at in rows
        ],
        ignore_conflicts=True,
    )


def screen_many_after_commit(*, signature_ids: list[int]) -> None:
    """Once the current transaction commits, queue one screening of all these signatures.
    Never raises: with the queue unreachable, ``screen_stragglers`` screens them later."""
    ids = list(signature_ids)
    transaction.on_commit(lambda: _queue_many(ids))


def _queue_many(signature_ids: list[int]) -> None:
    from .tasks import screen_signatures as task

    try:
        task.delay(signature_ids)
    except Exception:
        logger.exception("Could not queue the screening of %s signatures", len(signature_ids))


def _email_fields(email: str) -> dict:
    return {"email_domain": email_domain(email), "canonical_email": canonical_email(email)}


def screen_signature(*, signature_id: int) -> str:
    """Apply the block and allow lists (once per signing) and the duplicate rule to a signature;
    one that trips either is rejected silently. Returns why ("" when it passes). Safe to run
    twice; a signature organisers already rejected is left as it is."""
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .select_related("supporter")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None:
            return ""
        context = _context_of(signature)
        reason = ""
        if context.screened_at is None:
            reason = block_reason(
                compiled_lists(), ip=str(context.ip or ""), email=signature.supporter.email
            )
            context.screened_at = timezone.now()
            context.verdict = reason
            context.save(update_fields=["screened_at", "verdict"])
        reason = reason or duplicate_reason(signature=signature, context=context)
        if reason and signature.moderation != Signature.Moderation.REJECTED:
            _reject_silently(signature, reason)
    return reason


def screen_signatures(*, signature_ids: list[int]) -> dict[int, str]:
    """``screen_signature`` for many signatures at once (an import's chunk): the lists read
    once, the signatures and their contexts locked and read once, the duplicate rule looked up
    once for all their canonical addresses. Returns why each was rejected ("" when it passes).
    Safe to run twice."""
    reasons: dict[int, str] = {}
    with transaction.atomic():
        signatures = list(
            Signature.objects.select_for_update(of=("self",))
            .select_related("supporter")
            .filter(pk__in=signature_ids)
            .order_by("pk")
        )
        contexts = {
            c.signature_id: c for c in SigningContext.objects.filter(signature__in=signatures)
        }
        lists = compiled_lists()
        originals = _first_confirmed(signatures, contexts)
        rejected_now: set[int] = set()
        screened = []
        now = timezone.now()
        for signature in signatures:
            context = contexts.get(signature.pk) or _context_of(signature)
            reason = ""
            if context.screened_at is None:
                reason = block_reason(
                    lists, ip=str(context.ip or ""), email=signature.supporter.email
                )
                context.screened_at, context.verdict = now, reason
                screened.append(context)
            if not reason:
                original = originals.get((signature.campaign_id, context.canonical_email))
                if original in rejected_now:  # rejected a moment ago: ask again
                    reason = duplicate_reason(signature=signature, context=context)
                elif original is not None and original != signature.pk:
                    reason = f"Duplicate of signature {original} (same canonical email)"
            if reason and signature.moderation != Signature.Moderation.REJECTED:
                _reject_silently(signature, reason)
                rejected_now.add(signature.pk)
            reasons[signature.pk] = reason
        SigningContext.objects.bulk_update(screened, ["screened_at", "verdict"])
    return reasons


def _first_confirmed(
    signatures: list[Signature], contexts: dict[int, SigningContext]
) -> dict[tuple[int, str], int]:
    """{(campaign, canonical email): the signature confirmed first with it, not rejected}, for
    the canonical addresses of ``contexts`` (one query): ``duplicate_reason``'s rule."""
    emails = {c.canonical_email for c in contexts.values() if c.canonical_email}
    if not emails:
        return {}
    found = (
        SigningContext.objects.filter(
            canonical_email__in=emails,
            signature__campaign_id__in={s.campaign_id for s in signatures},
            signature__status=Signature.Status.CONFIRMED,
        )
        .exclude(signature__moderation=Signature.Moderation.REJECTED)
        .order_by("signature__confirmed_at", "signature_id")
        .values_list("signature__campaign_id", "canonical_email", "signature_id")
    )
    first: dict[tuple[int, str], int] = {}
    for campaign_id, email, signature_id in found:
        first.setdefault((campaign_id, email), signature_id)
    return first


def _context_of(signature: Signature) -> SigningContext:
    """The signature's context; one without an address when the request's was lost."""
    context = SigningContext.objects.filter(signature=signature).first()
    if context is None:
        context = SigningContext.objects.create(
            signature=signature,
            created_at=signature.created_at,
            **_email_fields(signature.supporter.email),
        )
    return context


def duplicate_reason(*, signature: Signature, context: SigningContext) -> str:
    """Why ``signature`` duplicates another one, or "": another signature of the campaign with
    the same canonical email was confirmed first (and is not rejected)."""
    if not context.canonical_email:
        return ""
    original = (
        SigningContext.objects.filter(
            canonical_email=context.canonical_email,
            signature__campaign_id=signature.campaign_id,
            signature__status=Signature.Status.CONFIRMED,
        )
        .exclude(signature__moderation=Signature.Moderation.REJECTED)
        .order_by("signature__confirmed_at", "signature_id")
        .values_list("signature_id", flat=True)
        .first()
    )
    if original is None or original == signature.pk:
        return ""
    return f"Duplicate of signature {original} (same canonical email)"


def _reject_silently(signature: Signature, reason: str) -> None:
    was_counted = signature.is_counted
    signature.moderation = Signature.Moderation.REJECTED
    signature.hold_reason = reason[:300]
    signature.save(update_fields=["moderation", "hold_reason"])
    # The public ledger records the removal, with its category (never the details).
    duplicate = reason.startswith("Duplicate of")
    record_change(signature, rejection=Reason.DUPLICATE if duplicate else Reason.FRAUDULENT)
    audit(
        action="abuse.signature_rejected",
        supporter=signature.supporter,
        reason=reason,
        data={"signature": signature.pk},
    )
    if was_counted:
        request_count_refresh()


def screen_stragglers(*, older_than_seconds: int = 120, lookback_hours: int = 48) -> int:
    """Screen the recent signatures the queue never screened (it was down when they were
    made); beat runs it every few minutes. Returns how many it screened."""
    now = timezone.now()
    stragglers = (
        Signature.objects.filter(
            source__in=[Signature.Source.FORM, Signature.Source.IMPORT],
            created_at__gte=now - datetime.timedelta(hours=lookback_hours),
            created_at__lt=now - datetime.timedelta(seconds=older_than_seconds),
        )
        .exclude(signing_context__screened_at__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    ids = list(stragglers)
    for signature_id in ids:
        screen_signature(signature_id=signature_id)
    return len(ids)


# --- The organisers' settings -----------------------------------------------------------------


def set_kill_switches(
    *,
    actor,
    signing_paused: bool,
    read_only: bool,
    pause_message_en: str = "",
    pause_message_fr: str = "",
) -> KillSwitches:
    """Pause signing or switch read-only mode on or off, with the messages shown meanwhile.
    Every process applies it within a cache round trip of the commit."""
    with transaction.atomic():
        switches, _created = KillSwitches.objects.select_for_update().get_or_create(pk=1)
        before = _switch_state(switches)
        switches.signing_paused = signing_paused
        switches.read_only = read_only
        switches.pause_message_en = pause_message_en
        switches.pause_message_fr = pause_message_fr
        switches.updated_by = actor
        switches.save()
        audit(
            action="abuse.kill_switches_changed",
            actor=actor,
            data={"before": before, "after": _switch_state(switches)},
        )
        transaction.on_commit(safeguards.publish)
    return switches


def _switch_state(switches: KillSwitches) -> dict:
    return {"signing_paused": switches.signing_paused, "read_only": switches.read_only}


def set_rate_limits(*, actor, limits: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Store organisers' limits ({(scope, per): (limit, window seconds)}; a limit of 0 turns
    it off). Applied by every process within a cache round trip of the commit."""
    with transaction.atomic():
        changed = {}
        stored = safeguards.load()
        for (scope, per), (limit, window) in limits.items():
            current = stored.limit(scope, per)
            if (current.limit, current.window_seconds) == (limit, window):
                continue
            RateLimit.objects.update_or_create(
                scope=scope,
                per=per,
                defaults={"limit": limit, "window_seconds": window, "updated_by": actor},
            )
            changed[f"{scope}:{per}"] = {
                "before": [current.limit, current.window_seconds],
                "after": [limit, window],
            }
        if changed:
            audit(action="abuse.rate_limits_changed", actor=actor, data=changed)
            transaction.on_commit(safeguards.publish)


def add_list_entry(*, actor, kind: str, verdict: str, value: str, note: str = "") -> ListEntry:
    """Add a block or allow entry. It applies to signatures screened from now on; earlier ones
    are for bulk invalidation. Raises ``ValueError`` for a value that is not one of ``kind``."""
    value = normalise_entry(kind, value)
    with transaction.atomic():
        entry = ListEntry.objects.create(
            kind=kind, verdict=verdict, value=value, note=note, created_by=actor
        )
        audit(
            action="abuse.list_entry_added",
            actor=actor,
            reason=note,
            data={"kind": kind, "verdict": verdict, "value": value},
        )
    return entry


def remove_list_entry(*, actor, entry_id: int) -> bool:
    """Remove an entry; says whether there was one."""
    with transaction.atomic():
        entry = ListEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            return False
        audit(
            action="abuse.list_entry_removed",
            actor=actor,
            data={"kind": entry.kind, "verdict": entry.verdict, "value": entry.value},
        )
        entry.delete()
    return True
