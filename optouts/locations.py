"""What an artist types as a place their works live, turned into the address we store.

A place is a whole site (``example.com`` becomes ``https://example.com/``) or the part of a site
under an address (``https://example.com/portfolio/``). Host names are lower-cased and stored in
ASCII (IDNA); a query or a fragment is refused, since a place is matched by its path only (in
``tdmrep.json`` and ``robots.txt``), whose pattern characters ``*`` and ``$`` are escaped.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from signatures import normalize

MAX_LENGTH = 500
# Kept as typed in a path; "*" and "$" are pattern characters in robots.txt and tdmrep.json.
_PATH_SAFE = "/%-._~!&'()+,;=:@"


def normalize_location(raw: str) -> str:
    """The canonical address of a place, or ``ValidationError`` with a message for the artist."""
    text = normalize.clean_text(raw)
    if not text:
        raise ValidationError(_("Enter the address of a site or of a part of a site."))
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _invalid() from None
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if getattr(settings, "LINKCHECK_ALLOW_HTTP", False) else {"https"}
    if scheme == "http" and "http" not in allowed:
        raise ValidationError(_("The address must start with https://"), code="not_https")
    if scheme not in allowed or parts.username is not None or parts.password is not None:
        raise _invalid()
    if parts.query or parts.fragment or text.rstrip().endswith(("?", "#")):
        raise ValidationError(
            _("Give the address of a site or of a folder, without “?” or “#”."), code="query"
        )
    host = _ascii_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc = f"{netloc}:{port}"
    url = f"{scheme}://{netloc}{quote(parts.path or '/', safe=_PATH_SAFE)}"
    if len(url) > MAX_LENGTH:
        raise ValidationError(_("This address is too long."), code="too_long")
    URLValidator(schemes=sorted(allowed), message=_invalid().message)(url)
    return url


def _ascii_host(hostname: str) -> str:
    try:
        return hostname.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        return ""


def _invalid() -> ValidationError:
    return ValidationError(
        _("Enter an address such as example.com or https://example.com/portfolio/"),
        code="invalid",
    )
