"""The appeal's three demands, as the tracker's fixed criteria (``Criterion.CORE``)."""

from django.db import migrations

from tracker.criteria import CORE, install_core_criteria


def create(apps, schema_editor):
    install_core_criteria(apps.get_model("tracker", "Criterion"))


def remove(apps, schema_editor):
    apps.get_model("tracker", "Criterion").objects.filter(code__in=[c[0] for c in CORE]).delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
