"""The Celery application: tasks are autodiscovered in every installed app's ``tasks.py``.

Configuration comes from Django settings under the ``CELERY_`` namespace, so the embedded
default (no ``REDIS_URL``: tasks run eagerly in-process) and production (a Redis broker) are
chosen in one place, ``campaign/settings.py``.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

app = Celery("campaign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Between tasks, as between requests: close a database connection that has failed or
    outlived CONN_MAX_AGE (with the default, 0, every task gets a fresh one, as before
    CELERY_DB_REUSE_MAX; with CONN_MAX_AGE=60 a worker reuses its connection). Not for a task
    run eagerly: it runs inside a request, whose connection is the request's."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_ready.connect
def _deliver_what_a_killed_worker_held(sender=None, **kwargs) -> None:
    """As a worker becomes ready, send one outbox delivery run at once, past the debounce: a
    worker killed while it held a gathered run (a countdown, kept in its memory) lost it, and
    its replacement sends what waited as it starts (``outbox.handoff.worker_started``). Never
    raises: with the broker down the rows stay for the sweeper. Not when tasks run eagerly."""
    if app.conf.task_always_eager:
        return
    from .outbox import handoff

    handoff.worker_started()
