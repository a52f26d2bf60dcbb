"""A signer's receipt: what the confirmation email and the account page show, and what the
browser check (static/js/ledger-receipt.js) and the verifier's ``--receipt`` need."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from campaign.models import Campaign

from . import formats, selectors
from .models import Entry


@dataclass(frozen=True)
class Receipt:
    campaign: str
    commitment: str
    salt: str  # hex: the signer's secret, never published by the site
    signature_ref: str
    entries: list[Entry]
    public_key: str

    @property
    def latest(self) -> Entry | None:
        return self.entries[-1] if self.entries else None

    @property
    def latest_index(self) -> int | None:
        """The index of the latest sequenced entry, if any."""
        return next((e.index for e in reversed(self.entries) if e.index is not None), None)

    @property
    def api_url(self) -> str:
        return reverse(
            "api:ledger_receipt", kwargs={"slug": self.campaign, "commitment": self.commitment}
        )

    @property
    def absolute_api_url(self) -> str:
        return settings.SITE_URL + self.api_url

    @property
    def proof_url(self) -> str | None:
        """The inclusion proof of the latest sequenced entry (in the latest signed head)."""
        latest = next((e for e in reversed(self.entries) if e.index is not None), None)
        if latest is None:
            return None
        path = reverse("api:ledger_inclusion", kwargs={"slug": self.campaign})
        return f"{settings.SITE_URL}{path}?index={latest.index}"


def receipt_for(
    *, campaign: Campaign, salt: bytes, signature_ref: str, entries: list[Entry] | None = None
) -> Receipt | None:
    """The receipt of one signature, or ``None`` when its salt is gone (erased) or empty.
    ``entries``: its entries when the caller knows them (``[]``: none yet; two queries saved)."""
    if not salt:
        return None
    commitment = formats.commitment(bytes(salt), signature_ref)
    if entries is None:
        log = selectors.log_of(campaign)
        entries = selectors.entries_for_commitment(log=log, commitment=commitment) if log else []
    return Receipt(
        campaign=campaign.slug,
        commitment=commitment,
        salt=bytes(salt).hex(),
        signature_ref=signature_ref,
        entries=entries,
        public_key=key.hex if (key := selectors.public_key()) else "",
    )
