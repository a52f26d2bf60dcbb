"""Celery tasks about opt-out declarations: thin wrappers around ``services``."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=40)
def check_location(location_id: int) -> None:
    """Check one place of a declaration for the link-back proof (a place already decided is
    left alone, so running twice is harmless)."""
    services.check_location(location_id=location_id)
