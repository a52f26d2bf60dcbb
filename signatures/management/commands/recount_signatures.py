from django.core.management.base import BaseCommand

from campaign.models import Campaign
from signatures.services import refresh_signature_counts


class Command(BaseCommand):
    help = "Recount confirmed signatures exactly and correct the stored public counts."

    def handle(self, *args, **options):
        before = dict(Campaign.objects.values_list("id", "signature_count"))
        counts = refresh_signature_counts()
        drifted = False
        for campaign in Campaign.objects.order_by("id"):
            old, new = before.get(campaign.id, 0), counts.get(campaign.id, 0)
            if old != new:
                drifted = True
                self.stdout.write(self.style.WARNING(f"{campaign.slug}: {old} → {new}"))
            else:
                self.stdout.write(f"{campaign.slug}: {new}")
        if not drifted:
            self.stdout.write(self.style.SUCCESS("Counts were exact: no drift."))
