from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from signatures import normalize


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ada   Lovelace  ", "Ada Lovelace"),
        ("\uff21\uff44\uff41 Lovelace", "Ada Lovelace"),  # full-width
        ("Ren\u0065\u0301e Vivien", "Ren\u00e9e Vivien"),  # combining accent composed
        ("\ufb01lm maker", "film maker"),  # ligature unfolded
        ("Björk", "Björk"),
        ("坂本 龍一", "坂本 龍一"),
        ("محمد عبده", "محمد عبده"),
    ],
)
def test_names_are_nfkc_normalised_and_trimmed(typed, stored):
    assert normalize.clean_name(typed) == stored


@pytest.mark.parametrize(
    "hostile",
    [
        "Ada\u202eecalevoL",
        "Ada\u2066Lovelace",
        "Ada\u200fLovelace",
        "Ada\x00Lovelace",
        "Ada\nLovelace",
        "Ada\u200bLovelace",
        "Ada\ufeffLovelace",
    ],
    ids=["rlo", "lri", "rlm", "nul", "newline", "zwsp", "bom"],
)
def test_names_with_hidden_characters_are_refused(hostile):
    with pytest.raises(ValidationError):
        normalize.clean_name(hostile)


def test_comments_keep_paragraphs_but_not_control_characters():
    assert normalize.clean_text("One\r\n\r\n\r\nTwo\tthree ", multiline=True) == "One\n\nTwo three"
    with pytest.raises(ValidationError):
        normalize.clean_text("One\x1btwo", multiline=True)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" Ada@EXAMPLE.Org ", "Ada@example.org"),
        ("ada@example.org.", "ada@example.org"),
        ("ADA.L+art@Example.com", "ADA.L+art@example.com"),
        ("jose@ÉXAMPLE.fr", "jose@éxample.fr"),
    ],
)
def test_email_domain_is_lower_cased_local_part_kept(typed, stored):
    assert normalize.normalize_email(typed) == stored


def test_email_with_spaces_inside_is_refused():
    with pytest.raises(ValidationError):
        normalize.normalize_email("ada lovelace@example.org")
