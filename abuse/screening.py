"""How the abuse controls hear about signatures: receivers of ``signatures.signals``, connected
in ``AbuseConfig.ready``. Each queues the screening once the signing transaction commits
(``services.screen_after_commit``), so that abuse depends on signatures and never the reverse.
An import's chunk is heard once: its signing contexts are written in the chunk's transaction
(source "import", the import, the organiser), and the chunk is screened in one task after it
commits."""

from __future__ import annotations

from signatures.models import Signature
from signatures.signals import signature_confirmed, signature_submitted, signatures_imported

from . import services


def _on_submitted(sender, *, signature_id: int, origin=None, **kwargs) -> None:
    services.screen_after_commit(signature_id=signature_id, origin=origin)


def _on_confirmed(sender, *, signature_id: int, **kwargs) -> None:
    services.screen_after_commit(signature_id=signature_id)


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
