"""Typo-tolerant name search on PostgreSQL: the pg_trgm extension and a trigram index on the
folded public name. Other databases (the embedded SQLite) skip both and search by substring."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "supporter_search_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON signatures_supporter "
            "USING gin (search_name gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
