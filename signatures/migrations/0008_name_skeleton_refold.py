"""Recompute the stored ``Supporter.name_skeleton`` keys with the current fold
(signatures/confusables.py): Hebrew yods and the vowel signs of the Brahmic and South-East
Asian scripts now stay in the key, so the impersonation guard compares new names with keys
folded the same way. Only the keys that change are written; running it again changes nothing."""

from django.db import migrations

BATCH = 2000


def refold(apps, schema_editor):
    from signatures.confusables import name_skeleton

    Supporter = apps.get_model("signatures", "Supporter")
    last = 0
    while True:
        rows = list(
            Supporter.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "full_name", "name_skeleton")[:BATCH]
        )
        if not rows:
            return
        for pk, full_name, stored in rows:
            key = name_skeleton(full_name)[:200]
            if key != stored:
                Supporter.objects.filter(pk=pk).update(name_skeleton=key)
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("signatures", "0007_ledger_backfill")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
