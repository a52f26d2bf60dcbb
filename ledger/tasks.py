"""Celery tasks of the ledger: thin, idempotent wrappers around ``services``."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def sequence_ledger() -> None:
    """Give recorded entries their place in the tree (beat, every few seconds, and on demand
    after a change). Safe to run twice or concurrently: a log being sequenced is skipped."""
    services.sequence()


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def publish_tree_heads() -> None:
    """Sign each public campaign's tree head (beat, hourly). A second run within the same
    clock hour signs nothing."""
    services.publish_tree_heads()
