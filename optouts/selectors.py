"""Read queries for opt-out declarations: the public registry and a supporter's own."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from campaign.models import Campaign
from signatures.models import NameDisplay, Signature, Supporter

from .models import OptOutDeclaration, OptOutLocation

PAGE_SIZE = 50


@dataclass(frozen=True)
class RegistryPage:
    entries: list[OptOutDeclaration]
    next_cursor: str


def published_declarations(*, campaign: Campaign) -> QuerySet[OptOutDeclaration]:
    """Declarations the public registry shows, with their supporter and checked places.

    Published: in force (withdrawn ones leave the registry), made by a supporter who is
    verified and listed publicly (their signature of ``campaign`` counts and they chose to show
    their name), with at least one place checked. Only checked places are attached
    (``checked_locations``).
    """
    listed = Signature.objects.shown_publicly().filter(
        campaign=campaign, supporter=OuterRef("supporter")
    )
    checked = OptOutLocation.objects.filter(
        declaration=OuterRef("pk"), status=OptOutLocation.Status.OK
    )
    return (
        OptOutDeclaration.objects.active()
        .filter(supporter__verified_at__isnull=False)
        .exclude(supporter__name_display=NameDisplay.HIDDEN)
        .filter(Exists(listed), Exists(checked))
        .select_related("supporter")
        .prefetch_related(
            Prefetch(
                "locations",
                queryset=OptOutLocation.objects.filter(status=OptOutLocation.Status.OK),
                to_attr="checked_locations",
            )
        )
        .order_by("-declared_at", "-id")
    )


def published_declaration(*, campaign: Campaign, uid: str) -> OptOutDeclaration | None:
    return published_declarations(campaign=campaign).filter(uid=uid).first()


def registry_page(*, campaign: Campaign, cursor: str = "", size: int = PAGE_SIZE) -> RegistryPage:
    """One page of the registry, newest declaration first, after ``cursor`` (keyset
    pagination on (declared_at, id), like the supporters' directory)."""
    queryset = published_declarations(campaign=campaign)
    position = decode_cursor(cursor)
    if position is not None:
        when, pk = position
        queryset = queryset.filter(Q(declared_at__lt=when) | Q(declared_at=when, id__lt=pk))
    rows = list(queryset[: size + 1])
    entries = rows[:size]
    next_cursor = encode_cursor(entries[-1]) if len(rows) > size else ""
    return RegistryPage(entries=entries, next_cursor=next_cursor)


def encode_cursor(declaration: OptOutDeclaration) -> str:
    raw = json.dumps([declaration.declared_at.isoformat(), declaration.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    """The position a cursor names, or None for a missing or malformed one."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        when = datetime.datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error):
        return None
    if not is_sane_position(when, pk):
        return None
    return when, pk


def is_sane_position(when: datetime.datetime, pk: object) -> bool:
    """Whether a decoded cursor can reach the database: an aware time every database can
    store, and an id in a 64-bit column (a forged cursor must not become a server error)."""
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk < 2**63:
        return False
    if when.tzinfo is None:
        return False
    try:
        return 1900 <= when.astimezone(datetime.UTC).year <= 9000
    except (OverflowError, ValueError):
        return False


def declarations_of(*, supporter: Supporter) -> list[OptOutDeclaration]:
    """A supporter's declarations, the one in force (if any) first, with all their places."""
    return list(
        supporter.optout_declarations.prefetch_related("locations").order_by(
            "status", "-declared_at", "-id"
        )
    )
