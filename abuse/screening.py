"""How the abuse controls hear about signatures: receivers of ``signatures.signals``, connected
in ``AbuseConfig.ready``, so that abuse depends on signatures and never the reverse.

A signature made on the site gets its signing context (address, browser, canonical email)
written in the signing transaction itself, one ``INSERT``; once that commits, and again once
its confirmation commits, its id joins a waiting list in Redis, and one screening run
(``tasks.screen_signature``) at a time screens everything waiting, in batches
(``services.screen_signatures``: the lists read once, the duplicate rule looked up once per
batch). During a surge that is one run per burst of commits, not a task per signature, which
cost more CPU than the signature itself (docs/performance.md). Debounced like the outbox's
delivery runs (``campaign.outbox.handoff``): a run is sent only when none is waiting
(``RUN_PENDING_KEY``), a second after the commit that sent it, and a run deletes that key as
it starts, before it takes the waiting ids, so no id is left behind. Whatever is lost on the
way (Redis flushed, the broker down, a worker killed mid-run) leaves contexts unscreened, and
``screen_stragglers`` (beat) screens them within minutes. Without Redis (the embedded default)
each signature is screened by its own task, run at once.
An import's chunk is heard once: its signing contexts are written in the chunk's transaction
(source "import", the import, the organiser), and the chunk is screened in one task after it
commits."""

from __future__ import annotations

import logging
import time
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from campaign.clientip import RequestOrigin, ip_key, ip_range, parse_ip
from signatures.models import Signature
from signatures.signals import signature_confirmed, signature_submitted, signatures_imported

from . import services
from .models import SigningContext

logger = logging.getLogger(__name__)

# The ids waiting to be screened (a Redis list), and the key present while a run is queued and
# has not started (it expires in case that run's task is lost).
WAITING_KEY = "abuse:screening:waiting"
RUN_PENDING_KEY = "abuse:screening:run-pending"
RUN_PENDING_TIMEOUT = 30
BATCH_SIZE = 200
# A run stops taking new batches after this long (well inside the task's time limit).
RUN_SECONDS = 10
# A run starts this long after the commit that sent it: in a surge the signatures of that second
# join it, so that a run screens tens of them rather than one or two (each run costs a task).
RUN_DELAY_SECONDS = 1


def _on_submitted(sender, *, signature_id: int, origin=None, email: str = "", **kwargs) -> None:
    if origin is None or not email:
        services.screen_after_commit(signature_id=signature_id, origin=origin)
        return
    record_context_now(signature_id=signature_id, origin=origin, email=email)
    transaction.on_commit(partial(queue_screening, signature_id))


def _on_confirmed(sender, *, signature_id: int, **kwargs) -> None:
    # Now confirmed, it may duplicate another confirmed signature.
    transaction.on_commit(partial(queue_screening, signature_id))


def record_context_now(*, signature_id: int, origin: RequestOrigin, email: str) -> None:
    """Write (or, when the person signed again, renew) where a signature came from, in the
    caller's transaction, in one statement; the lists will be applied to it (again). What
    ``services.record_signing_context`` writes, without reading the signature first."""
    address = parse_ip(origin.ip)
    fields = {
        **services._email_fields(email),
        "ip": str(address) if address else None,
        "ip_range": ip_range(origin.ip)[:50],
        "ip_key": ip_key(origin.ip)[:34],
        "user_agent": origin.user_agent[:300],
        "created_at": timezone.now(),
        "screened_at": None,
        "verdict": "",
    }
    fields["email_domain"] = fields["email_domain"][:253]
    fields["canonical_email"] = fields["canonical_email"][:254]
    SigningContext.objects.bulk_create(
        [SigningContext(signature_id=signature_id, **fields)],
        update_conflicts=True,
        unique_fields=["signature"],
        update_fields=list(fields),
    )


def queue_screening(signature_id: int) -> None:
    """After a commit: add ``signature_id`` to the waiting list and make sure a screening run
    will take it. Never raises (what is not screened now, ``screen_stragglers`` screens)."""
    from .tasks import screen_signature as task

    try:
        client = _redis()
        if client is None:  # no Redis: its own run, at once on the embedded default
            task.delay(signature_id)
            return
        pipe = client.pipeline(transaction=False)
        pipe.rpush(_key(WAITING_KEY), signature_id)
        pipe.set(_key(RUN_PENDING_KEY), 1, nx=True, ex=RUN_PENDING_TIMEOUT)
        _length, run_needed = pipe.execute()
        if run_needed:
            try:
                if task.app.conf.task_always_eager:
                    task.delay(signature_id)  # the embedded default and the tests: at once
                else:  # a second's wait gathers a surge's signatures into one run
                    task.apply_async((signature_id,), countdown=RUN_DELAY_SECONDS)
            except Exception:
                client.delete(_key(RUN_PENDING_KEY))  # no run is coming: the next commit tries
                raise
    except Exception:
        logger.exception("Could not queue the screening of signature %s", signature_id)


def screen_waiting(*, signature_id: int | None = None) -> int:
    """A screening run: everything waiting (and ``signature_id``), in batches of
    ``BATCH_SIZE``, until nothing waits. Returns how many signatures it screened."""
    client = _redis()
    if client is not None:
        client.delete(_key(RUN_PENDING_KEY))  # first: later commits send a run of their own
    ids = [signature_id] if signature_id is not None else []
    screened, started = 0, time.monotonic()
    while time.monotonic() - started < RUN_SECONDS:
        if client is not None:
            taken = client.lpop(_key(WAITING_KEY), BATCH_SIZE - len(ids)) or []
            ids += [int(value) for value in taken]
        if not ids:
            return screened
        unique = sorted(set(ids))
        services.screen_signatures(signature_ids=unique)
        screened += len(unique)
        ids = []
        if client is None:
            return screened
    return screened  # what still waits goes to the run the next commit sends


def _redis():
    """The cache's Redis client, or None when the cache is not Redis."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client is not None else None


def _key(name: str) -> str:
    return cache.make_and_validate_key(name)


def _on_imported(
    sender, *, signature_ids: list[int], reference: str, organiser_id=None, **kwargs
) -> None:
    services.record_import_contexts(
        signature_ids=signature_ids, reference=reference, organiser_id=organiser_id
    )
    services.screen_many_after_commit(signature_ids=signature_ids)


def connect() -> None:
    signature_submitted.connect(_on_submitted, sender=Signature, dispatch_uid="abuse.screening")
    signature_confirmed.connect(_on_confirmed, sender=Signature, dispatch_uid="abuse.screening")
    signatures_imported.connect(_on_imported, sender=Signature, dispatch_uid="abuse.screening")
