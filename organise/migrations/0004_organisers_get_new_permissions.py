"""Organisers hold the permissions added in 0003 (every permission, as the roles say)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW = ["manage_abuse", "handle_privacy_requests"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("organise")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    organiser, _created = Group.objects.get_or_create(name="Organiser")
    organiser.permissions.add(
        *Permission.objects.filter(content_type__app_label="organise", codename__in=NEW)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="organise", codename__in=NEW).delete()


class Migration(migrations.Migration):
    dependencies = [("organise", "0003_abuse_and_privacy_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
