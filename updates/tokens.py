"""The signed token in every update email's unsubscribe link, without a table of tokens.

It names the signature the email was sent for, signed with the site's secret (Django's
``signing``, HMAC) under its own salt, so that no other link of the site can be turned into
one. It never expires: an email read a year later must still let its reader stop the
updates, and using it twice is harmless (unsubscribing is idempotent).
"""

from __future__ import annotations

from django.core import signing

UNSUBSCRIBE_SALT = "updates.unsubscribe"


class UnsubscribeLinkInvalid(Exception):
    """The link was altered, cut short, or belongs to another purpose."""


def make_unsubscribe_token(signature) -> str:
    return signing.dumps([signature.pk], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int:
    """The signature id the token names; raises ``UnsubscribeLinkInvalid`` otherwise."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise UnsubscribeLinkInvalid from None
    if (
        not isinstance(payload, list)
        or len(payload) != 1
        or isinstance(payload[0], bool)
        or not isinstance(payload[0], int)
        or not 0 < payload[0] < 2**63
    ):
        raise UnsubscribeLinkInvalid
    return payload[0]
