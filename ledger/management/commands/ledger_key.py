"""``manage.py ledger_key``: print a new signing key for ``LEDGER_SIGNING_KEY`` (or, with
``--public``, the public key in use)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ledger import keys, selectors


class Command(BaseCommand):
    help = "Print a new Ed25519 seed for LEDGER_SIGNING_KEY, or the public key in use."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--public", action="store_true", help="print the public key in use")

    def handle(self, *args, public=False, **options) -> None:
        if public:
            key = selectors.public_key()
            if key is None:
                raise CommandError("No signing key is configured (LEDGER_SIGNING_KEY).")
            self.stdout.write(f"hex {key.hex}\nbase64 {key.b64}\nkey id {key.key_id}")
            if keys.uses_development_key():
                self.stderr.write("This is the development key derived from SECRET_KEY.")
            return
        self.stdout.write(keys.generate_seed_b64())
