"""The impersonation guard's comparison: tricks fold away, different people stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signatures.confusables import is_confusable, name_skeleton

SAME_PERSON = [
    ("Scarlett Johansson", "ScarIett Johansson"),  # capital I for l
    ("Scarlett Johansson", "S\u0441arlett Johansson"),  # Cyrillic с
    ("Scarlett Johansson", "Scarlett Johans\u200bson"),  # zero-width space
    ("Scarlett Johansson", "Scarlett  Johansson "),
    ("Scarlett Johansson", "SCARLETT JOHANSSON"),
    ("Scarlett Johansson", "scarlett johansson"),
    ("Scarlett Johansson", "Scarl\u00e9tt Johansson"),  # an accent added
    ("Scarlett Johansson", "Scarlett J\u043ehansson"),  # Cyrillic о
    ("Scarlett Johansson", "Scarlett J0hansson"),  # zero for o
    ("Scarlett Johansson", "Scar1ett Johansson"),  # one for l
    ("Scarlett Johansson", "Scar|ett Johansson"),  # vertical bar for l
    ("Cate Blanchett", "Cate Blanch\u00e9tt"),
    ("Cate Blanchett", "\u0421ate \u0412lanchett"),  # Cyrillic С and В
    ("Cate Blanchett", "\u0421\u0430t\u0435 Blanchett"),  # Cyrillic С, а, е
    ("Joseph Gordon-Levitt", "Joseph Gordon Levitt"),
    ("Joseph Gordon-Levitt", "Joseph Gordon\u2010Levitt"),  # U+2010 hyphen
    ("Joseph Gordon-Levitt", "Joseph Gordon\u2013Levitt"),  # en dash
    ("Joseph Gordon-Levitt", "Joseph GordonLevitt"),
    ("R.E.M.", "REM"),
    ("R.E.M.", "R.E.M"),
    ("R.E.M.", "R E M"),
    ("R.E.M.", "R \u0415 M"),  # Cyrillic Е
    ("R.E.M.", "r.e.m."),
    ("Cyndi Lauper", "Cyndi Lau\u0440er"),  # Cyrillic р
    ("Billy Corgan", "\uff22\uff49\uff4c\uff4c\uff59 \uff23\uff4f\uff52\uff47\uff41\uff4e"),
    ("Billy Corgan", "\U0001d401\U0001d422\U0001d425\U0001d425\U0001d432 Corgan"),  # maths bold
    ("Billy Corgan", "Billy \u202eCorgan"),  # right-to-left override
    ("Billy Corgan", "Billy\u2060 Corgan\ufeff"),  # word joiner, byte order mark
    ("Billy Corgan", "Bil\u00adly Corgan"),  # soft hyphen
    ("Billy Corgan", "Billy Corgan\ufe0f"),  # variation selector
    ("Billy Corgan", "BILLY CORGAN"),
    ("Billy Corgan", "BlLLY CORGAN"),  # lower-case l for I among capitals
    ("Vince Gilligan", "Vince GiIIigan"),
    ("Vince Gilligan", "VINCE GILLIGAN"),
    ("Bonnie Raitt", "Bonnie Rait\u200dt"),  # zero-width joiner
    ("Bonnie Raitt", "Bonnie Rait\u200ct"),  # zero-width non-joiner
    ("Idris Elba", "IDRIS ELBA"),
    ("Idris Elba", "ldris Elba"),  # lower-case l for the capital I
    ("Zack de la Rocha", "Zack de Ia Rocha"),
    ("Eminem", "Erninern"),  # rn for m
    ("Jack White", "Jack Vvhite"),  # vv for w
    ("Sin\u00e9ad O'Connor", "Sinead O\u2019Connor"),  # apostrophes of all kinds
    ("Sin\u00e9ad O'Connor", "Sinead O\u02bcConnor"),
    ("Sin\u00e9ad O'Connor", "Sinead OConnor"),
    ("Earth, Wind & Fire", "Earth Wind & Fire"),
    ("Bj\u00f8rk", "Bjork"),
    ("Lech Wa\u0142\u0119sa", "Lech Walesa"),
    ("\u0110or\u0111e Balasevi\u0107", "Dorde Balasevic"),
    ("Johann Strau\u00df", "Johann Strauss"),
    ("\u00c6var \u00de\u00f3r", "Aevar \u00deor"),
    ("Fran\u00e7ois \u0152dipe", "Francois Oedipe"),
    ("Y\u0131ld\u0131z Tilbe", "Yildiz Tilbe"),  # dotless i
    ("\u0391\u0392\u0392\u0391", "ABBA"),  # Greek capitals
    ("Kate Bush", "\u039aate Bush"),  # Greek Κ
    ("kd lang", "\u03bad lang"),  # Greek κ
    ("NICO", "\u039d\u0399C\u039f"),  # Greek Ν, Ι, Ο
    ("Opeth", "\u03bfpeth"),  # Greek ο
    ("Sade", "\u0405ade"),  # Cyrillic Ѕ
    ("Sade", "S\u0430\u0501e"),  # Cyrillic а, ԁ
    ("Sia", "\u0455\u0456\u0430"),  # Cyrillic ѕ, і, а
    ("Haim", "\u04bba\u0456m"),  # Cyrillic һ, і
    ("Sin\u00e9ad O'Connor", "Sinead O\u05d9Connor"),  # Hebrew yod for the apostrophe
    ("Sin\u00e9ad O'Connor", "Sinead O\ua78cConnor"),  # Latin saltillo for it
    ("Anna Bell", "Anna\u0941 Bell"),  # a Devanagari vowel sign on a Latin letter
    ("\u091c\u093e\u0915\u093f\u0930", "\u091c\u093c\u093e\u0915\u093f\u0930"),  # nukta
    ("\u0915\u0943\u0937\u094d\u0923", "\u0915\u0943\u0937\u094d\u200d\u0923"),  # ZWJ
    ("\u05de\u05d0\u05d9\u05e8", "\u05de\u05d0\u05d9\u200b\u05e8"),  # Hebrew, zero-width
    ("\u0e2a\u0e21\u0e0a\u0e32\u0e22", "\u0e2a\u0e21\u0e0a\u0e32\u0e22\u200b"),  # Thai
]

DIFFERENT_PEOPLE = [
    ("Cate Blanchett", "Kate Blanchett"),
    ("Billy Corgan", "Billy Morgan"),
    ("Bonnie Raitt", "Bonnie Tyler"),
    ("Scarlett Johansson", "Scarlett Jones"),
    ("The Roots", "The Rooks"),
    ("Elia Kazan", "Ella Kazan"),
    ("Billy Corgan", "Billy Corgan Jr"),
    ("Mia Farrow", "Mla Farrow"),
    # Hebrew yod is a letter, not an apostrophe: Meir and Miar, Israel and Shirael.
    ("\u05de\u05d0\u05d9\u05e8", "\u05de\u05d9\u05d0\u05e8"),
    ("\u05d9\u05e9\u05e8\u05d0\u05dc", "\u05e9\u05d9\u05e8\u05d0\u05dc"),
    # Vowel signs are letters in Devanagari, Bengali and Thai: Ram and Ramu, Raj and Raju.
    ("\u0930\u093e\u092e", "\u0930\u093e\u092e\u0942"),
    ("\u0930\u0924\u0928", "\u0930\u0924\u094d\u0928"),  # Ratan and Ratna
    ("\u09b0\u09be\u099c", "\u09b0\u09be\u099c\u09c1"),
    (
        "\u0e08\u0e34\u0e23\u0e32\u0e20\u0e23\u0e13\u0e4c",
        "\u0e08\u0e35\u0e23\u0e32\u0e20\u0e23\u0e13\u0e4c",
    ),  # Thai: i and ii
]


@pytest.mark.parametrize(("real", "impostor"), SAME_PERSON)
def test_tricks_give_the_same_skeleton(real, impostor):
    assert name_skeleton(real) == name_skeleton(impostor)
    assert is_confusable(real, impostor)
    assert is_confusable(impostor, real)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_PEOPLE)
def test_different_names_stay_apart(one, other):
    assert name_skeleton(one) != name_skeleton(other)
    assert not is_confusable(one, other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("", ""), ("", "Billy Corgan"), ("\u200b", "\u200d"), (" . - ", "'"), ("\u202e", "")],
)
def test_names_with_nothing_visible_are_never_confusable(one, other):
    assert not is_confusable(one, other)


def test_corgan_keeps_its_c_when_rn_and_m_are_folded():
    assert name_skeleton("Billy Corgan") == "billycorgan"
    assert name_skeleton("Billy Morgan") == name_skeleton("Billy Rnorgan") == "billymorgan"


@given(st.text())
def test_skeleton_is_idempotent_and_total(name):
    skeleton = name_skeleton(name)
    assert name_skeleton(skeleton) == skeleton


@given(st.text(st.characters(codec="utf-8")), st.text(st.characters(codec="utf-8")))
def test_confusable_is_symmetric(one, other):
    assert is_confusable(one, other) == is_confusable(other, one)
