"""Artists' public identifiers: what is accepted, how it is stored, shown and linked."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise

from signatures.identifiers import (
    IdentifierKind,
    IdentifierValidator,
    format_identifier,
    identifier_url,
    ipi_check_digits_match,
    normalize_identifier,
    validate_isni,
)

R_E_M = "ea4dfa26-f633-4da6-a52a-f49ea4897b58"

VALID = [
    # ISNI: MOD 11-2 check character, verified by python-stdnum.
    (IdentifierKind.ISNI, "0000 0001 2103 2683", "0000000121032683"),
    (IdentifierKind.ISNI, "0000000121032683", "0000000121032683"),
    (IdentifierKind.ISNI, " 0000-0002-1825-0097 ", "0000000218250097"),  # ORCID range
    (IdentifierKind.ISNI, "000000012281955x", "000000012281955X"),  # X check character
    (IdentifierKind.ISNI, "ISNI 0000 0001 2103 2683", "0000000121032683"),
    (IdentifierKind.ISNI, "https://isni.org/isni/0000000121032683", "0000000121032683"),
    (IdentifierKind.ISNI, "\uff10" * 7 + "121032683", "0000000121032683"),  # full-width
    # IPI name number: 9 to 11 digits, padded to 11.
    (IdentifierKind.IPI, "00087038166", "00087038166"),
    (IdentifierKind.IPI, "087038166", "00087038166"),
    (IdentifierKind.IPI, "0494248817", "00494248817"),
    (IdentifierKind.IPI, "IPI: 000 870 381 66", "00087038166"),
    (IdentifierKind.IPI, "CAE/IPI 00087038166", "00087038166"),
    # IMDb name ID.
    (IdentifierKind.IMDB, "nm0424060", "nm0424060"),  # Scarlett Johansson
    (IdentifierKind.IMDB, "NM0000949", "nm0000949"),  # Cate Blanchett
    (IdentifierKind.IMDB, "nm10010101", "nm10010101"),  # eight digits
    (IdentifierKind.IMDB, "https://www.imdb.com/name/nm0424060/", "nm0424060"),
    (IdentifierKind.IMDB, "http://imdb.com/name/nm0000949", "nm0000949"),
    (IdentifierKind.IMDB, "https://m.imdb.com/name/nm0000949/?ref_=nv_sr_1", "nm0000949"),
    (IdentifierKind.IMDB, "www.imdb.com/name/nm0424060/bio", "nm0424060"),
    (IdentifierKind.IMDB, "https://www.imdb.com/fr/name/nm0424060/", "nm0424060"),
    # MusicBrainz artist ID.
    (IdentifierKind.MUSICBRAINZ, R_E_M, R_E_M),
    (IdentifierKind.MUSICBRAINZ, R_E_M.upper(), R_E_M),
    (IdentifierKind.MUSICBRAINZ, f"https://musicbrainz.org/artist/{R_E_M}", R_E_M),
    (IdentifierKind.MUSICBRAINZ, f"https://beta.musicbrainz.org/artist/{R_E_M}/releases", R_E_M),
    (IdentifierKind.MUSICBRAINZ, f"musicbrainz.org/artist/{R_E_M}", R_E_M),
    # Wikidata item.
    (IdentifierKind.WIKIDATA, "Q34436", "Q34436"),  # Scarlett Johansson
    (IdentifierKind.WIKIDATA, "Q80966", "Q80966"),  # Cate Blanchett
    (IdentifierKind.WIKIDATA, "q34436", "Q34436"),
    (IdentifierKind.WIKIDATA, "https://www.wikidata.org/wiki/Q34436", "Q34436"),
    (IdentifierKind.WIKIDATA, "http://www.wikidata.org/entity/Q80966", "Q80966"),
    (IdentifierKind.WIKIDATA, "https://m.wikidata.org/wiki/q80966", "Q80966"),
]

INVALID = [
    (IdentifierKind.ISNI, "0000 0001 2103"),
    (IdentifierKind.ISNI, "0000 0001 2103 26833"),
    (IdentifierKind.ISNI, "000X 0001 2103 2683"),
    (IdentifierKind.ISNI, "https://example.org/isni/0000000121032683"),
    (IdentifierKind.ISNI, ""),
    (IdentifierKind.IPI, "87038166"),  # eight digits
    (IdentifierKind.IPI, "000870381660"),  # twelve digits
    (IdentifierKind.IPI, "0008703816A"),
    (IdentifierKind.IPI, "\u0660" * 11),  # Arabic-Indic digits are not IPI digits
    (IdentifierKind.IPI, ""),
    (IdentifierKind.IMDB, "nm042406"),
    (IdentifierKind.IMDB, "nm123456789"),
    (IdentifierKind.IMDB, "0424060"),
    (IdentifierKind.IMDB, "tt0111161"),
    (IdentifierKind.IMDB, "https://www.imdb.com/title/tt0111161/"),
    (IdentifierKind.IMDB, "https://www.imdb.example/name/nm0424060/"),
    (IdentifierKind.IMDB, "https://[www.imdb.com/name/nm0424060/"),
    (IdentifierKind.IMDB, "ftp://www.imdb.com/name/nm0424060/"),
    (IdentifierKind.MUSICBRAINZ, R_E_M[:-1]),
    (IdentifierKind.MUSICBRAINZ, R_E_M[:-1] + "g"),
    (IdentifierKind.MUSICBRAINZ, R_E_M.replace("-", "")),
    (IdentifierKind.MUSICBRAINZ, f"https://musicbrainz.org/release/{R_E_M}"),
    (IdentifierKind.MUSICBRAINZ, "R.E.M."),
    (IdentifierKind.WIKIDATA, "Q0123"),
    (IdentifierKind.WIKIDATA, "Q"),
    (IdentifierKind.WIKIDATA, "34436"),
    (IdentifierKind.WIKIDATA, "P1828"),
    (IdentifierKind.WIKIDATA, "https://www.wikidata.org/wiki/Property:P1828"),
    (IdentifierKind.WIKIDATA, "https://en.wikipedia.org/wiki/Q34436"),
]


@pytest.mark.parametrize(("kind", "typed", "stored"), VALID)
def test_valid_identifiers_are_stored_in_one_form(kind, typed, stored):
    assert normalize_identifier(kind, typed) == stored
    assert normalize_identifier(kind, stored) == stored


@pytest.mark.parametrize(("kind", "typed"), INVALID)
def test_invalid_identifiers_say_what_is_expected(kind, typed):
    with pytest.raises(ValidationError) as raised:
        normalize_identifier(kind, typed)
    error = raised.value
    assert error.code == "invalid"
    assert isinstance(error.message, Promise)  # translatable
    assert "for example" in str(error.message)


def test_an_isni_with_a_wrong_check_character_is_refused_as_such():
    assert normalize_identifier("isni", "0000 0001 2103 2683")
    with pytest.raises(ValidationError) as raised:
        normalize_identifier("isni", "0000 0001 2103 2684")
    assert raised.value.code == "checksum"
    assert isinstance(raised.value.message, Promise)


@pytest.mark.parametrize(
    ("kind", "value", "url", "shown"),
    [
        (
            "isni",
            "0000000121032683",
            "https://isni.org/isni/0000000121032683",
            "0000 0001 2103 2683",
        ),
        ("ipi", "087038166", "", "00087038166"),
        ("imdb", "nm0424060", "https://www.imdb.com/name/nm0424060/", "nm0424060"),
        ("musicbrainz", R_E_M, f"https://musicbrainz.org/artist/{R_E_M}", R_E_M),
        ("wikidata", "q34436", "https://www.wikidata.org/wiki/Q34436", "Q34436"),
    ],
)
def test_public_page_and_display_form(kind, value, url, shown):
    assert identifier_url(kind, value) == url
    assert format_identifier(kind, value) == shown


@pytest.mark.parametrize(
    "published",
    [
        "00087038166",  # Brian May, example of Wikidata property P1828
        "00494248817",  # Basshunter, same
        "00014107338",  # example of the CWR-DataApi documentation
        "00045620792",
        "01145982828",
    ],
)
def test_published_ipi_name_numbers_match_their_check_digits(published):
    assert normalize_identifier("ipi", published) == published
    assert ipi_check_digits_match(published)


@pytest.mark.parametrize(
    ("number", "matches"),
    [
        ("12345678993", True),  # weighted sum 210, 210 mod 101 = 8, 101 - 8 = 93
        ("12345678994", False),
        ("00000000000", True),  # sum 0: check 00
        ("10000389900", True),  # sum 102, 102 mod 101 = 1: 101 - 1 = 100, written 00
        ("00087038167", False),  # Brian May's number mistyped
        ("00087083166", False),  # two digits swapped
    ],
)
def test_ipi_check_digits_follow_the_mod_101_rule(number, matches):
    assert ipi_check_digits_match(number) is matches


def test_an_ipi_failing_the_check_is_still_accepted():
    # Pablo Picasso's number as published on Wikidata does not follow the rule, so the check
    # advises and does not refuse.
    assert normalize_identifier("ipi", "00119750569") == "00119750569"
    assert not ipi_check_digits_match("00119750569")


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        normalize_identifier("orcid", "0000-0002-1825-0097")


class ArtistForm(forms.Form):
    isni = forms.CharField(validators=[validate_isni])
    wikidata = forms.CharField(validators=[IdentifierValidator("wikidata")])


def test_validators_refuse_bad_values_in_a_form():
    good = ArtistForm({"isni": "0000 0001 2103 2683", "wikidata": "Q34436"})
    bad = ArtistForm({"isni": "0000 0001 2103 2684", "wikidata": "Q0123"})
    assert good.is_valid(), good.errors
    assert not bad.is_valid()
    assert set(bad.errors) == {"isni", "wikidata"}
    assert "Q34436" in bad.errors["wikidata"][0]


def test_validators_can_be_written_into_migrations():
    path, args, kwargs = IdentifierValidator(IdentifierKind.IMDB).deconstruct()
    assert path == "signatures.identifiers.IdentifierValidator"
    assert IdentifierValidator(*args, **kwargs) == IdentifierValidator("imdb")
    assert IdentifierValidator("imdb") != validate_isni
