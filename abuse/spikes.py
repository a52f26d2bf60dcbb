"""Spike alerts: bursts of signatures from one address range or one email domain.

Beat runs ``detect_spikes`` every few minutes. A range (/24 or /64) or a domain with at least its
threshold of signatures in the last ``ABUSE_SPIKE_WINDOW_SECONDS`` is a burst: it gets a
``SpikeAlert`` with the evidence, and its signatures are held for review (they leave the count
until an organiser releases them from the held queue). A burst that goes on extends its alert
rather than raising another, and a signature is considered by one alert only, so running twice
changes nothing and a signature an organiser released is never held again. Ranges and domains
on the allow list, and the large mail providers (``ABUSE_SPIKE_IGNORED_DOMAINS``), never alert.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from campaign.audit import audit
from signatures.models import Signature
from signatures.services import record_changes, request_count_refresh

from .lists import compiled_lists, is_allowed
from .models import SigningContext, SpikeAlert

SAMPLE_SIZE = 10


def detect_spikes(*, now: datetime.datetime | None = None) -> list[SpikeAlert]:
    """Find the bursts of the last window, alert on each and hold its signatures. Returns
    the alerts that held something new."""
    now = now or timezone.now()
    since = now - datetime.timedelta(seconds=settings.ABUSE_SPIKE_WINDOW_SECONDS)
    lists = compiled_lists()
    found = []
    for kind, field, threshold in (
        (SpikeAlert.Kind.IP_RANGE, "ip_range", settings.ABUSE_SPIKE_IP_RANGE_THRESHOLD),
        (SpikeAlert.Kind.DOMAIN, "email_domain", settings.ABUSE_SPIKE_DOMAIN_THRESHOLD),
    ):
        for key in _bursting(field, threshold, since):
            if _is_exempt(kind, key, lists):
                continue
            alert = _record(kind=kind, field=field, key=key, since=since, now=now)
            if alert is not None:
                found.append(alert)
    return found


def _bursting(field: str, threshold: int, since: datetime.datetime) -> list[str]:
    if threshold <= 0:
        return []
    return list(
        SigningContext.objects.filter(created_at__gte=since, source=Signature.Source.FORM)
        .exclude(**{field: ""})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .filter(n__gte=threshold)
        .values_list(field, flat=True)
    )


def _is_exempt(kind: str, key: str, lists) -> bool:
    if kind == SpikeAlert.Kind.DOMAIN:
        if key in settings.ABUSE_SPIKE_IGNORED_DOMAINS:
            return True
        return is_allowed(lists, ip="", email=f"x@{key}")
    network_address = key.split("/", 1)[0]
    return is_allowed(lists, ip=network_address, email="")


def _record(
    *, kind: str, field: str, key: str, since: datetime.datetime, now: datetime.datetime
) -> SpikeAlert | None:
    """Alert on one burst (or extend its alert) and hold its new signatures, in one
    transaction. None when there was nothing new."""
    window = settings.ABUSE_SPIKE_WINDOW_SECONDS
    with transaction.atomic():
        fresh = list(
            SigningContext.objects.select_for_update()
            .filter(created_at__gte=since, spike_alert__isnull=True, **{field: key})
            .filter(source=Signature.Source.FORM)  # an organiser's import is no burst
            .select_related("signature__supporter")
            .order_by("created_at")
        )
        if not fresh:
            return None
        alert = (
            SpikeAlert.objects.select_for_update()
            .filter(kind=kind, key=key, last_seen_at__gte=since)
            .order_by("-last_seen_at")
            .first()
        )
        if alert is None:
            alert = SpikeAlert(
                kind=kind, key=key, first_seen_at=fresh[0].created_at, window_seconds=window
            )
        alert.last_seen_at = max(fresh[-1].created_at, alert.last_seen_at or fresh[-1].created_at)
        alert.signature_count += len(fresh)
        names = [context.signature.supporter.full_name for context in fresh]
        alert.sample_names = (alert.sample_names + names)[:SAMPLE_SIZE]
        alert.save()
        held = _hold(fresh, reason=_reason(kind, key, alert))
        alert.held_count += len(held)
        alert.save(update_fields=["held_count", "updated_at"])
        SigningContext.objects.filter(pk__in=[c.pk for c in fresh]).update(spike_alert=alert)
        audit(
            action="abuse.spike_detected",
            reason=_reason(kind, key, alert),
            data={
                "alert": alert.pk,
                "kind": kind,
                "key": key,
                "signatures": len(fresh),
                "held": held,
                "window_seconds": window,
            },
        )
    return alert


def _reason(kind: str, key: str, alert: SpikeAlert) -> str:
    minutes = max(1, alert.window_seconds // 60)
    what = "address range" if kind == SpikeAlert.Kind.IP_RANGE else "email domain"
    return f"Burst from {what} {key}: {alert.signature_count} signatures within {minutes} min"


def _hold(contexts: list[SigningContext], *, reason: str) -> list[int]:
    """Hold the signatures that are neither under review nor withdrawn; their ids."""
    ids = [
        context.signature_id
        for context in contexts
        if context.signature.moderation == Signature.Moderation.OK
        and context.signature.status != Signature.Status.WITHDRAWN
    ]
    if not ids:
        return []
    counted = Signature.objects.filter(pk__in=ids).counted().exists()
    Signature.objects.filter(pk__in=ids, moderation=Signature.Moderation.OK).update(
        moderation=Signature.Moderation.HELD, hold_reason=reason[:300]
    )
    if counted:  # Out of the count while held: their ledger entries.
        record_changes(Signature.objects.filter(pk__in=ids).select_related("campaign"))
    if counted:
        request_count_refresh()
    return ids
