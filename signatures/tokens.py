"""Signed links for confirming and withdrawing a signature, without a table of tokens.

A confirmation link carries the signature's id and a marker of its withdrawal state, signed
and time-stamped by Django's ``signing``: it expires after ``SIGNATURE_CONFIRM_DAYS`` and stops
working once the signature has been withdrawn (signing again issues new links). A withdrawal link
does not expire: every email, however old, must let the person take their name back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "signatures.confirm"
WITHDRAW_SALT = "signatures.withdraw"


class TokenInvalid(Exception):
    """The link was altered, belongs to another purpose, or no longer applies."""


class TokenExpired(Exception):
    """The link is genuine but too old; ``signature_id`` says whose it was."""

    def __init__(self, signature_id: int):
        super().__init__(signature_id)
        self.signature_id = signature_id


@dataclass(frozen=True)
class Claim:
    signature_id: int
    state: str


def state_marker(signature) -> str:
    """Changes when a signature is withdrawn, so older links stop working."""
    return str(int(signature.withdrawn_at.timestamp())) if signature.withdrawn_at else "0"


def make_confirm_token(signature) -> str:
    return signing.dumps([signature.pk, state_marker(signature)], salt=CONFIRM_SALT)


def make_withdraw_token(signature) -> str:
    return signing.dumps([signature.pk], salt=WITHDRAW_SALT)


def _claim(payload, *, size: int) -> Claim:
    """The claim of a payload of ``size`` items (an id, then a state marker). Anything else
    is refused, even when properly signed: ``True`` is an ``int`` to Python, and an id a
    database column cannot hold must not reach a query."""
    if not isinstance(payload, list) or len(payload) != size:
        raise TokenInvalid
    signature_id = payload[0]
    if isinstance(signature_id, bool) or not isinstance(signature_id, int):
        raise TokenInvalid
    if not 0 < signature_id < 2**63 or (size > 1 and not isinstance(payload[1], str)):
        raise TokenInvalid
    return Claim(signature_id=signature_id, state=payload[1] if size > 1 else "")


def read_confirm_token(token: str) -> Claim:
    """Raises ``TokenExpired`` for a genuine but old link and ``TokenInvalid`` otherwise."""
    max_age = settings.SIGNATURE_CONFIRM_DAYS * 86_400
    try:
        return _claim(signing.loads(token, salt=CONFIRM_SALT, max_age=max_age), size=2)
    except signing.SignatureExpired:
        expired = _claim(signing.loads(token, salt=CONFIRM_SALT), size=2)
        raise TokenExpired(expired.signature_id) from None
    except signing.BadSignature:
        raise TokenInvalid from None


def read_withdraw_token(token: str) -> Claim:
    try:
        return _claim(signing.loads(token, salt=WITHDRAW_SALT), size=1)
    except signing.BadSignature:
        raise TokenInvalid from None
