"""The ledger's Ed25519 signing key (through ``cryptography``).

``settings.LEDGER_SIGNING_KEY`` holds the base64 of the key's 32-byte seed (generate one with
``manage.py ledger_key``). In development (``DEBUG``) without one, a key derived from
``SECRET_KEY`` stands in, so tree heads can be signed and checked; the deploy check
(``ledger.checks``) refuses production without a real key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_DOMAIN = b"sii-ledger/development-key/v1\x00"


class SigningKeyError(ImproperlyConfigured):
    """The configured key is missing or malformed."""


def configured_seed() -> bytes | None:
    """The seed from ``LEDGER_SIGNING_KEY``, ``None`` when unset; raises ``SigningKeyError`` when
    it is not base64 of 32 bytes."""
    value = getattr(settings, "LEDGER_SIGNING_KEY", "") or ""
    if not value:
        return None
    try:
        seed = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError("LEDGER_SIGNING_KEY is not valid base64.") from None
    if len(seed) != 32:
        raise SigningKeyError("LEDGER_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed.")
    return seed


def development_seed() -> bytes:
    return hashlib.sha256(DEV_KEY_DOMAIN + settings.SECRET_KEY.encode()).digest()


def uses_development_key() -> bool:
    return configured_seed() is None


@functools.cache
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    """The signing key; outside ``DEBUG`` a missing key is an error, never a fallback."""
    seed = configured_seed()
    if seed is None:
        if not settings.DEBUG:
            raise SigningKeyError("LEDGER_SIGNING_KEY must be set when DEBUG is off.")
        seed = development_seed()
    return _private_key(seed)


def public_key_bytes() -> bytes:
    """The raw 32-byte public key (what the ledger page and the API publish)."""
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """A short name for a public key: the first 8 bytes of its SHA-256, hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def sign(message: bytes) -> bytes:
    return private_key().sign(message)


def generate_seed_b64() -> str:
    """A new key for ``LEDGER_SIGNING_KEY``."""
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(seed).decode()
