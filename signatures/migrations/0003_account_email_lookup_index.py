"""Confirming a signature looks the signer's address up among verified account addresses,
case-insensitively (``signatures.services.accounts.ensure_account``: ``email__iexact``, that is
``UPPER(email) = UPPER(…)``). django-allauth dropped its ``UPPER(email)`` index in its migration
0007, so on PostgreSQL that lookup read the whole table: 28 ms per confirmation at 100,000
supporters, during a surge. This expression index makes it an index scan (see
docs/performance.md; a partial index, WHERE verified, would get no
statistics and go unused). Other databases (the embedded SQLite) compare with LIKE and skip it."""

from django.db import migrations

INDEX = "account_emailaddress_upper_email"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON account_emailaddress (UPPER(email))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0002_trigram_search"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
