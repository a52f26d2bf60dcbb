"""Exporting the signatories as CSV, with the signatory list's filters (``organise.review``).

The file is streamed: rows are read in keyset chunks (on the list's own order, as its pages
are) and written as they come, so memory stays flat whatever the number of
signatories. Every cell is formula-escaped (``csvsafe``), the file starts with a byte-order
mark so that Excel reads accents, and each export is an audit event.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django_countries import countries

from campaign.audit import audit
from campaign.models import Campaign, FieldOfWork
from signatures.models import NameDisplay, Signature

from ..csvsafe import BOM, CsvLines
from ..review import selectors
from ..review.selectors import SignatoryFilters

# Rows per query: large enough that a 100,000-row export is a few dozen queries, small enough
# that a chunk's instances weigh little.
CHUNK_SIZE = 2000


# What each row is read as: plain values, not model instances (building two instances per
# row would cost more than writing the CSV).
COLUMNS = (
    "supporter__public_id",
    "supporter__full_name",
    "supporter__name_display",
    "supporter__field_of_work",
    "supporter__country",
    "supporter__known_for",
    "supporter__link",
    "supporter__verified_at",
    "status",
    "moderation",
    "source",
    "source_detail",
    "created_at",
    "confirmed_at",
    "wants_updates",
    "updates_unsubscribed_at",
    "comment",
    "comment_hidden",
    "supporter__email",
    "id",
)
AT = {name: position for position, name in enumerate(COLUMNS)}


def _when(moment: datetime.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


@dataclass(frozen=True)
class Labels:
    """The display labels of every coded value, looked up once per export (a model's
    ``get_…_display`` translates every choice again on each call)."""

    yes: str
    no: str
    name_display: dict[str, str]
    field_of_work: dict[str, str]
    country: dict[str, str]
    status: dict[str, str]
    moderation: dict[str, str]
    source: dict[str, str]

    @classmethod
    def in_active_language(cls) -> Labels:
        def labels(choices) -> dict[str, str]:
            return {str(code): str(label) for code, label in choices}

        return cls(
            yes=gettext("yes"),
            no=gettext("no"),
            name_display=labels(NameDisplay.choices),
            field_of_work=labels(FieldOfWork.choices),
            country=labels(countries),
            status=labels(Signature.Status.choices),
            moderation=labels(Signature.Moderation.choices),
            source=labels(Signature.Source.choices),
        )

    def yes_no(self, value: object) -> str:
        return self.yes if value else self.no


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
            pgettext("supporter", "Verified"),
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

    def cells(self, row: tuple, labels: Labels) -> list[str]:
        def value(name: str):
            return row[AT[name]]

        wants_updates = value("wants_updates") and value("updates_unsubscribed_at") is None
        cells = [
            value("supporter__public_id"),
            value("supporter__full_name"),
            labels.name_display.get(value("supporter__name_display"), ""),
            labels.field_of_work.get(value("supporter__field_of_work"), ""),
            labels.country.get(value("supporter__country"), value("supporter__country")),
            value("supporter__known_for"),
            value("supporter__link"),
            labels.yes_no(value("supporter__verified_at") is not None),
            labels.status.get(value("status"), ""),
            labels.moderation.get(value("moderation"), ""),
            labels.source.get(value("source"), ""),
            value("source_detail"),
            _when(value("created_at")),
            _when(value("confirmed_at")),
            labels.yes_no(wants_updates),
            value("comment"),
            labels.yes_no(value("comment_hidden")),
        ]
        return [*cells, value("supporter__email")] if self.with_emails else cells

    def rows(self) -> Iterator[list[tuple]]:
        """The matching signatures, newest first, in chunks of ``chunk_size``: one query each,
        by keyset on (created_at, id) as the signatory list pages, so the last chunk costs
        what the first does and nothing holds more than one chunk."""
        queryset = selectors.signatories(
            campaign=self.campaign,
            filters=self.filters,
            search_emails=self.with_emails,
            search_full_names=True,  # exporters see full names in the file anyway
        ).values_list(*COLUMNS)
        page = queryset
        while True:
            chunk = list(page[: self.chunk_size + 1])
            yield chunk[: self.chunk_size]
            if len(chunk) <= self.chunk_size:
                return
            last = chunk[self.chunk_size - 1]
            when, pk = last[AT["created_at"]], last[AT["id"]]
            page = queryset.filter(created_at__lte=when).filter(
                Q(created_at__lt=when) | Q(created_at=when, id__lt=pk)
            )

    def lines(self) -> Iterator[str]:
        """The CSV text: the byte-order mark and headings, then one string per chunk."""
        writer = CsvLines()
        with translation.override(self.language):
            labels = Labels.in_active_language()
            yield BOM + writer.line(self.headings())
            for chunk in self.rows():
                yield writer.lines(self.cells(row, labels) for row in chunk)


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
