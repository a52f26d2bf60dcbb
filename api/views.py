"""The public JSON API at ``/api/v1/``, built with django-ninja: read-only, one thin function per
endpoint (parse → selector → schema). ``api.urls`` wraps every view in ``http.public_api``
(rate limit, caching headers, ETag)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import NinjaAPI, Query
from ninja.errors import HttpError

from campaign.models import FieldOfWork
from campaign.selectors import current_campaign
from optouts import documents as optout_documents
from optouts import selectors as optout_selectors
from optouts.models import OptOutDeclaration
from signatures import normalize
from signatures import selectors as signature_selectors
from signatures.models import Signature, Supporter
from signatures.normalize import clean_text
from signatures.services import profile_permalink

from . import schemas
from .bulk import OPTOUTS_JSONL_MEDIA_TYPE, optouts_jsonl
from .selectors import campaign_figures

DESCRIPTION = """\
Public data of the appeal *Stealing Isn't Innovation*: the live count, the supporters who chose
to be listed, and the registry of artists who reserve their works from text and data mining and
AI training (EU Directive 2019/790, Article 4(3)).

Read-only and open to any origin (CORS) for `GET`. Answers may be cached for a few seconds and
carry an `ETag`: send it back in `If-None-Match` to get `304 Not Modified`. Each client address
may make a limited number of requests per minute; beyond it the answer is `429` with
`Retry-After`. No email address and no supporter who asked not to be listed ever appears.
"""

# Answers every operation may give besides its own.
COMMON = {429: schemas.Error}

api = NinjaAPI(
    title="Stealing Isn't Innovation — public API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,  # The docs page is ours (api.docs): server-rendered, no CDN, no JavaScript.
)


# --- The campaign -------------------------------------------------------------------------


@api.get(
    "/count",
    response={200: schemas.Count, 404: schemas.Error, **COMMON},
    url_name="count",
    summary=gettext_noop("The live count"),
    description=gettext_noop(
        "The number of counted signatures and the goal; at most a few seconds old."
    ),
    tags=["campaign"],
)
def count(request: HttpRequest):
    campaign = current_campaign()
    return {
        "count": campaign.signature_count,
        "goal": campaign.goal,
        "updated_at": campaign.count_refreshed_at,
    }


@api.get(
    "/campaign",
    response={200: schemas.Campaign, 404: schemas.Error, **COMMON},
    url_name="campaign",
    summary=gettext_noop("The campaign and its figures"),
    description=gettext_noop(
        "Title, count and goal, and counted signatures by country and by field of work."
    ),
    tags=["campaign"],
)
def campaign(request: HttpRequest):
    campaign = current_campaign()
    figures = campaign_figures(campaign=campaign)
    return {
        "slug": campaign.slug,
        "title": {"en": campaign.title_en, "fr": campaign.title_fr or campaign.title_en},
        "status": campaign.status,
        "count": campaign.signature_count,
        "goal": campaign.goal,
        "count_updated_at": campaign.count_refreshed_at,
        "by_country": [{"country": c, "count": n} for c, n in figures.by_country],
        "by_field_of_work": [{"field_of_work": f, "count": n} for f, n in figures.by_field_of_work],
        "verified_count": figures.verified,
        "last_signed_at": figures.last_signed_at,
    }


# --- Supporters ---------------------------------------------------------------------------


@api.get(
    "/supporters",
    response={
        200: schemas.SupporterPage,
        400: schemas.Error,
        404: schemas.Error,
        422: schemas.ValidationErrors,
        **COMMON,
    },
    url_name="supporters",
    summary=gettext_noop("Supporters who chose to be listed"),
    description=gettext_noop(
        "Newest first, with the directory's filters. Follow `next_cursor` for the next "
        "page; pages neither skip nor repeat anyone while people sign."
    ),
    tags=["supporters"],
)
def supporters(request: HttpRequest, params: Query[schemas.SupporterQuery]):
    try:
        query = clean_text(params.q)
    except ValidationError:  # control or direction-changing characters
        raise HttpError(400, "The search contains characters that cannot be searched.") from None
    if params.cursor and not _valid_directory_cursor(params.cursor):
        raise HttpError(400, "This cursor is not one the API gave.")
    filters = signature_selectors.DirectoryFilters(
        field_of_work=params.field or "",
        country=(params.country or "").upper(),
        verified_only=params.verified,
        query=query,
    )
    page = signature_selectors.directory_page(
        campaign=current_campaign(),
        filters=filters,
        cursor=params.cursor,
        size=params.limit,
        columns=signature_selectors.PROFILE_FIELDS,
    )
    return {
        "results": [_supporter(signature) for signature in page.entries],
        "next_cursor": page.next_cursor or None,
    }


@api.get(
    "/supporters/{public_id}",
    response={200: schemas.Supporter, 404: schemas.Error, 422: schemas.ValidationErrors, **COMMON},
    url_name="supporter",
    summary=gettext_noop("One listed supporter"),
    tags=["supporters"],
)
def supporter(request: HttpRequest, public_id: schemas.PublicId):
    signature = signature_selectors.public_profile(campaign=current_campaign(), public_id=public_id)
    if signature is None:
        raise Http404("No such supporter")
    return _supporter(signature)


def _valid_directory_cursor(cursor: str) -> bool:
    return signature_selectors.decode_cursor(cursor) is not None


def _supporter(signature: Signature) -> dict:
    supporter = signature.supporter
    return {
        "public_id": supporter.public_id,
        "name": supporter.public_name,
        "slug": supporter.slug,
        "profile_url": profile_permalink(supporter),
        "field_of_work": supporter.field_of_work,
        "fields_of_work": _field_codes(supporter),
        "country": supporter.country.code,
        "known_for": supporter.known_for,
        "verified": supporter.is_verified,
        "verification": _verification(supporter),
        "identifiers": _identifiers(supporter),
        "links": _links(supporter),
        "signed_at": signature.confirmed_at,
    }


def _field_codes(supporter: Supporter) -> list[str]:
    codes = [supporter.field_of_work, *supporter.other_fields]
    return [c for i, c in enumerate(codes) if c in FieldOfWork.values and c not in codes[:i]]


def _verification(supporter: Supporter) -> dict | None:
    if not supporter.is_verified:
        return None
    return {"method": supporter.verification_method, "verified_at": supporter.verified_at}


def _identifiers(supporter: Supporter) -> list[dict]:
    return [
        {"scheme": item["label"], "value": item["display"], "url": item["url"] or None}
        for item in supporter.public_identifiers
    ]


def _links(supporter: Supporter) -> list[str]:
    """The supporter's links, each as ``normalize.public_link`` hands it out (encoded; one that
    cannot be made safe is left out), each once."""
    links: list[str] = []
    for link in [supporter.link, *supporter.links]:
        safe = normalize.public_link(link)
        if safe and safe not in links:
            links.append(safe)
    return links


# --- The opt-out registry -----------------------------------------------------------------


@api.get(
    "/optouts/",
    response={
        200: schemas.OptOutPage,
        400: schemas.Error,
        404: schemas.Error,
        422: schemas.ValidationErrors,
        **COMMON,
    },
    url_name="optouts",
    summary=gettext_noop("The AI-training opt-out registry"),
    description=gettext_noop(
        "Declarations in force by verified artists who are listed publicly, newest "
        "first, with the places checked to carry the artist's link-back proof. A withdrawn "
        "declaration leaves the registry."
    ),
    tags=["opt-outs"],
)
def optouts(request: HttpRequest, params: Query[schemas.PageQuery]):
    if params.cursor and optout_selectors.decode_cursor(params.cursor) is None:
        raise HttpError(400, "This cursor is not one the API gave.")
    page = optout_selectors.registry_page(
        campaign=current_campaign(), cursor=params.cursor, size=params.limit
    )
    return {
        "results": [optout_entry(declaration) for declaration in page.entries],
        "next_cursor": page.next_cursor or None,
    }


@api.get(
    "/optouts.jsonl",
    response={200: None, 404: schemas.Error, **COMMON},
    url_name="optouts_bulk",
    summary=gettext_noop("The whole opt-out registry, one declaration per line"),
    description=gettext_noop("JSON Lines: each line is one declaration, as in `/optouts/`."),
    tags=["opt-outs"],
    openapi_extra={
        "responses": {
            200: {
                "description": "One JSON object (an `OptOut`) per line.",
                "content": {OPTOUTS_JSONL_MEDIA_TYPE: {"schema": {"type": "string"}}},
            }
        }
    },
)
def optouts_bulk(request: HttpRequest):
    return optouts_jsonl(campaign=current_campaign(), entry=optout_entry)


@api.get(
    "/optouts/{uid}/policy",
    response={200: None, 404: schemas.Error, 422: schemas.ValidationErrors, **COMMON},
    url_name="optout_policy",
    summary=gettext_noop("The TDM policy of a declaration"),
    description=gettext_noop(
        "A W3C TDMRep policy: an ODRL offer in JSON-LD whose assigner is the artist, "
        "permitting text and data mining only with their consent."
    ),
    tags=["opt-outs"],
    openapi_extra={
        "responses": {
            200: {
                "description": "The policy (JSON-LD).",
                "content": {optout_documents.POLICY_MEDIA_TYPE: {"schema": {"type": "object"}}},
            }
        }
    },
)
def optout_policy(request: HttpRequest, uid: schemas.PublicId):
    declaration = optout_selectors.published_declaration(campaign=current_campaign(), uid=uid)
    if declaration is None:
        raise Http404("No such declaration")
    return HttpResponse(
        _json(optout_documents.tdm_policy(declaration)),
        content_type=optout_documents.POLICY_MEDIA_TYPE,
    )


def optout_entry(declaration: OptOutDeclaration) -> dict:
    """One registry entry (the same in ``/optouts/`` and in the bulk file)."""
    supporter = declaration.supporter
    return {
        "id": declaration.uid,
        "declarant": {
            "public_id": supporter.public_id,
            "name": supporter.public_name,
            "profile_url": profile_permalink(supporter),
            "verification": _verification(supporter),
            "identifiers": _identifiers(supporter),
        },
        "tdm_reservation": 1,
        "declared_at": declaration.declared_at,
        "locations": [
            {"url": url, "checked_at": location.checked_at}
            for location in declaration.checked_locations
            if (url := normalize.public_link(location.url))
        ],
        "policy_url": optout_documents.policy_url(declaration),
        "licensing_url": normalize.public_link(declaration.licensing_url) or None,
    }


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- The public ledger (api/ledger.py) ------------------------------------------------------

from .ledger import router as ledger_router  # noqa: E402

api.add_router("/ledger/", ledger_router)


# --- The AI companies tracker (api/tracker.py) ---------------------------------------------

from .tracker import router as tracker_router  # noqa: E402

api.add_router("/tracker/", tracker_router)
