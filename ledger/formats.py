"""The ledger's byte formats, fixed once published: what a verifier recomputes.

- **Commitment** (binds an entry to a signature without naming it):
  ``SHA-256("sii-ledger/commitment/v1" || 0x00 || salt || signature_ref)``, hex, where
  ``salt`` is 32 random bytes kept with the signature and given to the signer alone, and
  ``signature_ref`` the signature's stable id (ASCII). Without the salt nobody can test an
  email address or a name against the log; once the salt is erased, nobody can link the entry.
- **Leaf** (what the Merkle tree hashes): the entry as canonical JSON, keys sorted, no
  spaces, ASCII only: ``{"campaign":…,"commitment":…,"index":…,"kind":…,"reason":…,"time":…}``
  with ``time`` in UTC to the microsecond (``2026-12-05T08:09:19.123456Z``).
- **Tree head** (what the Ed25519 key signs): five lines of text, each ending in ``\\n``::

      sii-ledger/v1
      campaign <slug>
      size <number of entries>
      root <root hash, hex>
      time <UTC, to the second: 2026-12-05T09:00:00Z>
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

COMMITMENT_DOMAIN = b"sii-ledger/commitment/v1\x00"
TREE_HEAD_HEADER = "sii-ledger/v1"
SALT_BYTES = 32


def new_salt() -> bytes:
    """A fresh random salt for a signature's commitment (32 bytes)."""
    return secrets.token_bytes(SALT_BYTES)


def commitment(salt: bytes, signature_ref: str) -> str:
    """The entry's commitment to the signature (hex SHA-256), as defined above."""
    if len(salt) != SALT_BYTES:
        raise ValueError("A commitment salt is 32 bytes.")
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + signature_ref.encode("ascii")).hexdigest()


def entry_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_document(
    *, campaign: str, index: int, kind: str, reason: str, commitment: str, time: dt.datetime
) -> dict:
    """An entry as the API publishes it and the leaf encodes it."""
    return {
        "campaign": campaign,
        "commitment": commitment,
        "index": index,
        "kind": kind,
        "reason": reason,
        "time": entry_time(time),
    }


def leaf_bytes(document: dict) -> bytes:
    """The canonical encoding of an entry document (the Merkle leaf)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def tree_head_text(*, campaign: str, size: int, root_hash: bytes, time: dt.datetime) -> str:
    """The text a tree head's signature covers."""
    return (
        f"{TREE_HEAD_HEADER}\ncampaign {campaign}\nsize {size}\n"
        f"root {root_hash.hex()}\ntime {head_time(time)}\n"
    )
