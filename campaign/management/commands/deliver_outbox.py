"""Deliver the due outbox messages in this process, without a worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from campaign.outbox import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver the queued emails that are due, in this process (no Celery worker needed), "
        "after putting back those a dead worker left half-sent. Useful on the embedded default, "
        "which has no beat to sweep the outbox, and to flush the queue by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="Deliver at most this many (default 500)."
        )

    def handle(self, *args, limit: int, **options):
        outcomes = deliver_due(limit=limit)
        if not outcomes:
            self.stdout.write("No email was due.")
            return
        summary = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(summary)
