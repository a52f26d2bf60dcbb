"""Public identifiers of artists: ISNI, IPI name number, IMDb, MusicBrainz and Wikidata.

``normalize_identifier`` checks what a person typed or pasted (the identifier itself, or the
address of its public page) and returns the one form in which it is stored; it raises
``ValidationError`` with a message that says what is expected. ``identifier_url`` and
``format_identifier`` turn a stored value into its public page and its display form.

What is checked:

- ISNI: 16 characters, digits and a final check character (0-9 or X) verified with ISO 7064
  MOD 11-2, by python-stdnum. Stored without spaces, shown in groups of four.
- IPI name number: 9 to 11 digits, stored padded with zeros to 11. Its format only: see
  ``ipi_check_digits_match`` for why its check digits do not refuse a number.
- IMDb name ID: "nm" and 7 or 8 digits; no check digit exists.
- MusicBrainz artist ID: a UUID, stored in lower case; no check digit exists.
- Wikidata item: "Q" and a number without a leading zero; no check digit exists.

In a form, either list a validator (``forms.CharField(validators=[validate_isni])``), which
refuses a bad value but keeps what was typed, or call ``normalize_identifier`` in the form's
``clean_<field>`` method and return its result, which also stores the canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from stdnum import isni
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumValidationError


class IdentifierKind(models.TextChoices):
    ISNI = "isni", _("ISNI")
    IPI = "ipi", _("IPI name number")
    IMDB = "imdb", _("IMDb name ID")
    MUSICBRAINZ = "musicbrainz", _("MusicBrainz artist ID")
    WIKIDATA = "wikidata", _("Wikidata item")


EXPECTED = {
    IdentifierKind.ISNI: _(
        "Enter an ISNI: 16 characters, digits ending with a check character 0-9 or X, "
        "for example 0000 0001 2103 2683."
    ),
    IdentifierKind.IPI: _("Enter an IPI name number: 9 to 11 digits, for example 00087038166."),
    IdentifierKind.IMDB: _(
        "Enter an IMDb name ID (nm followed by 7 or 8 digits, for example nm0424060) "
        "or the address of the person's IMDb page."
    ),
    IdentifierKind.MUSICBRAINZ: _(
        "Enter a MusicBrainz artist ID (for example ea4dfa26-f633-4da6-a52a-f49ea4897b58) "
        "or the address of the artist's MusicBrainz page."
    ),
    IdentifierKind.WIKIDATA: _(
        "Enter a Wikidata item (Q followed by a number, for example Q34436) "
        "or the address of its Wikidata page."
    ),
}
ISNI_CHECKSUM = _(
    "This ISNI's last character does not match the others. Check it for a typing mistake."
)

_IMDB_ID = re.compile(r"nm[0-9]{7,8}", re.IGNORECASE)
# A locale segment ("/de/") may come before "name" in addresses copied from IMDb.
_IMDB_PATH = re.compile(r"/(?:[a-z]{2}(?:-[a-z]{2})?/)?name/(nm[0-9]{7,8})(?:/.*)?", re.I)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_MUSICBRAINZ_PATH = re.compile(rf"/artist/({_UUID.pattern})(?:/.*)?", re.I)
_WIKIDATA_ID = re.compile(r"Q[1-9][0-9]*", re.IGNORECASE)
_WIKIDATA_PATH = re.compile(rf"/(?:wiki|entity)/({_WIKIDATA_ID.pattern})", re.I)
_ISNI_PATH = re.compile(r"/isni/([0-9X ]{16,19})/?", re.I)
_IPI_DIGITS = re.compile(r"[0-9]{9,11}")
_IPI_LABEL = re.compile(r"^(?:CAE\s*/\s*)?(?:IPI|CAE)\s*[:#]?\s*", re.IGNORECASE)
_IPI_SEPARATORS = re.compile(r"[\s.\-]")
_ISNI_LABEL = re.compile(r"^ISNI\s*:?\s*", re.IGNORECASE)

_IMDB_HOSTS = frozenset({"imdb.com", "www.imdb.com", "m.imdb.com"})
_MUSICBRAINZ_HOSTS = frozenset({"musicbrainz.org", "www.musicbrainz.org", "beta.musicbrainz.org"})
_WIKIDATA_HOSTS = frozenset({"wikidata.org", "www.wikidata.org", "m.wikidata.org"})
_ISNI_HOSTS = frozenset({"isni.org", "www.isni.org"})


def normalize_identifier(kind: str, value: str) -> str:
    """The stored form of an identifier of ``kind``, from the identifier or its page address.

    Raises ``ValidationError`` (code "invalid", or "checksum" for an ISNI whose check
    character is wrong) with a message saying what is expected; ``ValueError`` for an
    unknown kind.
    """
    kind = IdentifierKind(kind)
    text = unicodedata.normalize("NFKC", value or "").strip()
    return _NORMALIZERS[kind](text)


def identifier_url(kind: str, value: str) -> str:
    """The public page of an identifier, or "" for an IPI name number, which has none."""
    kind = IdentifierKind(kind)
    identifier = normalize_identifier(kind, value)
    return {
        IdentifierKind.ISNI: f"https://isni.org/isni/{identifier}",
        IdentifierKind.IPI: "",
        IdentifierKind.IMDB: f"https://www.imdb.com/name/{identifier}/",
        IdentifierKind.MUSICBRAINZ: f"https://musicbrainz.org/artist/{identifier}",
        IdentifierKind.WIKIDATA: f"https://www.wikidata.org/wiki/{identifier}",
    }[kind]


def format_identifier(kind: str, value: str) -> str:
    """The form in which an identifier is shown: an ISNI in groups of four, others as stored."""
    kind = IdentifierKind(kind)
    identifier = normalize_identifier(kind, value)
    if kind == IdentifierKind.ISNI:
        return isni.format(identifier)
    return identifier


def ipi_check_digits_match(value: str) -> bool:
    """Whether an IPI name number's last two digits agree with its first nine.

    The rule (no CISAC text stating it could be consulted; this is the one implemented by
    django-music-publisher, ``music_publisher/validators.py``, ``check_ipi_digit``): weight
    the first nine digits 10, 9, ... 2, take the sum modulo 101; the check is 0 when that is
    0 and otherwise (101 - sum) modulo 100, written as two digits. Five published numbers
    follow it (Brian May 00087038166 and Basshunter 00494248817, the examples of Wikidata
    property P1828; 00014107338, the example of the CWR-DataApi documentation; 00045620792
    and 01145982828, found in public music-publishing code), but the third example of
    P1828, Pablo Picasso 00119750569, does not.
    Since a real number may fail it, ``normalize_identifier`` checks the format only and this
    answer is advice, for example to point a moderator at a likely typing mistake.
    """
    digits = normalize_identifier(IdentifierKind.IPI, value)
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    remainder = total % 101
    check = 0 if remainder == 0 else (101 - remainder) % 100
    return digits[9:] == f"{check:02d}"


@deconstructible
class IdentifierValidator:
    """A form or model field validator refusing what ``normalize_identifier`` refuses."""

    def __init__(self, kind: str) -> None:
        self.kind = IdentifierKind(kind)

    def __call__(self, value: str) -> None:
        normalize_identifier(self.kind, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentifierValidator) and self.kind == other.kind

    def __hash__(self) -> int:
        return hash(self.kind)


validate_isni = IdentifierValidator(IdentifierKind.ISNI)
validate_ipi = IdentifierValidator(IdentifierKind.IPI)
validate_imdb = IdentifierValidator(IdentifierKind.IMDB)
validate_musicbrainz = IdentifierValidator(IdentifierKind.MUSICBRAINZ)
validate_wikidata = IdentifierValidator(IdentifierKind.WIKIDATA)


def _invalid(kind: IdentifierKind) -> ValidationError:
    return ValidationError(EXPECTED[kind], code="invalid")


def _from_address(text: str, hosts: frozenset[str], path: re.Pattern[str]) -> str | None:
    """The identifier in a page address on one of ``hosts``, or None if ``text`` is no such
    address. The scheme may be left out, as when an address is copied from a browser bar."""
    if "/" not in text:
        return None
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
    except ValueError:  # a malformed address, such as an unclosed "[" in the host
        return None
    if parts.scheme.lower() not in {"http", "https"} or (parts.hostname or "") not in hosts:
        return None
    match = path.fullmatch(parts.path)
    return match.group(1) if match else None


def _normalize_isni(text: str) -> str:
    candidate = _from_address(text, _ISNI_HOSTS, _ISNI_PATH) or _ISNI_LABEL.sub("", text)
    try:
        return isni.validate(candidate)
    except InvalidChecksum:
        raise ValidationError(ISNI_CHECKSUM, code="checksum") from None
    except StdnumValidationError:
        raise _invalid(IdentifierKind.ISNI) from None


def _normalize_ipi(text: str) -> str:
    digits = _IPI_SEPARATORS.sub("", _IPI_LABEL.sub("", text))
    if not _IPI_DIGITS.fullmatch(digits):
        raise _invalid(IdentifierKind.IPI)
    return digits.zfill(11)


def _normalize_imdb(text: str) -> str:
    identifier = _from_address(text, _IMDB_HOSTS, _IMDB_PATH) or text
    if not _IMDB_ID.fullmatch(identifier):
        raise _invalid(IdentifierKind.IMDB)
    return identifier.lower()


def _normalize_musicbrainz(text: str) -> str:
    identifier = _from_address(text, _MUSICBRAINZ_HOSTS, _MUSICBRAINZ_PATH) or text
    if not _UUID.fullmatch(identifier):
        raise _invalid(IdentifierKind.MUSICBRAINZ)
    return identifier.lower()


def _normalize_wikidata(text: str) -> str:
    identifier = _from_address(text, _WIKIDATA_HOSTS, _WIKIDATA_PATH) or text
    if not _WIKIDATA_ID.fullmatch(identifier):
        raise _invalid(IdentifierKind.WIKIDATA)
    return identifier.upper()


_NORMALIZERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.ISNI: _normalize_isni,
    IdentifierKind.IPI: _normalize_ipi,
    IdentifierKind.IMDB: _normalize_imdb,
    IdentifierKind.MUSICBRAINZ: _normalize_musicbrainz,
    IdentifierKind.WIKIDATA: _normalize_wikidata,
}
