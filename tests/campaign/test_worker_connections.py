"""A Celery worker keeps its database connection between tasks as a web process does between
requests (CONN_MAX_AGE), instead of Celery's default of a new connection around every task."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings

from campaign import celery


def test_celerys_own_closing_is_relaxed():
    assert celery.app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX > 100


def test_between_tasks_old_connections_are_closed_as_between_requests(monkeypatch):
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append(1))
    worker_task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    eager_task = SimpleNamespace(request=SimpleNamespace(is_eager=True))

    celery._close_old_connections(task=worker_task)
    assert calls == [1]
    celery._close_old_connections(task=eager_task)  # inside a request: its connection
    assert calls == [1]
