"""Read queries the public pages share: the directory, profiles, featured and latest names."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet
from django_countries.fields import Country

from campaign import keyset
from campaign.models import Campaign, FieldOfWork
from campaign.selectors import kept_with_campaign

from .models import NameDisplay, Signature, Supporter
from .normalize import search_key

PAGE_SIZE = 30
# What a directory card shows (templates/includes/supporter_card.html) and its cursor: a page
# reads these columns only (the signatures' and signers' other columns, comments, salts,
# addresses, biographies, are never sent, nor turned into Python).
CARD_FIELDS = (
    "id",
    "confirmed_at",
    "supporter__id",
    "supporter__slug",
    "supporter__full_name",
    "supporter__name_display",
    "supporter__verified_at",
    "supporter__field_of_work",
    "supporter__country",
    "supporter__known_for",
)
# What a public profile shows (templates/signatures/profile.html), and no more.
PROFILE_FIELDS = (
    *CARD_FIELDS,
    "comment",
    "comment_hidden",
    "supporter__public_id",
    "supporter__other_fields",
    "supporter__verification_method",
    "supporter__bio",
    "supporter__link",
    "supporter__links",
    "supporter__isni",
    "supporter__ipi",
    "supporter__imdb_id",
    "supporter__musicbrainz_id",
    "supporter__wikidata_id",
)


@dataclass(frozen=True)
class DirectoryFilters:
    field_of_work: str = ""
    country: str = ""
    verified_only: bool = False
    query: str = ""

    @property
    def is_active(self) -> bool:
        return bool(self.field_of_work or self.country or self.verified_only or self.query)


# Lazy labels, translated when shown.
FIELD_LABELS = dict(FieldOfWork.choices)


class ListedSupporter:
    """A listed signer as a directory card shows them (``CARD_FIELDS``), made from one row of
    the page's query: no model instances, whose building cost a deep page more than
    PostgreSQL did. Reads like a ``Supporter`` wherever a card looks."""

    __slots__ = (
        "pk",
        "slug",
        "full_name",
        "name_display",
        "verified_at",
        "field_of_work",
        "country",
        "known_for",
    )
    public_name = Supporter.public_name
    is_verified = Supporter.is_verified

    def __init__(
        self, pk, slug, full_name, name_display, verified_at, field_of_work, country, known_for
    ) -> None:
        self.pk, self.slug, self.full_name = pk, slug, full_name
        self.name_display, self.verified_at = name_display, verified_at
        self.field_of_work, self.known_for = field_of_work, known_for
        self.country = Country(code=country)

    @property
    def id(self) -> int:
        return self.pk

    def get_field_of_work_display(self) -> str:
        return str(FIELD_LABELS.get(self.field_of_work, self.field_of_work))


@dataclass(frozen=True, slots=True)
class ListedSignature:
    """A directory entry: the signature's place in the order, and its signer's card."""

    pk: int
    confirmed_at: datetime.datetime
    supporter: ListedSupporter


@dataclass(frozen=True)
class DirectoryPage:
    # ``ListedSignature``s with the card's columns, ``Signature``s with any others.
    entries: list[ListedSignature] | list[Signature]
    next_cursor: str
    is_first: bool


def public_signatures(*, campaign: Campaign) -> QuerySet[Signature]:
    """Counted signatures of ``campaign`` whose signers chose to be listed, with the signer."""
    return Signature.objects.shown_publicly().filter(campaign=campaign).select_related("supporter")


def _newest_first(queryset: QuerySet[Signature]) -> QuerySet[Signature]:
    return queryset.order_by("-confirmed_at", "-id")


def encode_cursor(signature: Signature | ListedSignature) -> str:
    return keyset.encode_cursor(signature.confirmed_at, signature.pk)


decode_cursor = keyset.decode_cursor


# A search first lists the signers whose name matches, then takes their signatures in the
# directory's order. Past this many names, one is common enough that walking the directory in
# its order meets a page of them soon, and the search does that instead.
SEARCH_NAMES_MAX = 5000


def _search(queryset: QuerySet[Signature], query: str) -> QuerySet[Signature]:
    """Signatures whose signer's name contains the folded query; on PostgreSQL also names
    within a typo or two of it (trigram word similarity, served by a GIN index).

    In two steps: the matching names first (the trigram index finds them, whatever their
    place in the directory), then their signatures, newest first; no name, no second query.
    Done in one query, PostgreSQL walked the directory in order testing each signer's name:
    for a name a thousand signers share, it read thousands of rows to fill a page
    (docs/performance.md).
    """
    folded = search_key(query)[:100]
    if not folded:
        return queryset
    names = list(
        Supporter.objects.filter(_name_matches(folded))
        .exclude(name_display=NameDisplay.HIDDEN)
        .values_list("pk", flat=True)[: SEARCH_NAMES_MAX + 1]
    )
    if not names:
        return queryset.none()
    if len(names) <= SEARCH_NAMES_MAX:
        if connection.vendor == "postgresql":
            return queryset.filter(AnyOf(F("supporter_id"), names))
        return queryset.filter(supporter_id__in=names)
    return queryset.filter(_name_matches(folded, prefix="supporter__"))


class AnyOf(Lookup):
    """``column = ANY(%s::bigint[])`` for a list of ids, sent as one array literal
    (PostgreSQL). ``__in`` binds each value on its own, and a list adapted by psycopg is
    inspected value by value: for a few thousand ids, either cost more than the query."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, ids)


