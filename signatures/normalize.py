"""Normalising what people type before it is stored or compared.

Text is NFKC-normalised (so full-width letters, ligatures and compatibility forms become their
plain equivalents), trimmed, and refused when it carries control characters or the invisible
characters that reorder text (bidirectional embeddings, overrides and isolates), which are
used to disguise names and links.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from campaign import emailkeys

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Invisible characters that have no place in a name, an address or a link.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad")
_SPACES = re.compile(r"\s+")


def _refuse_hidden_characters(text: str, *, allow_newlines: bool) -> None:
    for char in text:
        if char in BIDI_CONTROLS:
            raise ValidationError(
                _("Remove the invisible characters that change the direction of text."),
                code="bidi",
            )
        if allow_newlines and char in "\n\t":
            continue
        if unicodedata.category(char) == "Cc":
            raise ValidationError(_("Remove the control characters."), code="control")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFKC, trimmed; spaces collapsed on one line, or blank lines limited to one in a text."""
    text = unicodedata.normalize("NFKC", value or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _refuse_hidden_characters(text, allow_newlines=multiline)
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        text = _SPACES.sub(" ", text)
    return text.strip()


def clean_name(value: str) -> str:
    """A person's name: one line, no invisible characters."""
    name = clean_text(value)
    if any(char in INVISIBLE for char in name):
        raise ValidationError(_("Remove the invisible characters from the name."), code="invisible")
    return name


def normalize_email(value: str) -> str:
    """The address as typed, trimmed, with its domain in the form IDNA compares it (lower-cased,
    the part mail servers treat case-insensitively); international domains are kept in their
    Unicode form ("faß.example" stays "faß.example", never "fass.example")."""
    email = unicodedata.normalize("NFKC", value or "").strip()
    _refuse_hidden_characters(email, allow_newlines=False)
    if any(char in INVISIBLE or char.isspace() for char in email):
        raise ValidationError(_("An email address cannot contain spaces."), code="space")
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    domain = emailkeys.domain_key(domain)
    if not emailkeys.fits_dns(domain):
        # Django's own message (and its translations): the same refusal as a malformed address.
        raise ValidationError(EmailValidator.message, code="invalid")
    return f"{local}@{domain}"


def email_key(email: str) -> str:
    """The form in which two addresses are compared: the mailbox name case-folded (mailbox
    names are case-insensitive in practice whatever the standard allows), the domain as IDNA
    compares it and no further (``campaign.emailkeys.email_key``)."""
    return emailkeys.email_key(email)


def search_key(text: str) -> str:
    """Text as the directory compares it: case-folded, accents removed, spaces collapsed, so
    that "Bjork" finds "Björk" and "jose" finds "José"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


WEB_ADDRESS_MESSAGE = _("Enter a web address such as https://example.com/my-work")
# Characters RFC 3986 leaves out of links: kept raw, a quote would end an HTML attribute or a
# JSON consumer's string, so they are percent-encoded (as browsers encode them when followed).
_UNSAFE_IN_LINK = str.maketrans({char: f"%{ord(char):02X}" for char in " \"'<>`\\{}|^"})


def web_address(value: str, *, message=WEB_ADDRESS_MESSAGE) -> str:
    """A link as typed, normalised: trimmed, ``https://`` added when no scheme was typed, the
    scheme and host lower-cased, the characters that have no place raw in a link (quotes,
    angle brackets, spaces, backslashes…) percent-encoded; refused (``ValidationError`` with
    ``message``) unless it is an http(s) address, and refused when it carries a user name or a
    password ("user:pass@host", also a way to disguise the real host). Every field where people
    type a link uses it; normalising a normalised link changes nothing."""
    link = clean_text(value)
    if not link:
        return ""
    if any(char in INVISIBLE for char in link):
        raise ValidationError(message, code="invalid")
    if "://" not in link:
        link = f"https://{link}"
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValidationError(message, code="invalid") from None
    if "@" in parts.netloc:
        raise ValidationError(message, code="userinfo")
    path, query, fragment = (
        part.translate(_UNSAFE_IN_LINK) for part in (parts.path, parts.query, parts.fragment)
    )
    link = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, fragment))
    URLValidator(schemes=["http", "https"], message=message)(link)
    return link


def public_link(value: str) -> str:
    """A stored link as it may be handed out (pages, API): normalised by ``web_address``, or ""
    when it cannot be (stored before the rules of today, or written around them)."""
    try:
        return web_address(value or "")
    except ValidationError:
        return ""
