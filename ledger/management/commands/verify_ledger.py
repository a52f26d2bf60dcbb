"""``manage.py verify_ledger``: every check of the public verifier, over the database."""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand, CommandError

from ledger import services
from ledger.verification import verifier, verify


class Command(BaseCommand):
    help = (
        "Rebuild every campaign's Merkle tree from its entries, check each signed tree head, "
        "the log's growth and its count against the site's. Exits non-zero on any mismatch."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", action="append", help="only this campaign (slug)")
        parser.add_argument(
            "--no-sequence",
            action="store_true",
            help="do not sequence waiting entries first (check the log exactly as it is)",
        )

    def handle(self, *args, campaign=None, no_sequence=False, **options) -> None:
        if not no_sequence:
            services.sequence()
        try:
            reports = verify(campaigns=campaign)
        except verifier().SiteError as error:
            raise CommandError(str(error), returncode=2) from None
        out = io.StringIO()
        ok = verifier().print_reports(reports, out=out)
        self.stdout.write(out.getvalue().rstrip("\n"))
        if not ok:
            raise CommandError("The ledger does not verify.", returncode=1)
