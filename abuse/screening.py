"""How the abuse controls hear about signatures: receivers of ``signatures.signals``, connected
in ``AbuseConfig.ready``. Each queues the screening once the signing transaction commits
(``services.screen_after_commit``), so that abuse depends on signatures and never the reverse."""

from __future__ import annotations

from signatures.models import Signature
from signatures.signals import signature_confirmed, signature_submitted

from . import services


def _on_submitted(sender, *, signature_id: int, origin=None, **kwargs) -> None:
    services.screen_after_commit(signature_id=signature_id, origin=origin)


def _on_confirmed(sender, *, signature_id: int, **kwargs) -> None:
    services.screen_after_commit(signature_id=signature_id)


def connect() -> None:
    signature_submitted.connect(_on_submitted, sender=Signature, dispatch_uid="abuse.screening")
    signature_confirmed.connect(_on_confirmed, sender=Signature, dispatch_uid="abuse.screening")
