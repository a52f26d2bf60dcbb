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

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.lookups import GreaterThan, LessThan

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


class _RowBefore(TupleLessThan):
    """``(a, b) < (x, y)`` written as a row comparison on every database. Django spells it
    out as ``a < x OR (a = x AND b < y)`` on SQLite (its ``supports_tuple_lookups`` is off), and
    an index cannot seek on that OR: with many rows tied on ``a`` (an import gives 10,000 rows
    one moment), every page would read the ties again. SQLite has compared row values since
    3.15 (2016), PostgreSQL always."""

    def as_sql(self, compiler, connection):
        return LessThan.as_sql(self, compiler, connection)


class _RowAfter(TupleGreaterThan):
    """``(a, b) > (x, y)`` as a row comparison (see ``_RowBefore``)."""

    def as_sql(self, compiler, connection):
        return GreaterThan.as_sql(self, compiler, connection)


def after(
    queryset: QuerySet,
    *,
    position: tuple[datetime.datetime, int],
    field: str = "created_at",
    newest_first: bool = True,
) -> QuerySet:
    """The rows of ``queryset`` that come after ``position`` in (``field``, id) order: one row
    comparison, which an index on (``field``, id) seeks to, however many rows share the moment.
    Every keyset pager of the site filters through it."""
    when, pk = position
    row = Tuple(F(field), F("id"))
    comparison = _RowBefore(row, (when, pk)) if newest_first else _RowAfter(row, (when, pk))
    return queryset.filter(comparison)


def page(
    queryset: QuerySet,
    *,
    cursor: str = "",
    size: int,
    field: str = "created_at",
    newest_first: bool = True,
) -> Page:
    """One page of ``queryset`` ordered by (``field``, id), newest or oldest first, after
    ``cursor``: the same cost at any depth, and with any number of rows tied on ``field``."""
    position = decode_cursor(cursor)
    if position is not None:
        queryset = after(queryset, position=position, field=field, newest_first=newest_first)
    order = (f"-{field}", "-id") if newest_first else (field, "id")
    rows = list(queryset.order_by(*order)[: size + 1])
    entries = rows[:size]
    next_cursor = (
        encode_cursor(getattr(entries[-1], field), entries[-1].pk) if len(rows) > size else ""
    )
    return Page(entries=entries, next_cursor=next_cursor, is_first=position is None)
