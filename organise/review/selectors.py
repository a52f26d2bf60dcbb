"""Read queries of the review queues, the signatory pages and the audit trail.

Every list is keyset-paginated on (created_at, id) and served by an index: the held queue by
``signature_held``, the verification queue by ``verification_queue``, the signatory list by
``signature_recent`` (see ``organise.selectors``) and the audit trail by the index on
``AuditEvent.created_at``. A page costs the same few queries at any depth and any size.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from campaign import keyset
from campaign.models import Campaign
from signatures.identifiers import IdentifierKind, format_identifier, identifier_url
from signatures.models import AuditEvent, Signature, Supporter, Verification
from signatures.normalize import search_key

from .roles import Role
from .selectors import PAGE_SIZE, SignatoryFilters, signatories

Page = keyset.Page


def _page(queryset: QuerySet, *, cursor: str, newest_first: bool, size: int = PAGE_SIZE) -> Page:
    return keyset.page(queryset, cursor=cursor, size=size, newest_first=newest_first)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


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
        queryset = queryset.filter(_name_matches(filters.query, prefix="supporter__"))
    return queryset


def verification_page(*, filters: VerificationFilters, cursor: str = "") -> Page:
    """One page of pending verification requests, oldest first."""
    return _page(pending_verifications(filters=filters), cursor=cursor, newest_first=False)


def pending_verification_count() -> int:
    return Verification.objects.filter(status=Verification.Status.PENDING).count()


def _name_matches(query: str, *, prefix: str) -> Q:
    """A supporter's public name (folded) or full name containing ``query``, or their public
    id exactly. Organisers look for the person, whatever name they chose to show."""
    folded = search_key(query)[:100]
    matches = Q(**{f"{prefix}public_id": query.strip()})
    if folded:
        matches |= Q(**{f"{prefix}search_name__contains": folded})
    return matches | Q(**{f"{prefix}full_name__icontains": query.strip()[:100]})


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


# --- The audit trail ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    who: str = ""
    automatic_only: bool = False
    supporter: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    @property
    def is_active(self) -> bool:
        return any(
            value not in ("", None, False)
            for value in (
                self.action,
                self.who,
                self.automatic_only,
                self.supporter,
                self.date_from,
                self.date_to,
            )
        )


def audit_events(*, filters: AuditFilters, personal_data: bool = False) -> QuerySet[AuditEvent]:
    """Audit events matching ``filters``, with who did it and to whom.

    ``action`` matches exactly, or a whole family when it names one (``signature`` matches
    ``signature.rejected``, ``signature.released``…). ``who`` matches the actor's address or
    user name; without ``personal_data`` only people who run the appeal are matched, so that
    the filter cannot be used to find out a supporter's address."""
    queryset = AuditEvent.objects.select_related("actor", "supporter")
    if filters.action:
        action = filters.action.strip().rstrip(".")
        queryset = queryset.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if filters.automatic_only:
        queryset = queryset.filter(actor__isnull=True)
    elif filters.who:
        who = filters.who.strip()
        queryset = queryset.filter(
            Q(actor__email__icontains=who) | Q(actor__username__icontains=who)
        )
        if not personal_data:
            queryset = queryset.filter(_runs_the_appeal())
    if filters.supporter:
        queryset = queryset.filter(_name_matches(filters.supporter, prefix="supporter__"))
    if filters.date_from:
        queryset = queryset.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + datetime.timedelta(days=1)
        queryset = queryset.filter(created_at__lt=_day_start(next_day))
    return queryset


def _runs_the_appeal() -> Q:
    in_a_role = get_user_model().groups.through.objects.filter(
        user_id=OuterRef("actor_id"), group__name__in=[role.value for role in Role]
    )
    return Q(actor__is_staff=True) | Q(actor__is_superuser=True) | Exists(in_a_role)


def audit_page(*, filters: AuditFilters, cursor: str = "", personal_data: bool = False) -> Page:
    """One page of the audit trail, newest first."""
    return _page(
        audit_events(filters=filters, personal_data=personal_data),
        cursor=cursor,
        newest_first=True,
    )
