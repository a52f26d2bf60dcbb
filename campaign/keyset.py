"""Cursors for keyset pagination over (moment, id), newest first: the directory, the API's
supporters and the opt-out registry share them. A cursor is opaque to the public and checked
on the way in, so that a forged one can never become a server error."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet

Row = TypeVar("Row")


def encode_cursor(moment: datetime.datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    """The position a cursor names, or None for a missing, malformed or impossible one."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        when = datetime.datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error):  # JSONDecodeError is a ValueError
        return None
    if not is_sane_position(when, pk):
        return None
    return when, pk


def is_sane_position(when: datetime.datetime, pk: object) -> bool:
    """Whether a decoded position can reach the database: an aware time every database can
    store, and an id that fits a 64-bit column."""
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk < 2**63:
        return False
    if when.tzinfo is None:
        return False
    try:
        return 1900 <= when.astimezone(datetime.UTC).year <= 9000
    except (OverflowError, ValueError):
        return False


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a keyset-paginated list: its rows, the cursor of the next page ("" at the
    end), and whether it is the first."""

    entries: list[Row]
    next_cursor: str
    is_first: bool


def page(
    queryset: QuerySet,
    *,
    cursor: str = "",
    size: int,
    field: str = "created_at",
    newest_first: bool = True,
) -> Page:
    """One page of ``queryset`` ordered by (``field``, id), newest or oldest first, after
    ``cursor``: the same cost at any depth. The redundant bound on ``field`` lets an index on
    (``field``, id) start at the cursor instead of reading every row before it."""
    position = decode_cursor(cursor)
    before, after = ("lt", "lte") if newest_first else ("gt", "gte")
    if position is not None:
        when, pk = position
        queryset = queryset.filter(**{f"{field}__{after}": when}).filter(
            Q(**{f"{field}__{before}": when}) | Q(**{field: when, f"id__{before}": pk})
        )
    order = (f"-{field}", "-id") if newest_first else (field, "id")
    rows = list(queryset.order_by(*order)[: size + 1])
    entries = rows[:size]
    next_cursor = (
        encode_cursor(getattr(entries[-1], field), entries[-1].pk) if len(rows) > size else ""
    )
    return Page(entries=entries, next_cursor=next_cursor, is_first=position is None)
