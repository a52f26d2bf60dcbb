"""The outbox under faults, with real services: Redis down while messages are queued, an SMTP
server refusing for a while, a worker killed in the middle of an SMTP conversation or while it
holds a gathered delivery run.

Each test ends the same way: every message reached the SMTP server exactly once (counted by
Message-ID) and every row is ``sent``.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from campaign import tasks
from campaign.models import OutboundEmail
from campaign.outbox import enqueue_email, sweep_outbox

from .conftest import LEASE_SECONDS, wait_until

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("email_test_templates")]

Status = OutboundEmail.Status


@pytest.fixture(autouse=True)
def shared_cache(celery_worker, redis_server, settings):
    """This process uses the worker's cache (its Redis, its key prefix), as the web processes
    and the workers share one Redis in production: the hand-off's debounce lives there, and
    goes down with the broker."""
    settings.CACHES = {
        "default": {
            "BACKEND": "campaign.cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": celery_worker.env["CACHE_KEY_PREFIX"],
        }
    }


def queue(key: str, *, to: str = "ada@example.org") -> OutboundEmail:
    """Queue a message the way a view does: inside the transaction that needs it."""
    with transaction.atomic():
        return enqueue_email(
            to=to, kind="outbox_test", language="en", context={"name": "Ada"}, dedup_key=key
        )


def assert_each_delivered_exactly_once(smtp_server, emails: list[OutboundEmail]) -> None:
    """Every row ``sent`` and its Message-ID seen once at the SMTP server, nothing else."""

    def all_sent() -> bool:
        return set(
            OutboundEmail.objects.filter(pk__in=[e.pk for e in emails]).values_list(
                "status", flat=True
            )
        ) == {Status.SENT}

    wait_until(all_sent, timeout=15, what="every row to be marked sent")
    # Once every row is sent no worker can claim one again; anything in flight has landed.
    received = Counter(smtp_server.message_ids())
    assert received == Counter(email.message_id for email in emails)
    assert OutboundEmail.objects.count() == len(emails)


def test_messages_queued_while_redis_is_down_leave_once_it_is_back(
    celery_worker, redis_server, smtp_server, caplog
):
    redis_server.stop()
    started = time.monotonic()

    emails = [queue(f"redis-down:{n}", to=f"artist{n}@example.org") for n in range(3)]

    # The callers (sign-up requests) saw no error and were not held up for long.
    assert time.monotonic() - started < 15
    assert caplog.text.count("the sweeper will retry it") == 3
    assert all(e.status == Status.QUEUED and e.attempts == 0 for e in emails)
    redis_server.start()

    def sweep_until_delivered() -> bool:
        with contextlib.suppress(OperationalError):  # this client may still be reconnecting
            tasks.sweep_outbox.delay()  # as beat would every minute; here every second
        return len(smtp_server.messages) >= len(emails)

    wait_until(
        sweep_until_delivered,
        timeout=40,
        interval=1,
        what="the sweeper to get the messages delivered",
        details=celery_worker.log,
    )
    assert_each_delivered_exactly_once(smtp_server, emails)
    assert {e.attempts for e in OutboundEmail.objects.all()} == {1}


def test_smtp_server_refusing_for_a_while_gets_the_messages_later(celery_worker, smtp_server):
    smtp_server.refuse_for(3)

    emails = [queue(f"greylisted:{n}", to=f"artist{n}@example.org") for n in range(2)]

    smtp_server.wait_for_messages(len(emails), timeout=30)
    assert_each_delivered_exactly_once(smtp_server, emails)
    assert smtp_server.refusals >= len(emails)
    for email in OutboundEmail.objects.all():
        assert email.attempts > 1
        assert email.last_error == "SMTP 451: 4.7.1 Greylisted, try again later"


def test_worker_killed_mid_send_is_replaced_and_the_message_leaves_once(celery_worker, smtp_server):
    smtp_server.stall(60)  # the first message hangs before the server accepts it
    stuck = queue("killed:stuck", to="stuck@example.org")
    smtp_server.wait_until_stalled(timeout=15)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (Status.SENDING, 1)
    waiting = queue("killed:waiting", to="waiting@example.org")  # in Redis, behind the first

    celery_worker.kill()
    wait_until(lambda: smtp_server.abandoned == 1, timeout=5, what="the server to see it go")
    assert smtp_server.messages == []
    celery_worker.start()

    # The new worker takes what was waiting in Redis; the stuck row needs the sweeper, once
    # its lease has expired (the killed worker's task message stays unacknowledged).
    smtp_server.wait_for_messages(1, timeout=15)
    wait_until(
        lambda: sweep_outbox() >= 1,
        timeout=LEASE_SECONDS + 10,
        interval=0.25,
        what="the sweeper to release the expired lease",
    )
    assert_each_delivered_exactly_once(smtp_server, [stuck, waiting])
    stuck.refresh_from_db()
    assert stuck.attempts == 2
    assert "worker stopped while sending" in stuck.last_error
    waiting.refresh_from_db()
    assert waiting.attempts == 1


def gathered_runs(app, worker) -> list[dict]:
    """The delivery runs ``worker`` holds in its memory until their countdown elapses."""
    replies = app.control.inspect(destination=[worker.name], timeout=1).scheduled() or {}
    return [
        entry
        for entry in replies.get(worker.name, [])
        if entry["request"]["name"] == tasks.deliver_outbox_batch.name
    ]


def test_worker_killed_holding_a_gathered_run_is_replaced_and_the_message_leaves_at_once(
    celery_broker, celery_worker, smtp_server, settings
):
    # Gathered for longer than the test takes, so that the worker is surely killed while it
    # holds the run (at the default half second that would be a race), and so that only the
    # replacement's own run can deliver the message in time.
    settings.OUTBOX_GATHER_SECONDS = 60
    email = queue("gathered:killed")
    wait_until(
        lambda: gathered_runs(celery_broker, celery_worker),
        timeout=15,
        what="the worker to hold the gathered run",
        details=celery_worker.log,
    )

    celery_worker.kill()
    assert smtp_server.messages == []
    celery_worker.start()

    # The lost run's task stays unacknowledged in Redis for the visibility timeout (10 min) and
    # its debounce key for over a minute; the replacement sends a run as it starts.
    smtp_server.wait_for_messages(1, timeout=15)
    assert_each_delivered_exactly_once(smtp_server, [email])
    email.refresh_from_db()
    assert email.attempts == 1
