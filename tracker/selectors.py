"""Reads shared by the tracker's pages, its feed, the API and the home page.

The overview costs a fixed number of queries whatever the number of companies (criteria,
companies, published assessments); sorting happens in Python over that one page of rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q

from .models import (
    STATUS_ICON,
    STATUS_RANK,
    Assessment,
    Company,
    Criterion,
    Deal,
    Revision,
    Source,
    Status,
    StatusChange,
    SupporterAction,
)

logger = logging.getLogger(__name__)

SORT_DEFAULT = "name"
FEED_SIZE = 50


@dataclass(frozen=True)
class Cell:
    """One company's published position on one criterion (``revision`` None: not assessed)."""

    criterion: Criterion
    revision: Revision | None

    @property
    def status(self) -> str:
        return self.revision.status if self.revision else ""

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.revision else ""

    @property
    def icon(self) -> str:
        return STATUS_ICON[Status(self.status)] if self.revision else "–"

    @property
    def rank(self) -> int:
        return STATUS_RANK[Status(self.status)] if self.revision else len(STATUS_RANK)


@dataclass
class Row:
    company: Company
    cells: list[Cell]

    @property
    def kept(self) -> int:
        return sum(1 for cell in self.cells if cell.status == Status.KEPT)

    def rank_for(self, code: str) -> int:
        for cell in self.cells:
            if cell.criterion.code == code:
                return cell.rank
        return len(STATUS_RANK)


@dataclass
class Overview:
    criteria: list[Criterion]
    rows: list[Row]
    sort: str
    has_samples: bool = False
    sort_keys: list[str] = field(default_factory=list)


def active_criteria() -> list[Criterion]:
    return list(Criterion.objects.filter(is_active=True).order_by("position", "id"))


def _published_revisions(companies: list[Company]) -> dict[tuple[int, int], Revision]:
    assessments = Assessment.objects.filter(
        company__in=[c.pk for c in companies], published__isnull=False
    ).select_related("published")
    return {(a.company_id, a.criterion_id): a.published for a in assessments}


def overview(*, sort: str = SORT_DEFAULT) -> Overview:
    """Every listed company × every shown criterion, sorted by ``sort`` (``name``,
    ``-name``, ``kind`` or a criterion's code, best status first); an unknown key sorts by
    name. Three queries, whatever the number of companies."""
    criteria = active_criteria()
    companies = list(Company.objects.listed())
    published = _published_revisions(companies) if companies else {}
    rows = [
        Row(company, [Cell(c, published.get((company.pk, c.pk))) for c in criteria])
        for company in companies
    ]
    keys = ["name", "-name", "kind", *(c.code for c in criteria)]
    if sort not in keys:
        sort = SORT_DEFAULT
    rows.sort(key=_sort_key(sort), reverse=sort == "-name")
    store_figures(len(rows), sum(row.kept for row in rows))
    return Overview(
        criteria=criteria,
        rows=rows,
        sort=sort,
        has_samples=any(c.is_sample for c in companies),
        sort_keys=keys,
    )


def _sort_key(sort: str):
    by_name = lambda row: row.company.name.casefold()  # noqa: E731
    if sort in ("name", "-name"):
        return by_name
    if sort == "kind":
        return lambda row: (str(row.company.get_kind_display()).casefold(), by_name(row))
    return lambda row: (row.rank_for(sort), by_name(row))


@dataclass
class CompanyPage:
    company: Company
    cells: list[Cell]
    timeline: list[StatusChange]
    deals: list[Deal]
    letters: int


def _sources_first() -> Prefetch:
    return Prefetch("sources", queryset=Source.objects.order_by("-published_on", "id"))


def company_page(*, slug: str) -> CompanyPage | None:
    """A listed company with its published entries (and their sources), its timeline, its
    published deals and how many signatories wrote to it; None when not listed."""
    company = (
        Company.objects.listed()
        .annotate(letters=Count("supporter_actions"))
        .filter(slug=slug)
        .first()
    )
    if company is None:
        return None
    criteria = active_criteria()
    revisions = {
        r.assessment.criterion_id: r
        for r in Revision.objects.filter(
            assessment__company=company, state=Revision.State.PUBLISHED
        )
        .select_related("assessment")
        .prefetch_related(_sources_first())
    }
    return CompanyPage(
        company=company,
        cells=[Cell(c, revisions.get(c.pk)) for c in criteria],
        timeline=list(
            StatusChange.objects.filter(assessment__company=company).select_related(
                "assessment__criterion", "source"
            )
        ),
        deals=list(published_deals().filter(companies=company)),
        letters=company.letters,
    )


def listed_company(*, slug: str) -> Company | None:
    return Company.objects.listed().filter(slug=slug).first()


def has_written(*, company: Company, supporter) -> bool:
    return SupporterAction.objects.filter(company=company, supporter=supporter).exists()


def published_deals():
    """Public deals, newest first, with their tracked parties and sources."""
    return (
        Deal.objects.filter(state=Deal.State.PUBLISHED)
        .prefetch_related(
            Prefetch("companies", queryset=Company.objects.listed()), _sources_first()
        )
        .order_by("-announced_on", "-id")
    )


def latest_changes(*, limit: int = FEED_SIZE) -> list[StatusChange]:
    """The newest public status changes of listed companies (the Atom feed, the API)."""
    return list(
        StatusChange.objects.filter(assessment__company__is_listed=True)
        .select_related("assessment__company", "assessment__criterion", "source", "revision")
        .defer("assessment__company__logo_png")
        .order_by("-published_at", "-id")[:limit]
    )


FIGURES_KEY = "tracker:figures"


def figures() -> tuple[int, int] | None:
    """(companies tracked, commitments kept) for the home page, from the cache only: the home
    page is the page a surge hits and makes no query for them. They are stored by the
    overview (which has them for free) and after every publication (``refresh_figures``);
    None until then, and the home page then leaves them out."""
    try:
        cached = cache.get(FIGURES_KEY)
    except Exception:  # a cache that is down is a cache miss
        return None
    return tuple(cached) if cached is not None else None


def store_figures(companies: int, kept: int) -> None:
    try:
        cache.set(FIGURES_KEY, (companies, kept), None)
    except Exception:  # the figures wait for the next publication or visit
        logger.warning("Cache unavailable: tracker figures not stored", exc_info=True)


def refresh_figures() -> tuple[int, int]:
    """Count again (one query) and store; called after each change the public can see."""
    totals = Company.objects.filter(is_listed=True).aggregate(
        companies=Count("id", distinct=True),
        kept=Count(
            "assessments",
            filter=Q(
                assessments__published__status=Status.KEPT,
                assessments__criterion__is_active=True,
            ),
        ),
    )
    store_figures(totals["companies"], totals["kept"])
    return totals["companies"], totals["kept"]


def logo_of(*, slug: str) -> Company | None:
    return Company.objects.filter(slug=slug, is_listed=True).exclude(logo_version="").first()
