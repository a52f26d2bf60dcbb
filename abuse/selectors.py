"""Read queries of the abuse pages: which signatures a bulk invalidation would hit, and the
lists organisers read."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from campaign.clientip import network_bounds
from campaign.models import Campaign
from signatures.models import Signature
from signatures.normalize import search_key

from .models import Invalidation, ListEntry, SpikeAlert

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class Criteria:
    """What a bulk invalidation selects; every field optional, at least one given."""

    ip_range: str = ""
    domain: str = ""
    name_pattern: str = ""
    country: str = ""
    signed_from: datetime.datetime | None = None
    signed_to: datetime.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def as_data(self) -> dict:
        data = asdict(self)
        for name in ("signed_from", "signed_to"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_data(cls, data: dict) -> Criteria:
        values = dict(data)
        for name in ("signed_from", "signed_to"):
            values[name] = parse_datetime(values[name]) if values.get(name) else None
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def _name_regex(pattern: str) -> str:
    """A glob ("test*", "j?hn doe") over folded names as an anchored regular expression."""
    parts = []
    for char in search_key(pattern):
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char.isalnum() or char == " ":
            parts.append(char)
        else:
            parts.append("\\" + char)
    return "^" + "".join(parts) + "$"


def matching_signatures(*, campaign: Campaign, criteria: Criteria) -> QuerySet[Signature]:
    """The signatures of ``campaign`` a bulk invalidation with ``criteria`` would reject:
    those matching every criterion and not rejected already. Empty criteria match nothing."""
    if criteria.is_empty:
        return Signature.objects.none()
    queryset = Signature.objects.filter(campaign=campaign).exclude(
        moderation=Signature.Moderation.REJECTED
    )
    if criteria.ip_range:
        low, high = network_bounds(ipaddress.ip_network(criteria.ip_range, strict=False))
        queryset = queryset.filter(
            signing_context__ip_key__gte=low, signing_context__ip_key__lte=high
        )
    if criteria.domain:
        domain = criteria.domain
        queryset = queryset.filter(
            Q(supporter__email_key__endswith=f"@{domain}")
            | Q(supporter__email_key__endswith=f".{domain}")
        )
    if criteria.name_pattern:
        queryset = queryset.filter(supporter__search_name__regex=_name_regex(criteria.name_pattern))
    if criteria.country:
        queryset = queryset.filter(supporter__country=criteria.country)
    if criteria.signed_from:
        queryset = queryset.filter(created_at__gte=criteria.signed_from)
    if criteria.signed_to:
        queryset = queryset.filter(created_at__lt=criteria.signed_to)
    return queryset


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Signature]
    upper_id: int


def preview(*, campaign: Campaign, criteria: Criteria) -> Preview:
    """How many signatures a bulk invalidation would hit, a sample of them (newest first) and
    the newest one's id (the job stops there). Three queries."""
    queryset = matching_signatures(campaign=campaign, criteria=criteria)
    sample = list(queryset.select_related("supporter").order_by("-id")[:SAMPLE_SIZE])
    return Preview(
        count=queryset.count(),
        sample=sample,
        upper_id=sample[0].pk if sample else 0,
    )


def list_entries() -> QuerySet[ListEntry]:
    return ListEntry.objects.select_related("created_by").order_by("verdict", "kind", "value")


def recent_alerts(limit: int = 100) -> QuerySet[SpikeAlert]:
    return SpikeAlert.objects.order_by("-created_at", "-id")[:limit]


def held_by_alert(alert: SpikeAlert) -> QuerySet[Signature]:
    return (
        Signature.objects.filter(signing_context__spike_alert=alert)
        .select_related("supporter")
        .order_by("id")
    )


def recent_invalidations(limit: int = 50) -> QuerySet[Invalidation]:
    return Invalidation.objects.select_related("created_by").order_by("-created_at", "-id")[:limit]
