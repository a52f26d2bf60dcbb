# The audit trail moves from signatures to campaign, below every app that records decisions.
# Only Django's idea of the model moves: the table keeps its name and its rows.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("campaign", "0002_outboundemail"),
        ("signatures", "0004_backoffice_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")),
                        ("action", models.CharField(db_index=True, max_length=60, verbose_name="action")),
                        ("reason", models.TextField(blank=True, verbose_name="reason")),
                        ("data", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        ("actor", models.ForeignKey(blank=True, help_text="Empty when the site itself decided (an automatic check).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="who")),
                        ("supporter", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_events", to="signatures.supporter", verbose_name="supporter")),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit events",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "signatures_auditevent",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
