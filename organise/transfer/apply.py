"""Writing an import's valid rows, and tallying what each did for the job's counts and report.

Every write goes through ``signatures.services`` (``import_signature`` for a new signature,
``update_imported_signature`` for one the campaign already has), which apply the sign flow's
rules; upserted by normalised email address:

- a new address becomes a supporter and a signature (``source=import``), counted at once, or
  pending with a confirmation email when the organiser asks for one;
- a known address fills in what its profile lacks (and, when the profile is not the person's
  own yet, takes the changed values); a pending signature is confirmed unless confirmation was
  asked; a confirmed one is never downgraded; a withdrawn one is never touched;
- importing the same file again changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext

from campaign.models import Campaign
from signatures.confusables import name_skeleton
from signatures.models import Signature, Supporter
from signatures.services import (
    ImportOutcome,
    ImportResult,
    ImportSource,
    ProtectedNames,
    announce_imported,
    import_signature,
    protected_names,
    update_imported_signature,
)

from ..models import ImportJob, ImportReportLine
from .parse import COLUMNS, ImportRow

logger = logging.getLogger(__name__)

# Consent is recorded in English whatever the organiser's language: it is evidence, not text
# for the screen.
CONSENT_RECORD = (
    "Consent to campaign updates was collected outside this site and recorded by an "
    "organisers' import (import {job}, “{label}”)."
)


def source_of(job: ImportJob) -> ImportSource:
    """How ``job``'s rows are taken in: its label, its consent record, its options."""
    return ImportSource(
        label=job.source_label,
        reference=f"import:{job.pk}",
        consent_text=CONSENT_RECORD.format(job=job.pk, label=job.source_label),
        ask_confirmation=job.ask_confirmation,
        organiser_id=job.created_by_id,
    )


@dataclass
class Tally:
    """What one chunk did: counts, and the lines for the report."""

    job: ImportJob
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    duplicates: int = 0
    withdrawn: int = 0
    held: int = 0
    emails: int = 0
    lines: list[ImportReportLine] = field(default_factory=list)

    def note(self, line: int, outcome: str, reason: str, *, column="", email="") -> None:
        self.lines.append(
            ImportReportLine(
                job=self.job, line=line, outcome=outcome, field=column, reason=reason, email=email
            )
        )

    def count(self, row: ImportRow, result: ImportResult) -> None:
        Line = ImportReportLine.Outcome
        if result.outcome == ImportOutcome.CREATED:
            self.created += 1
        elif result.outcome == ImportOutcome.UNCHANGED:
            self.unchanged += 1
        elif result.outcome == ImportOutcome.WITHDRAWN:
            self.withdrawn += 1
            reason = gettext(
                "This person withdrew their signature: it stays withdrawn and their details "
                "were not changed."
            )
            self.note(row.line, Line.WITHDRAWN, reason, email=row.email)
        else:
            self.updated += 1
            columns = ", ".join(name for name in result.changed if name in COLUMNS)
            self.note(row.line, Line.UPDATED, _changes(result), column=columns, email=row.email)
        self.emails += result.emailed
        if result.held_as:
            self.held += 1
            reason = gettext("Held for review: %(reason)s.") % {"reason": result.held_as}
            self.note(row.line, Line.HELD, reason, column="full_name", email=row.email)


def _changes(result: ImportResult) -> str:
    columns = ", ".join(name for name in result.changed if name in COLUMNS)
    confirmed = "status" in result.changed
    if columns and confirmed:
        return gettext(
            "Filled in or changed: %(columns)s. The pending signature is now confirmed."
        ) % {"columns": columns}
    if confirmed:
        return gettext("The pending signature is now confirmed.")
    return gettext("Filled in or changed: %(columns)s.") % {"columns": columns}


@dataclass(frozen=True)
class Known:
    """The supporters a chunk's rows name (by email key), and their signatures of the
    campaign (by supporter id), locked for the chunk's transaction; the protected names the
    rows' names could pass for, looked up once for the whole chunk."""

    supporters: dict[str, Supporter]
    signatures: dict[int, Signature]
    protected: ProtectedNames


def _lock_known(rows: list[ImportRow], campaign: Campaign) -> Known:
    found = Supporter.objects.select_for_update().filter(email_key__in={r.key for r in rows})
    supporters = {supporter.email_key: supporter for supporter in found}
    signatures = Signature.objects.select_for_update().filter(
        campaign=campaign, supporter__in=[s.pk for s in supporters.values()]
    )
    # The skeleton each row's supporter will have (as Supporter.save derives it), and that of
    # each known supporter, whose own name may be kept.
    skeletons = {name_skeleton(row.signer.details.full_name)[:200] for row in rows}
    skeletons |= {supporter.name_skeleton for supporter in supporters.values()}
    return Known(
        supporters,
        {signature.supporter_id: signature for signature in signatures},
        protected_names(campaign=campaign, skeletons=skeletons),
    )


def _apply(job: ImportJob, row: ImportRow, known: Known, source: ImportSource) -> ImportResult:
    """Create or update the supporter and the signature ``row`` names."""
    supporter = known.supporters.get(row.key)
    signature = known.signatures.get(supporter.pk) if supporter is not None else None
    if signature is None:
        result = import_signature(
            campaign=job.campaign,
            signer=row.signer,
            source=source,
            supporter=supporter,
            protected=known.protected,
        )
        known.supporters[row.key] = result.supporter
        return result
    signature.supporter = supporter
    return update_imported_signature(signature=signature, signer=row.signer, source=source)


def write_rows(job: ImportJob, rows: list[ImportRow], tally: Tally) -> None:
    """Write the chunk's valid rows, each in its own savepoint (a row the database refuses is
    reported, the others go in); the signatures written or confirmed are announced for
    screening, once for the chunk; in a dry run everything is rolled back afterwards."""
    if not rows:
        return
    source = source_of(job)
    with transaction.atomic():
        known = _lock_known(rows, job.campaign)
        to_screen: list[int] = []
        for row in rows:
            try:
                result = _apply(job, row, known, source)
            except (IntegrityError, DataError):
                logger.warning("Import %s: line %s refused by the database", job.pk, row.line)
                tally.errors += 1
                reason = gettext("This row could not be saved. Try importing it again.")
                tally.note(row.line, ImportReportLine.Outcome.ERROR, reason, email=row.email)
                continue
            tally.count(row, result)
            if result.screen_id is not None:
                to_screen.append(result.screen_id)
        announce_imported(signature_ids=to_screen, source=source)
        if job.dry_run:
            transaction.set_rollback(True)
