from django.core.management.base import BaseCommand, CommandError

from signatures.services import recount_signatures


class Command(BaseCommand):
    help = (
        "Recount counted signatures exactly, correct the stored public counts and report any "
        "drift (what beat runs nightly)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=30,
            help="Seconds to wait for a running count refresh to finish (default 30).",
        )

    def handle(self, *args, **options):
        try:
            checks = recount_signatures(wait_seconds=options["wait"])
        except TimeoutError as error:
            raise CommandError(str(error)) from error
        for check in checks:
            if check.drift:
                self.stdout.write(
                    self.style.WARNING(f"{check.slug}: {check.stored} → {check.exact}")
                )
            else:
                self.stdout.write(f"{check.slug}: {check.exact}")
        if not any(check.drift for check in checks):
            self.stdout.write(self.style.SUCCESS("Counts were exact: no drift."))
