"""Read queries of the review queues, the signatory list and one signatory's page.

Every list is keyset-paginated on (created_at, id) and served by an index: the held queue by
``signature_held``, the verification queue by ``verification_queue``, the signatory list by
``signature_recent``. A page costs the same few queries at any depth and any size. The
signatory list's filters (``SignatoryFilters``, ``signatories``) are also the CSV export's.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Q, QuerySet

from campaign import keyset
from campaign.models import AuditEvent, Campaign
from signatures.identifiers import IdentifierKind, format_identifier, identifier_url
from signatures.models import Signature, Supporter, Verification
from signatures.normalize import email_key, search_key

from ..selectors import PAGE_SIZE, day_start, supporter_matches

Page = keyset.Page


def _page(queryset: QuerySet, *, cursor: str, newest_first: bool, size: int = PAGE_SIZE) -> Page:
    return keyset.page(queryset, cursor=cursor, size=size, newest_first=newest_first)


# --- The signatory list -------------------------------------------------------------------


@dataclass(frozen=True)
class SignatoryFilters:
    """What an organiser filters the signatories by; every field optional."""

    query: str = ""
    status: str = ""
    moderation: str = ""
    field_of_work: str = ""
    country: str = ""
    verified: bool | None = None
    source: str = ""
    signed_from: datetime.date | None = None
    signed_to: datetime.date | None = None

    @property
    def is_active(self) -> bool:
        return any(
            value not in ("", None)
            for value in (
                self.query,
                self.status,
                self.moderation,
                self.field_of_work,
                self.country,
                self.verified,
                self.source,
                self.signed_from,
                self.signed_to,
            )
        )


def signatories(
    *,
    campaign: Campaign,
    filters: SignatoryFilters,
    search_emails: bool = False,
    search_full_names: bool = False,
) -> QuerySet[Signature]:
    """Every signature of ``campaign`` (any status) matching ``filters``, with its signer,
    newest first. The query matches the public name; with ``search_emails`` also an exact email
    address, with ``search_full_names`` also the full name of people who hid theirs (only for
    people allowed to see them)."""
    queryset = Signature.objects.filter(campaign=campaign).select_related("supporter")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.moderation:
        queryset = queryset.filter(moderation=filters.moderation)
    if filters.field_of_work:
        queryset = queryset.filter(supporter__field_of_work=filters.field_of_work)
    if filters.country:
        queryset = queryset.filter(supporter__country=filters.country)
    if filters.verified is not None:
        queryset = queryset.filter(supporter__verified_at__isnull=not filters.verified)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.signed_from:
        queryset = queryset.filter(created_at__gte=day_start(filters.signed_from))
    if filters.signed_to:
        next_day = filters.signed_to + datetime.timedelta(days=1)
        queryset = queryset.filter(created_at__lt=day_start(next_day))
    if filters.query:
        queryset = _search(
            queryset,
            filters.query,
            search_emails=search_emails,
            search_full_names=search_full_names,
        )
    return queryset.order_by("-created_at", "-id")


def _search(
    queryset: QuerySet[Signature], query: str, *, search_emails: bool, search_full_names: bool
) -> QuerySet:
    folded = search_key(query)[:100]
    matches = Q(supporter__search_name__contains=folded) if folded else Q(pk__in=[])
    if search_full_names and query.strip():
        matches |= Q(supporter__full_name__icontains=query.strip()[:100])
    if search_emails and "@" in query:
        matches |= Q(supporter__email_key=email_key(query.strip()))
    return queryset.filter(matches)


def signatory_page(
    *, queryset: QuerySet[Signature], cursor: str = "", size: int = PAGE_SIZE
) -> keyset.Page[Signature]:
    """One page of ``queryset`` (from ``signatories``), newest first, after ``cursor``."""
    return keyset.page(queryset, cursor=cursor, size=size)


# --- Held signatures ------------------------------------------------------------------------


def held_signatures(*, campaign: Campaign, filters: SignatoryFilters) -> QuerySet[Signature]:
    """Signatures held for review matching ``filters`` (whatever their ``moderation`` says)."""
    return signatories(campaign=campaign, filters=dataclasses.replace(filters, moderation="held"))


def held_page(*, campaign: Campaign, filters: SignatoryFilters, cursor: str = "") -> Page:
    """One page of the held queue, oldest first: the longest-waiting are decided first."""
    return _page(
        held_signatures(campaign=campaign, filters=filters), cursor=cursor, newest_first=False
    )


def held_count(*, campaign: Campaign) -> int:
    """How many signatures wait in the held queue (counted from its partial index)."""
    return Signature.objects.filter(campaign=campaign, moderation=Signature.Moderation.HELD).count()


# --- Verification requests ------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationFilters:
    query: str = ""
    method: str = ""
    field_of_work: str = ""
    country: str = ""

    @property
    def is_active(self) -> bool:
        return bool(self.query or self.method or self.field_of_work or self.country)


def pending_verifications(*, filters: VerificationFilters) -> QuerySet[Verification]:
    queryset = Verification.objects.filter(status=Verification.Status.PENDING).select_related(
        "supporter"
    )
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.field_of_work:
        queryset = queryset.filter(supporter__field_of_work=filters.field_of_work)
    if filters.country:
        queryset = queryset.filter(supporter__country=filters.country)
    if filters.query:
        queryset = queryset.filter(supporter_matches(filters.query, prefix="supporter__"))
    return queryset


def verification_page(*, filters: VerificationFilters, cursor: str = "") -> Page:
    """One page of pending verification requests, oldest first."""
    return _page(pending_verifications(filters=filters), cursor=cursor, newest_first=False)


def pending_verification_count() -> int:
    return Verification.objects.filter(status=Verification.Status.PENDING).count()


@dataclass(frozen=True)
class EvidenceLink:
    url: str
    is_web_address: bool


@dataclass(frozen=True)
class Evidence:
    """What a verification request offers, ready to show: only web addresses become links."""

    message: str
    links: list[EvidenceLink]
    identifiers: list[dict]
    page_url: EvidenceLink | None
    check_result: str


IDENTIFIER_FIELDS = {
    "isni": IdentifierKind.ISNI,
    "ipi": IdentifierKind.IPI,
    "imdb_id": IdentifierKind.IMDB,
    "musicbrainz_id": IdentifierKind.MUSICBRAINZ,
    "wikidata_id": IdentifierKind.WIKIDATA,
}


def _link(value: object) -> EvidenceLink:
    text = str(value)
    return EvidenceLink(url=text, is_web_address=urlsplit(text).scheme in ("http", "https"))


def evidence_of(verification: Verification) -> Evidence:
    """The evidence of ``verification`` as given (identifiers with their public pages)."""
    data = verification.evidence if isinstance(verification.evidence, dict) else {}
    identifiers = []
    for field, value in (data.get("identifiers") or {}).items():
        kind = IDENTIFIER_FIELDS.get(field)
        if kind is None or not value:
            continue
        identifiers.append(
            {
                "label": kind.label,
                "display": format_identifier(kind, str(value)),
                "url": identifier_url(kind, str(value)),
            }
        )
    page_url = data.get("page_url")
    return Evidence(
        message=str(data.get("message") or ""),
        links=[_link(link) for link in data.get("links") or [] if link],
        identifiers=identifiers,
        page_url=_link(page_url) if page_url else None,
        check_result=str(data.get("result") or ""),
    )


def verification_detail(*, verification_id: int) -> Verification | None:
    return (
        Verification.objects.select_related("supporter", "decided_by")
        .filter(pk=verification_id)
        .first()
    )


# --- One signatory ------------------------------------------------------------------------


def signature_detail(*, campaign: Campaign, signature_id: int) -> Signature | None:
    return (
        Signature.objects.select_related("supporter", "campaign")
        .filter(campaign=campaign, pk=signature_id)
        .first()
    )


def supporter_verifications(*, supporter: Supporter, limit: int = 20) -> list[Verification]:
    return list(
        supporter.verifications.select_related("decided_by").order_by("-created_at", "-id")[:limit]
    )


def supporter_audit_events(*, supporter: Supporter, limit: int = 50) -> list[AuditEvent]:
    """The latest events about ``supporter``, newest first (the audit page has the rest)."""
    return list(
        AuditEvent.objects.filter(supporter=supporter)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def signature_for_supporter(*, campaign: Campaign, supporter: Supporter) -> Signature | None:
    return Signature.objects.filter(campaign=campaign, supporter=supporter).first()
