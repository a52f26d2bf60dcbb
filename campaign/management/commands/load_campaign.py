from django.core.management.base import BaseCommand

from campaign.installation import install_launch_content


class Command(BaseCommand):
    help = (
        'Install the "Stealing Isn\'t Innovation" campaign. Safe to run again: an installed '
        "campaign is left as organisers edited it unless --update is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--update",
            action="store_true",
            help="Replace the campaign's text and lists with the launch content.",
        )

    def handle(self, *args, update: bool = False, **options):
        campaign, changed = install_launch_content(update=update)
        if changed:
            self.stdout.write(self.style.SUCCESS(f"Installed campaign “{campaign.title}”."))
        else:
            self.stdout.write(f"Campaign “{campaign.title}” already installed; left unchanged.")
