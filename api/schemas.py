"""The shapes of the API's answers. Every field is public: no email address, and nothing about
a supporter who asked not to be listed. Examples feed the OpenAPI schema and the docs page."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_noop
from ninja import Field, Path, Schema

from campaign.models import FieldOfWork
from signatures.selectors import PAGE_SIZE as DIRECTORY_PAGE_SIZE

FieldOfWorkCode = Literal[tuple(FieldOfWork.values)]  # type: ignore[valid-type]

EXAMPLE_TIME = "2026-12-01T09:30:00Z"
EXAMPLE_PROFILE = "https://stealingisntinnovation.example/supporters/1f2e3d4c/"


# --- Query parameters (descriptions marked for translation: the docs page shows them) ----------


# What a search may not contain (normalize.clean_text refuses it): control characters and the
# invisible characters that change the direction of text.
SEARCHABLE = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"


# The random public ids of supporters and declarations (signatures.models.new_public_id,
# optouts.models.new_declaration_uid).
PublicId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,16}$", examples=["1f2e3d4c"])]


class PageQuery(Schema):
    cursor: str = Field(
        "",
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]*$",
        description=gettext_noop("The `next_cursor` of the previous page."),
    )
    limit: int = Field(50, ge=1, le=100, description=gettext_noop("Entries per page."))


class SupporterQuery(PageQuery):
    field: FieldOfWorkCode | None = Field(  # type: ignore[valid-type]
        None, description=gettext_noop("Only supporters whose main field of work is this one.")
    )
    country: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2}$",
        description=gettext_noop("Only supporters from this country (ISO 3166-1 alpha-2 code)."),
        examples=["FR"],
    )
    verified: bool = Field(False, description=gettext_noop("Only verified artists."))
    q: str = Field(
        "",
        max_length=100,
        pattern=SEARCHABLE,
        description=gettext_noop("Part of a name; accents and case ignored."),
    )
    limit: int = Field(
        DIRECTORY_PAGE_SIZE, ge=1, le=100, description=gettext_noop("Entries per page.")
    )


# --- Answers ------------------------------------------------------------------------------


class Error(Schema):
    detail: str = Field(examples=["Not Found"])


class ValidationErrors(Schema):
    detail: list[dict[str, Any]] = Field(
        examples=[[{"type": "enum", "loc": ["query", "field"], "msg": "Input should be ..."}]]
    )


class Count(Schema):
    count: int = Field(description="Counted signatures (confirmed, not under review).", ge=0)
    goal: int = Field(ge=0, examples=[10000])
    updated_at: datetime.datetime | None = Field(
        description="When the count was last recomputed.", examples=[EXAMPLE_TIME]
    )


class Translated(Schema):
    en: str = Field(examples=["Stealing Isn't Innovation"])
    fr: str = Field(examples=["Voler n'est pas innover"])


class CountryCount(Schema):
    country: str = Field(description="ISO 3166-1 alpha-2 code.", examples=["FR"])
    count: int = Field(ge=0, examples=[412])


class FieldCount(Schema):
    field_of_work: str = Field(examples=["musician"])
    count: int = Field(ge=0, examples=[230])


class Campaign(Schema):
    slug: str = Field(examples=["stealing-isnt-innovation"])
    title: Translated
    status: str = Field(examples=["live"])
    count: int = Field(ge=0, description="Counted signatures, as on the site.", examples=[1200])
    goal: int = Field(ge=0, examples=[10000])
    count_updated_at: datetime.datetime | None = Field(examples=[EXAMPLE_TIME])
    by_country: list[CountryCount] = Field(
        description="Counted signatures by the signer's country, largest first. Recomputed "
        "with the count, so the sums may briefly differ from it."
    )
    by_field_of_work: list[FieldCount] = Field(
        description="Counted signatures by the signer's main field of work, largest first."
    )
    verified_count: int = Field(
        ge=0, description="Counted signatures of verified artists.", examples=[140]
    )
    last_signed_at: datetime.datetime | None = Field(
        description="When the latest counted signature was confirmed.", examples=[EXAMPLE_TIME]
    )


class Identifier(Schema):
    scheme: str = Field(examples=["ISNI"])
    value: str = Field(examples=["0000 0001 2345 6789"])
    url: str | None = Field(examples=["https://isni.org/isni/0000000123456789"])


class Verification(Schema):
    method: str = Field(
        description="link_back: the artist linked to their profile from a page they control; "
        "review: organisers checked the evidence.",
        examples=["link_back"],
    )
    verified_at: datetime.datetime = Field(examples=[EXAMPLE_TIME])


class Supporter(Schema):
    public_id: str = Field(examples=["1f2e3d4c"])
    name: str = Field(
        description="The name as the supporter chose to show it (full, or first name and initial).",
        examples=["Ada L."],
    )
    slug: str = Field(examples=["ada-l-1f2e3d4c"])
    profile_url: str = Field(examples=[EXAMPLE_PROFILE])
    field_of_work: FieldOfWorkCode = Field(examples=["writer"])  # type: ignore[valid-type]
    fields_of_work: list[str] = Field(examples=[["writer", "screenwriter"]])
    country: str = Field(examples=["GB"])
    known_for: str = Field(examples=["Notes on the Analytical Engine"])
    verified: bool = Field(examples=[True])
    verification: Verification | None
    identifiers: list[Identifier]
    links: list[str] = Field(examples=[["https://ada.example/work"]])
    signed_at: datetime.datetime = Field(examples=[EXAMPLE_TIME])


class SupporterPage(Schema):
    results: list[Supporter]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page.",
        examples=["WyIyMDI2LTEyLTAxVDA5OjMwOjAwKzAwOjAwIiwgNDJd"],
    )


class Declarant(Schema):
    public_id: str = Field(examples=["1f2e3d4c"])
    name: str = Field(examples=["Ada Lovelace"])
    profile_url: str = Field(examples=[EXAMPLE_PROFILE])
    verification: Verification
    identifiers: list[Identifier]


class Location(Schema):
    url: str = Field(
        description="A site, or the part of a site under this address.",
        examples=["https://ada.example/portfolio/"],
    )
    checked_at: datetime.datetime = Field(
        description="When the page was found to carry the artist's link-back proof.",
        examples=[EXAMPLE_TIME],
    )


class OptOut(Schema):
    id: str = Field(examples=["a1b2c3d4e5f6"])
    declarant: Declarant
    tdm_reservation: Literal[1] = Field(
        description="TDMRep tdm-reservation: 1, text and data mining rights are reserved."
    )
    declared_at: datetime.datetime = Field(examples=[EXAMPLE_TIME])
    locations: list[Location]
    policy_url: str = Field(
        description="The TDMRep policy (an ODRL offer in JSON-LD) of this declaration.",
        examples=["https://stealingisntinnovation.example/api/v1/optouts/a1b2c3d4e5f6/policy"],
    )
    licensing_url: str | None = Field(
        description="Where to ask the artist for a licence, if they gave one.",
        examples=["https://ada.example/licensing"],
    )


class OptOutPage(Schema):
    results: list[OptOut]
    next_cursor: str | None = Field(examples=["WyIyMDI2LTEyLTAxVDA5OjMwOjAwKzAwOjAwIiwgN10"])
