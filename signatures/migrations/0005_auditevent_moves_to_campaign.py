# The audit trail now belongs to campaign (campaign/migrations/0003_auditevent.py); the table
# and its rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("signatures", "0004_backoffice_fields"),
        ("campaign", "0003_auditevent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