def _name_matches(folded: str, *, prefix: str = "") -> Q:
    matches = Q(**{f"{prefix}search_name__contains": folded})
    if connection.vendor == "postgresql":
        matches |= Q(**{f"{prefix}search_name__trigram_word_similar": folded})
    return matches


def directory_page(
    *,
    campaign: Campaign,
    filters: DirectoryFilters,
    cursor: str = "",
    size: int = PAGE_SIZE,
    columns: tuple[str, ...] = CARD_FIELDS,
) -> DirectoryPage:
    """One page of the public directory, newest first, after ``cursor``.

    Keyset pagination on (confirmed_at, id): each page costs the same at any depth, and rows
    that arrive meanwhile appear at the top without shifting the pages being read. The first
    page without filters, where everyone lands, is kept by each process while its copy of the
    campaign is current (as fresh as the count; campaign/selectors.py). Only ``columns`` are
    read: a card's by default; ``PROFILE_FIELDS`` for everything a profile shows.
    """
    if not cursor and not filters.is_active:
        return kept_with_campaign(
            ("directory-first", campaign.pk, size, columns),
            lambda: _directory_page(
                campaign=campaign, filters=filters, cursor="", size=size, columns=columns
            ),
        )
    return _directory_page(
        campaign=campaign, filters=filters, cursor=cursor, size=size, columns=columns
    )


def _directory_page(
    *,
    campaign: Campaign,
    filters: DirectoryFilters,
    cursor: str,
    size: int,
    columns: tuple[str, ...],
) -> DirectoryPage:
    queryset = public_signatures(campaign=campaign)
    if filters.field_of_work:
        queryset = queryset.filter(supporter__field_of_work=filters.field_of_work)
    if filters.country:
        queryset = queryset.filter(supporter__country=filters.country)
    if filters.verified_only:
        queryset = queryset.filter(supporter__verified_at__isnull=False)
    if filters.query:
        queryset = _search(queryset, filters.query)
    position = decode_cursor(cursor)
    if position is not None:
        # One row comparison, (confirmed_at, id) < cursor: the index starts at the cursor, also
        # among rows confirmed at one moment (campaign.keyset.after; docs/performance.md).
        queryset = keyset.after(queryset, position=position, field="confirmed_at")
    ordered = _newest_first(queryset)[: size + 1]
    if columns == CARD_FIELDS:
        rows = [
            ListedSignature(pk=pk, confirmed_at=at, supporter=ListedSupporter(*card))
            for pk, at, *card in ordered.values_list(*CARD_FIELDS)
        ]
    else:
        rows = list(ordered.only(*columns))
    entries = rows[:size]
    next_cursor = encode_cursor(entries[-1]) if len(rows) > size else ""
    return DirectoryPage(entries=entries, next_cursor=next_cursor, is_first=position is None)


def latest_signatories(*, campaign: Campaign, limit: int = 8) -> list[Signature]:
    """The newest listed signatories; kept by each process while its copy of the campaign is
    current (a few seconds in a surge: as fresh as the count; campaign/selectors.py)."""
    return kept_with_campaign(
        ("latest", campaign.pk, limit),
        lambda: list(_newest_first(public_signatures(campaign=campaign))[:limit]),
    )


def featured_supporters(*, campaign: Campaign, limit: int = 8) -> list[Signature]:
    """The supporters organisers chose to feature, in their order (kept like the latest)."""
    return kept_with_campaign(
        ("featured", campaign.pk, limit),
        lambda: list(
            public_signatures(campaign=campaign)
            .filter(supporter__is_featured=True)
            .order_by("supporter__featured_position", "-confirmed_at")[:limit]
        ),
    )


def public_profile(*, campaign: Campaign, public_id: str) -> Signature | None:
    """The signature (with its signer) behind a public profile, if the public may see it."""
    return (
        public_signatures(campaign=campaign)
        .filter(supporter__public_id=public_id)
        .only(*PROFILE_FIELDS)
        .first()
    )
