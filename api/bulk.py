"""The opt-out registry as one JSON Lines file, for those who mirror it whole.

The file is built from a chunked iterator into a snapshot that every client shares for
``COUNT_REFRESH_SECONDS`` (as long as any cache may keep the answer anyway). A strong ``ETag``
needs the whole body before the first byte is sent, so the body is held once per snapshot
rather than streamed from the database to each client. Past about 100 000 declarations, a file
written by a Celery task and served by the web server would be the next step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from campaign.models import Campaign
from optouts.models import OptOutDeclaration
from optouts.selectors import published_declarations

from .schemas import OptOut

OPTOUTS_JSONL_MEDIA_TYPE = "application/jsonl"
CHUNK_SIZE = 500


def optouts_jsonl(
    *, campaign: Campaign, entry: Callable[[OptOutDeclaration], dict]
) -> HttpResponse:
    """The registry of ``campaign``, one ``OptOut`` per line, newest declaration first."""
    key = f"api:optouts-jsonl:{campaign.pk}"
    snapshot = cache.get(key)
    if snapshot is None:
        body = "".join(
            _line(OptOut.model_validate(entry(declaration)).model_dump())
            for declaration in published_declarations(campaign=campaign).iterator(
                chunk_size=CHUNK_SIZE
            )
        ).encode()
        snapshot = (f'"{hashlib.sha256(body).hexdigest()[:40]}"', body)
        cache.set(key, snapshot, timeout=max(1, settings.COUNT_REFRESH_SECONDS))
    etag, body = snapshot
    response = HttpResponse(body, content_type=f"{OPTOUTS_JSONL_MEDIA_TYPE}; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = 'attachment; filename="optouts.jsonl"'
    return response


def _line(data: dict) -> str:
    """One entry, encoded as the JSON endpoints encode it (times to the millisecond)."""
    return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False) + "\n"
