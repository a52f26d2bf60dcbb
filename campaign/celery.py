"""The Celery application: tasks are autodiscovered in every installed app's ``tasks.py``.

Configuration comes from Django settings under the ``CELERY_`` namespace, so the embedded
default (no ``REDIS_URL``: tasks run eagerly in-process) and production (a Redis broker) are
chosen in one place, ``campaign/settings.py``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

app = Celery("campaign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
