"""``/api/v1/tracker/``: the AI companies tracker (the public pages' data): each listed company's
published position on each demand with its sources, the history of changes and the licensing
deals. Texts come in both languages. A router of its own, added to the API in ``api.views``."""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop
from ninja import Field, Path, Router, Schema
from ninja.errors import HttpError

from tracker import selectors
from tracker.models import Company, CompanyKind, Deal, Revision, Source, Status, StatusChange

from . import schemas

router = Router(tags=["tracker"])

COMMON = {429: schemas.Error}
Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,80}$", examples=["example-ai"])]
STATUS_VALUES = ", ".join(f"`{s.value}`" for s in Status)


class Criterion(Schema):
    code: str = Field(examples=["licensing"])
    title: schemas.Translated
    description: schemas.Translated
    is_demand: bool = Field(description="One of the appeal's three demands (else organisers' own).")


class SourceOut(Schema):
    url: str
    title: str
    date: datetime.date
    archive_url: str | None


class Position(Schema):
    criterion: str = Field(examples=["licensing"])
    status: str | None = Field(
        description=f"One of {STATUS_VALUES}; null when not assessed yet.", examples=["made"]
    )
    since: datetime.date | None
    summary: schemas.Translated | None
    sources: list[SourceOut]


class CompanySummary(Schema):
    slug: str
    name: str
    kind: str = Field(examples=[CompanyKind.MODEL_DEVELOPER.value])
    website: str | None
    page_url: schemas.Translated
    logo_url: str | None
    is_sample: bool = Field(description="Made-up demonstration data.")
    positions: list[Position]


class Change(Schema):
    company: str = Field(examples=["example-ai"])
    criterion: str = Field(examples=["opt-out"])
    from_status: str | None = Field(description="Null when first assessed.")
    to_status: str
    date: datetime.date
    published_at: datetime.datetime
    source: SourceOut | None


class DealOut(Schema):
    slug: str
    title: schemas.Translated
    licensed: schemas.Translated
    announced_on: datetime.date
    companies: list[str] = Field(description="Slugs of the tracked companies party to the deal.")
    other_parties: list[str]
    is_sample: bool
    sources: list[SourceOut]


class CompanyDetail(CompanySummary):
    letters: int = Field(description="Signatories who wrote to the company from its page.")
    history: list[Change]
    deals: list[DealOut]


class Overview(Schema):
    criteria: list[Criterion]
    companies: list[CompanySummary]


def _both(obj, name: str) -> dict:
    english = getattr(obj, f"{name}_en") or ""
    return {"en": english, "fr": getattr(obj, f"{name}_fr") or english}


def _source(source: Source | None) -> dict | None:
    if source is None:
        return None
    return {
        "url": source.url,
        "title": source.title,
        "date": source.published_on,
        "archive_url": source.archive_url or None,
    }


def _position(cell: selectors.Cell, sources: bool) -> dict:
    revision: Revision | None = cell.revision
    return {
        "criterion": cell.criterion.code,
        "status": revision.status if revision else None,
        "since": revision.happened_on if revision else None,
        "summary": _both(revision, "summary") if revision else None,
        "sources": [_source(s) for s in revision.sources.all()] if revision and sources else [],
    }


def _company(company: Company, cells: list[selectors.Cell], sources: bool = False) -> dict:
    pages = {}
    for code in ("en", "fr"):
        with translation.override(code):
            pages[code] = reverse("tracker:company", kwargs={"slug": company.slug})
    return {
        "slug": company.slug,
        "name": company.name,
        "kind": company.kind,
        "website": company.website or None,
        "page_url": pages,
        "logo_url": reverse(
            "tracker_logos:logo", kwargs={"slug": company.slug, "version": company.logo_version}
        )
        if company.has_logo
        else None,
        "is_sample": company.is_sample,
        "positions": [_position(cell, sources) for cell in cells],
    }


def _change(change: StatusChange) -> dict:
    return {
        "company": change.assessment.company.slug,
        "criterion": change.assessment.criterion.code,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "date": change.happened_on,
        "published_at": change.published_at,
        "source": _source(change.source),
    }


def _deal(deal: Deal) -> dict:
    return {
        "slug": deal.slug,
        "title": _both(deal, "title"),
        "licensed": _both(deal, "licensed"),
        "announced_on": deal.announced_on,
        "companies": [company.slug for company in deal.companies.all()],
        "other_parties": deal.other_party_names,
        "is_sample": deal.is_sample,
        "sources": [_source(s) for s in deal.sources.all()],
    }


@router.get(
    "/",
    response={200: Overview, **COMMON},
    url_name="tracker",
    summary=gettext_noop("The AI companies tracker"),
    description=gettext_noop(
        "The criteria (the appeal's three demands first) and every tracked company with its "
        "published status on each, as on the tracker's page."
    ),
)
def tracker_overview(request: HttpRequest):
    table = selectors.overview()
    return {
        "criteria": [
            {
                "code": c.code,
                "title": _both(c, "title"),
                "description": _both(c, "description"),
                "is_demand": c.is_core,
            }
            for c in table.criteria
        ],
        "companies": [_company(row.company, row.cells) for row in table.rows],
    }


@router.get(
    "/companies/{slug}",
    response={200: CompanyDetail, 404: schemas.Error, 422: schemas.ValidationErrors, **COMMON},
    url_name="tracker_company",
    summary=gettext_noop("One tracked company"),
    description=gettext_noop(
        "Its positions with their sources, the history of its changes of status and its "
        "public licensing deals."
    ),
)
def tracker_company(request: HttpRequest, slug: Slug):
    page = selectors.company_page(slug=slug)
    if page is None:
        raise HttpError(404, "No such company.")
    return {
        **_company(page.company, page.cells, sources=True),
        "letters": page.letters,
        "history": [_change(change) for change in page.timeline],
        "deals": [_deal(deal) for deal in page.deals],
    }


@router.get(
    "/changes",
    response={200: list[Change], **COMMON},
    url_name="tracker_changes",
    summary=gettext_noop("Latest changes of status"),
    description=gettext_noop("The 50 most recent, newest first (also an Atom feed)."),
)
def tracker_changes(request: HttpRequest):
    return [_change(change) for change in selectors.latest_changes()]


@router.get(
    "/deals",
    response={200: list[DealOut], **COMMON},
    url_name="tracker_deals",
    summary=gettext_noop("Licensing deals"),
    description=gettext_noop("Every public licensing deal, newest first, with its sources."),
)
def tracker_deals(request: HttpRequest):
    return [_deal(deal) for deal in selectors.published_deals()]
