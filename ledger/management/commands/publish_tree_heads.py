"""``manage.py publish_tree_heads``: sequence and sign now (beat does it hourly)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ledger import services


class Command(BaseCommand):
    help = "Sequence waiting entries and sign each public campaign's tree head now."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="sign even if this hour's head exists"
        )

    def handle(self, *args, force=False, **options) -> None:
        for published in services.publish_tree_heads(force=force):
            if published.head is None:
                self.stdout.write(f"{published.campaign}: this hour's head exists already")
            else:
                head = published.head
                self.stdout.write(
                    f"{published.campaign}: signed size {head.size}, "
                    f"root {bytes(head.root_hash).hex()}"
                )
