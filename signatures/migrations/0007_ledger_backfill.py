"""Signatures counted before the public ledger existed enter it now: each gets its salt and
commitment and a ``counted`` entry with the reason ``recorded-late``, dated now (the ledger
never backdates), in the order they were confirmed."""

from django.db import migrations
from django.utils import timezone

from ledger import formats, merkle


def backfill(apps, schema_editor):
    Signature = apps.get_model("signatures", "Signature")
    Log = apps.get_model("ledger", "Log")
    Entry = apps.get_model("ledger", "Entry")
    now = timezone.now()
    counted = Signature.objects.filter(
        status="confirmed", moderation="ok", ledger_commitment=""
    ).order_by("confirmed_at", "id")
    logs = {}
    batch = []
    for signature in counted.iterator(chunk_size=2000):
        salt = formats.new_salt()
        commitment = formats.commitment(salt, f"signature:{signature.pk}")
        Signature.objects.filter(pk=signature.pk).update(
            ledger_salt=salt, ledger_commitment=commitment
        )
        if signature.campaign_id not in logs:
            logs[signature.campaign_id], _ = Log.objects.get_or_create(
                campaign_id=signature.campaign_id, defaults={"root_hash": merkle.EMPTY_ROOT}
            )
        batch.append(
            Entry(
                log=logs[signature.campaign_id],
                kind="counted",
                reason="recorded-late",
                commitment=commitment,
                recorded_at=now,
            )
        )
        if len(batch) >= 2000:
            Entry.objects.bulk_create(batch)
            batch = []
    Entry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0006_ledger_commitment"),
        ("ledger", "0002_count_check"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
