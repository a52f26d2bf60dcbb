"""``manage.py verify_ledger``: the public verifier (``tools/verify_ledger.py``), run over
the database instead of the API, so the operator and the public run the very same checks.

The verifier is loaded from its file rather than imported from this app: it must stay one
standalone script anyone can download, with no Django in it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from functools import cache
from types import ModuleType

from django.conf import settings

from campaign.models import Campaign

from . import selectors
from .models import Log


@cache
def verifier() -> ModuleType:
    """The standalone verifier module (``tools/verify_ledger.py``)."""
    path = settings.BASE_DIR / "tools" / "verify_ledger.py"
    spec = importlib.util.spec_from_file_location("verify_ledger", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("verify_ledger", module)
    spec.loader.exec_module(module)
    return module


class DatabaseSource:
    """What the API would serve, read straight from the database."""

    def _log(self, slug: str) -> Log:
        return Log.objects.select_related("campaign").get(campaign__slug=slug)

    def index(self) -> dict:
        key = selectors.public_key()
        if key is None:
            raise verifier().SiteError("no signing key is configured (LEDGER_SIGNING_KEY)")
        logs = Log.objects.filter(campaign__in=Campaign.objects.public()).order_by("id")
        return {
            "public_key": {"hex": key.hex},
            "logs": [{"campaign": slug} for slug in logs.values_list("campaign__slug", flat=True)],
        }

    def status(self, slug: str) -> dict:
        return selectors.log_status(self._log(slug))

    def heads(self, slug: str) -> list[dict]:
        log = self._log(slug)
        return [selectors.head_document(head, slug) for head in log.heads.order_by("timestamp")]

    def entries(self, slug: str, start: int, end: int) -> Iterator[dict]:
        return selectors.entry_documents(log=self._log(slug), start=start, end=end)

    def receipt(self, slug: str, commitment: str) -> dict | None:
        return selectors.receipt_document(log=self._log(slug), commitment=commitment)

    def consistency(self, slug: str, first: int, second: int) -> list[bytes]:
        try:
            return selectors.consistency_proof(log=self._log(slug), first=first, second=second)
        except (selectors.ProofError, KeyError) as error:
            raise verifier().SiteError(str(error)) from None


def verify(*, campaigns: list[str] | None = None) -> list:
    """Run every check of the public verifier on the database; returns its reports."""
    module = verifier()
    key = selectors.public_key()
    if key is None:
        raise module.SiteError("no signing key is configured (LEDGER_SIGNING_KEY)")
    return module.verify_site(DatabaseSource(), public_key=key.raw, campaigns=campaigns or None)
