"""``/api/v1/ledger/``: the public ledger of signatures (see docs/ledger.md): signed tree heads,
entries by range as JSON Lines, inclusion and consistency proofs (RFC 9162), receipts.

A router of its own, added to the API in ``api.views``; every answer is public data (no
signature or signer is named: entries carry salted commitments only)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from ledger import formats, merkle, selectors
from ledger.models import Log

from . import schemas

router = Router(tags=["ledger"])

JSONL_MEDIA_TYPE = "application/jsonl; charset=utf-8"
DEFAULT_PAGE = 1000
MAX_INT = 2**53 - 1  # Within every database's integers and JavaScript's exact numbers.
EXAMPLE_HASH = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
COMMON = {404: schemas.Error, 422: schemas.ValidationErrors, 429: schemas.Error}

Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,80}$", examples=["stealing-isnt-innovation"])]
Commitment = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", examples=[EXAMPLE_HASH])]


class PublicKey(Schema):
    algorithm: str = Field(examples=["Ed25519"])
    hex: str
    base64: str
    key_id: str


class TreeHead(Schema):
    campaign: str
    size: int
    root_hash: str = Field(examples=[EXAMPLE_HASH])
    timestamp: str = Field(examples=["2026-12-05T09:00:00Z"])
    signature: str = Field(description="Ed25519 over `signed_text`, base64.")
    key_id: str
    counted: int = Field(description="Signatures counted according to the first `size` entries.")
    signed_text: str


class LogSummary(Schema):
    campaign: str
    size: int
    counted: int
    latest_head: TreeHead | None


class LedgerIndex(Schema):
    format: str = Field(examples=[formats.TREE_HEAD_HEADER])
    public_key: PublicKey | None = Field(description="Null while the site has no signing key.")
    logs: list[LogSummary]


class LogStatus(Schema):
    campaign: str
    size: int = Field(description="Entries sequenced into the tree.")
    root_hash: str
    counted: int
    site_count: int | None = Field(
        description="The site's count of signatures when the log held `site_count_at_size` "
        "entries (taken in one database snapshot with the log)."
    )
    site_count_at_size: int | None
    site_count_checked_at: str | None
    unsequenced: int
    sequenced_at: str | None


class HeadPage(Schema):
    heads: list[TreeHead]
    has_more: bool


class HeadQuery(Schema):
    offset: int = Field(
        0, ge=0, le=MAX_INT, description=gettext_noop("Heads to skip, oldest first.")
    )
    limit: int = Field(100, ge=1, le=1000, description=gettext_noop("Heads per page."))


class RangeQuery(Schema):
    start: int = Field(0, ge=0, le=MAX_INT, description=gettext_noop("Index of the first entry."))
    end: int | None = Field(
        None,
        ge=1,
        le=MAX_INT,
        description=gettext_noop("Index after the last entry (at most 10,000 more)."),
    )


class Entry(Schema):
    campaign: str
    commitment: str
    index: int
    kind: str
    reason: str
    time: str


class InclusionQuery(Schema):
    index: int = Field(ge=0, le=MAX_INT, description=gettext_noop("The entry's index."))
    tree_size: int | None = Field(
        None,
        ge=1,
        le=MAX_INT,
        description=gettext_noop("The tree's size; the latest signed head's if unset."),
    )


class InclusionProof(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    entry: Entry
    proof: list[str]
    head: TreeHead | None = Field(description="A signed head of that size, if there is one.")


class ConsistencyQuery(Schema):
    first: int = Field(ge=0, le=MAX_INT, description=gettext_noop("The older tree's size."))
    second: int = Field(ge=0, le=MAX_INT, description=gettext_noop("The newer tree's size."))


class ConsistencyProof(Schema):
    first: int
    second: int
    proof: list[str]


class ReceiptEntry(Schema):
    index: int | None
    kind: str
    reason: str
    time: str
    entry: Entry | None
    proof: list[str] | None


class Receipt(Schema):
    commitment: str
    head: TreeHead | None
    entries: list[ReceiptEntry]


def _log(slug: str) -> Log:
    log = selectors.public_log(slug)
    if log is None:
        raise HttpError(404, "No ledger for this campaign.")
    return log


def _latest_head(log: Log):
    heads = selectors.latest_heads(log=log, limit=1)
    return heads[0] if heads else None


def _head(log: Log, head) -> dict | None:
    return selectors.head_document(head, log.campaign.slug) if head else None


@router.get(
    "/",
    response={200: LedgerIndex, 429: schemas.Error},
    url_name="ledger_index",
    summary=gettext_noop("The ledger's key and logs"),
    description=gettext_noop(
        "The Ed25519 public key that signs every tree head, and each campaign's log with its "
        "latest signed tree head."
    ),
)
def ledger_index(request: HttpRequest):
    key = selectors.public_key()
    logs = []
    for log in selectors.public_logs():
        logs.append(
            {
                "campaign": log.campaign.slug,
                "size": log.size,
                "counted": log.counted,
                "latest_head": _head(log, _latest_head(log)),
            }
        )
    return {
        "format": formats.TREE_HEAD_HEADER,
        "public_key": (
            {"algorithm": "Ed25519", "hex": key.hex, "base64": key.b64, "key_id": key.key_id}
            if key
            else None
        ),
        "logs": logs,
    }


@router.get(
    "/{slug}/",
    response={200: LogStatus, **COMMON},
    url_name="ledger_log",
    summary=gettext_noop("A campaign's log as it stands"),
    description=gettext_noop(
        "The current tree (not yet signed), the count according to the log and the count the "
        "site shows."
    ),
)
def ledger_log(request: HttpRequest, slug: Slug):
    status = selectors.log_status(_log(slug))
    for key in ("sequenced_at", "site_count_checked_at"):
        status[key] = formats.entry_time(status[key]) if status[key] else None
    return status


@router.get(
    "/{slug}/heads",
    response={200: HeadPage, **COMMON},
    url_name="ledger_heads",
    summary=gettext_noop("Signed tree heads"),
    description=gettext_noop("Every signed tree head, oldest first, one page at a time."),
)
def ledger_heads(request: HttpRequest, slug: Slug, params: Query[HeadQuery]):
    log = _log(slug)
    heads = selectors.heads_page(log=log, offset=params.offset, limit=params.limit + 1)
    return {
        "heads": [_head(log, head) for head in heads[: params.limit]],
        "has_more": len(heads) > params.limit,
    }


@router.get(
    "/{slug}/entries.jsonl",
    response={200: None, 400: schemas.Error, **COMMON},
    url_name="ledger_entries",
    summary=gettext_noop("Entries by range, one per line"),
    description=gettext_noop(
        "JSON Lines: each line is one sequenced entry, exactly as the tree hashes it (keys "
        "sorted, no spaces). Up to 10,000 entries per request; the `Link` header names the "
        "next page."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "One JSON object (an `Entry`) per line.",
                "content": {"application/jsonl": {"schema": {"type": "string"}}},
            }
        }
    },
)
def ledger_entries(request: HttpRequest, slug: Slug, params: Query[RangeQuery]):
    log = _log(slug)
    end = params.end if params.end is not None else params.start + DEFAULT_PAGE
    if end <= params.start or end - params.start > selectors.MAX_ENTRIES_PER_PAGE:
        raise HttpError(400, "Ask for 1 to 10,000 entries: start < end <= start + 10000.")
    end = min(end, log.size)
    lines = [
        formats.leaf_bytes(doc) + b"\n"
        for doc in selectors.entry_documents(log=log, start=params.start, end=end)
    ]
    response = HttpResponse(b"".join(lines), content_type=JSONL_MEDIA_TYPE)
    if end < log.size:
        following = min(log.size, end + (end - params.start))
        response["Link"] = f'<?start={end}&end={following}>; rel="next"'
    if end > params.start and params.end is not None and params.end <= log.size:
        response["Cache-Control"] = "public, max-age=86400, immutable"  # Sequenced for good.
    return response


@router.get(
    "/{slug}/proof/inclusion",
    response={200: InclusionProof, 400: schemas.Error, **COMMON},
    url_name="ledger_inclusion",
    summary=gettext_noop("Inclusion proof of an entry"),
    description=gettext_noop(
        "The audit path (RFC 9162, section 2.1.3) from the entry's leaf to the root of the tree "
        "of `tree_size` entries, leaf side first."
    ),
)
def ledger_inclusion(request: HttpRequest, slug: Slug, params: Query[InclusionQuery]):
    log = _log(slug)
    head = None
    if params.tree_size is None:
        head = _latest_head(log)
        if head is None or params.index >= head.size:
            raise HttpError(404, "No signed tree head covers this entry yet; try within the hour.")
        size = head.size
    else:
        size = params.tree_size
        head = selectors.head_of_size(log=log, size=size)
    try:
        proof = selectors.inclusion_proof(log=log, index=params.index, size=size)
    except selectors.ProofError as error:
        raise HttpError(400, str(error)) from None
    entry = next(selectors.entry_documents(log=log, start=params.index, end=params.index + 1))
    return {
        "index": params.index,
        "tree_size": size,
        "leaf_hash": merkle.leaf_hash(formats.leaf_bytes(entry)).hex(),
        "entry": entry,
        "proof": [p.hex() for p in proof],
        "head": _head(log, head),
    }


@router.get(
    "/{slug}/proof/consistency",
    response={200: ConsistencyProof, 400: schemas.Error, **COMMON},
    url_name="ledger_consistency",
    summary=gettext_noop("Consistency proof between two trees"),
    description=gettext_noop(
        "The proof (RFC 9162, section 2.1.4) that the tree of `first` entries is a prefix of the "
        "tree of `second` entries: nothing was changed or removed in between."
    ),
)
def ledger_consistency(request: HttpRequest, slug: Slug, params: Query[ConsistencyQuery]):
    log = _log(slug)
    try:
        proof = selectors.consistency_proof(log=log, first=params.first, second=params.second)
    except selectors.ProofError as error:
        raise HttpError(400, str(error)) from None
    return {"first": params.first, "second": params.second, "proof": [p.hex() for p in proof]}


@router.get(
    "/{slug}/receipts/{commitment}",
    response={200: Receipt, **COMMON},
    url_name="ledger_receipt",
    summary=gettext_noop("A signer's receipt"),
    description=gettext_noop(
        "Every entry carrying this commitment, with an inclusion proof in the latest signed "
        "tree head for those it covers. The commitment is public already; only its signer "
        "can tie it to a signature."
    ),
)
def ledger_receipt(request: HttpRequest, slug: Slug, commitment: Commitment):
    receipt = selectors.receipt_document(log=_log(slug), commitment=commitment)
    if receipt is None:
        raise HttpError(404, "No entry carries this commitment.")
    return receipt
