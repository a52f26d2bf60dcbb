"""Which web addresses the tracker accepts for a company's site, a source or an archived copy.

Every such address is shown as a link to the public, so only plain ``http``/``https`` URLs with
a host and no credentials pass: no ``javascript:``, ``data:`` or ``file:`` scheme, no
``user:password@`` part (a classic way to disguise the real host), no spaces or control
characters.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

MAX_URL_LENGTH = 500

_shape = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address starting with https:// or http://.")
)


def validate_public_url(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a plain http(s) link safe to publish."""
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(_("This address is too long."), code="too_long")
    if any(ord(c) < 33 or ord(c) == 127 for c in value):
        raise ValidationError(
            _("A web address cannot contain spaces or control characters."), code="space"
        )
    _shape(value)
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            _("A web address with a user name or password in it is not accepted."),
            code="credentials",
        )
