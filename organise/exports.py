"""Exporting the signatories as CSV, with the signatory list's filters.

The file is streamed: rows are read in keyset chunks (``selectors.signatory_page``, the list's
own pagination) and written as they come, so memory stays flat whatever the number of
signatories. Every cell is formula-escaped (``csvsafe``), the file starts with a byte-order
mark so that Excel reads accents, and each export is an audit event.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext

from campaign.models import Campaign
from signatures.models import Signature
from signatures.services import audit

from . import selectors
from .csvsafe import BOM, CsvLines
from .selectors import SignatoryFilters

# Rows per query: large enough that a 100,000-row export is a few dozen queries, small enough
# that a chunk's instances weigh little.
CHUNK_SIZE = 2000


def _when(moment: datetime.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


@dataclass(frozen=True)
class SignatoryExport:
    """An export about to be streamed: call ``lines()`` to iterate over its CSV text."""

    campaign: Campaign
    filters: SignatoryFilters
    with_emails: bool
    language: str
    chunk_size: int = CHUNK_SIZE

    def headings(self) -> list[str]:
        headings = [
            gettext("Public id"),
            gettext("Name"),
            gettext("Name display"),
            gettext("Field of work"),
            gettext("Country"),
            gettext("Known for"),
            gettext("Link"),
            gettext("Verified"),
            gettext("Status"),
            gettext("Review"),
            gettext("Source"),
            gettext("Source details"),
            gettext("Signed at"),
            gettext("Confirmed at"),
            gettext("Wants updates"),
            gettext("Comment"),
            gettext("Comment hidden"),
        ]
        return [*headings, gettext("Email")] if self.with_emails else headings

    def cells(self, signature: Signature) -> list[str]:
        supporter = signature.supporter
        wants_updates = signature.wants_updates and signature.updates_unsubscribed_at is None
        cells = [
            supporter.public_id,
            supporter.full_name,
            supporter.get_name_display_display(),
            supporter.get_field_of_work_display(),
            supporter.country.name,
            supporter.known_for,
            supporter.link,
            _yes_no(supporter.is_verified),
            signature.get_status_display(),
            signature.get_moderation_display(),
            signature.get_source_display(),
            signature.source_detail,
            _when(signature.created_at),
            _when(signature.confirmed_at),
            _yes_no(wants_updates),
            signature.comment,
            _yes_no(signature.comment_hidden),
        ]
        return [*cells, supporter.email] if self.with_emails else cells

    def signatures(self) -> Iterator[list[Signature]]:
        """The matching signatures, newest first, one keyset chunk (one query) at a time."""
        queryset = selectors.signatories(
            campaign=self.campaign, filters=self.filters, search_emails=self.with_emails
        )
        cursor = ""
        while True:
            page = selectors.signatory_page(queryset=queryset, cursor=cursor, size=self.chunk_size)
            if page.entries:
                yield page.entries
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def lines(self) -> Iterator[str]:
        """The CSV text: the byte-order mark and headings, then one string per chunk."""
        writer = CsvLines()
        with translation.override(self.language):
            yield BOM + writer.line(self.headings())
            for chunk in self.signatures():
                yield writer.lines(self.cells(signature) for signature in chunk)


def _filters_for_audit(filters: SignatoryFilters) -> dict:
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in dataclasses.asdict(filters).items()
        if value not in ("", None)
    }


def start_export(
    *, campaign: Campaign, filters: SignatoryFilters, actor, with_emails: bool
) -> SignatoryExport:
    """Record the export in the audit trail (who, which filters, whether email addresses are
    in it) and return it, ready to stream in the active language. ``with_emails`` must come
    from ``roles.can(actor, Action.VIEW_PERSONAL_DATA)``."""
    audit(
        action="signatories.exported",
        actor=actor,
        data={"filters": _filters_for_audit(filters), "emails_included": with_emails},
    )
    return SignatoryExport(
        campaign=campaign,
        filters=filters,
        with_emails=with_emails,
        language=translation.get_language() or "en",
    )
