"""``manage.py import_signatures FILE``: the back office's CSV import, from the command line."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from campaign.models import Campaign
from organise.models import ImportJob, ImportReportLine
from organise.roles import Action, can
from organise.transfer.job import import_step, report_csv, start_import
from organise.transfer.parse import ImportFileError, decode_csv
from organise.transfer.selectors import report_lines


class DryRunOver(Exception):
    """Raised at the end of a dry run to roll everything back."""


class Command(BaseCommand):
    help = (
        "Import signatures from a CSV file (the format is in docs/organisers.md): new "
        "addresses are signed up, known ones updated, bad rows reported. Exits with 2 when "
        "some rows were not imported, 1 when the file could not be read at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, comma or semicolon separated).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report exactly what would happen, and write nothing.",
        )
        parser.add_argument(
            "--source",
            default="",
            help="Where the signatures were collected, kept with each one (default: file name).",
        )
        parser.add_argument(
            "--ask-confirmation",
            action="store_true",
            help="Leave new signatures pending and email each person a confirmation link.",
        )
        parser.add_argument(
            "--actor",
            default="",
            help="The email address of the organiser running the import, for the audit trail.",
        )
        parser.add_argument(
            "--report",
            default="",
            help="Also write the full report to this CSV file.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = decode_csv(path.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        except ImportFileError as error:
            raise CommandError(str(error.message)) from error
        self.console = Console(file=self.stdout._out, soft_wrap=True, highlight=False)
        actor = self._actor(options["actor"])
        campaign = Campaign.objects.filter(slug=settings.CAMPAIGN_SLUG).first()
        if campaign is None:
            raise CommandError("The campaign does not exist yet: run manage.py load_campaign.")
        # A dry run holds everything in one transaction and rolls it back; a real import
        # commits chunk by chunk, so that its progress survives an interruption.
        try:
            with transaction.atomic() if options["dry_run"] else nullcontext():
                job = start_import(
                    campaign=campaign,
                    file_name=path.name,
                    text=text,
                    source_label=options["source"] or path.name,
                    actor=actor,
                    ask_confirmation=options["ask_confirmation"],
                    dry_run=options["dry_run"],
                    run=False,
                )
                job = self._run(job, text)
                self._print(job, report_path=options["report"])
                if options["dry_run"]:
                    raise DryRunOver
        except DryRunOver:
            self.console.print("Dry run: nothing was written.")
        except ImportFileError as error:
            raise CommandError(str(error.message)) from error
        self._exit(job)

    def _actor(self, email: str):
        if not email:
            return None
        actor = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if actor is None:
            raise CommandError(f"No account has the address {email}.")
        if not can(actor, Action.IMPORT):
            raise CommandError(f"{email} may not import signatures.")
        return actor

    def _run(self, job: ImportJob, text: str) -> ImportJob:
        """Import chunk after chunk (each its own transaction, unless a dry run holds them
        all in one), with a progress bar."""
        columns = (
            TextColumn("[bold]Importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as progress:
            bar = progress.add_task("import", total=None)
            while not job.is_finished:
                job = import_step(job_id=job.pk, text=text)
                progress.update(bar, total=job.total_rows, completed=job.processed_rows)
        if job.status == ImportJob.Status.FAILED:
            raise ImportFileError(job.failure)
        return job

    def _print(self, job: ImportJob, *, report_path: str) -> None:
        would = job.dry_run
        self.console.print(
            f"{job.total_rows} rows: "
            f"{job.created_count} {'would be created' if would else 'created'}, "
            f"{job.updated_count} {'would be updated' if would else 'updated'}, "
            f"{job.unchanged_count} unchanged, "
            f"{job.error_count} with mistakes, "
            f"{job.duplicate_count} repeated, "
            f"{job.withdrawn_count} withdrawn (left alone), "
            f"{job.held_count} held for review"
            + (f", {job.emails_queued} confirmation emails" if job.ask_confirmation else "")
            + "."
        )
        outcomes = dict(ImportReportLine.Outcome.choices)
        for line in report_lines(job=job).iterator(chunk_size=2000):
            column = f" [{line.field}]" if line.field else ""
            self.console.print(
                f"line {line.line}{column} {line.email or '—'}: "
                f"{outcomes[line.outcome]}. {line.reason}",
                markup=False,
            )
        if report_path:
            with open(report_path, "w", encoding="utf-8", newline="") as report:
                report.writelines(report_csv(job=job))
            self.console.print(f"Report written to {report_path}.", markup=False)

    def _exit(self, job: ImportJob) -> None:
        refused = job.error_count + job.duplicate_count
        if refused:
            verb = "would not be" if job.dry_run else "were not"
            raise CommandError(
                f"{refused} rows {verb} imported: see the report above.", returncode=2
            )
        if not job.dry_run:
            self.console.print("[green]Every row was imported.[/green]")
