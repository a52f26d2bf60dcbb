"""Read queries for opt-out declarations: the public registry and a supporter's own."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from campaign import keyset
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
        queryset = keyset.after(queryset, position=position, field="declared_at")
    rows = list(queryset[: size + 1])
    entries = rows[:size]
    next_cursor = encode_cursor(entries[-1]) if len(rows) > size else ""
    return RegistryPage(entries=entries, next_cursor=next_cursor)


def encode_cursor(declaration: OptOutDeclaration) -> str:
    return keyset.encode_cursor(declaration.declared_at, declaration.pk)


decode_cursor = keyset.decode_cursor
is_sane_position = keyset.is_sane_position


def declarations_of(*, supporter: Supporter) -> list[OptOutDeclaration]:
    """A supporter's declarations, the one in force (if any) first, with all their places."""
    return list(
        supporter.optout_declarations.prefetch_related("locations").order_by(
            "status", "-declared_at", "-id"
        )
    )
