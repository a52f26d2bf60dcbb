"""The impersonation guard's false holds, measured: 6,440 ordinary names in 46 locales sign a
campaign whose protected names are its launch supporters and 460 verified or featured artists
(names from the same locales). Fewer than 0.5 % may be held, and the impostor forms of the
protected names must all be (docs/impersonation.md gives the rates and the policy)."""

from __future__ import annotations

import unicodedata

import pytest
from django.utils import timezone

from campaign.models import LaunchSupporter
from signatures.confusables import name_skeleton
from signatures.models import Supporter
from signatures.services.verification import protected_names

from .name_pool import names

pytestmark = pytest.mark.django_db

ORDINARY = names(seed=2, per_locale=140)
PROTECTED = names(seed=1, per_locale=10)
MAX_HOLD_RATE = 0.005


def _same_written_name(a: str, b: str) -> bool:
    def plain(name: str) -> str:
        return unicodedata.normalize("NFC", " ".join(name.casefold().split()))

    return plain(a) == plain(b)


@pytest.fixture
def protected_campaign(launched_campaign):
    now = timezone.now()
    supporters = [
        Supporter(
            email=f"protected{n}@example.org",
            full_name=name,
            verified_at=now if n % 20 else None,
            is_featured=n % 20 == 0,  # one in twenty featured, the rest verified
            name_skeleton=name_skeleton(name)[:200],
            email_key=f"protected{n}@example.org",
            public_id=f"p{n:07d}",
            slug=f"protected-{n}",
        )
        for n, name in enumerate(PROTECTED)
    ]
    Supporter.objects.bulk_create(supporters)
    assert LaunchSupporter.objects.filter(campaign=launched_campaign).count() >= 5
    return launched_campaign


def held(campaign) -> list[tuple[str, str]]:
    """(ordinary name, protected name it was held for), through the guard's own lookup."""
    signers = [Supporter(full_name=name, name_skeleton=name_skeleton(name)) for name in ORDINARY]
    lookup = protected_names(campaign=campaign, skeletons=[s.name_skeleton for s in signers])
    return [(s.full_name, lookup.match(s)) for s in signers if lookup.match(s)]


def test_fewer_than_half_a_percent_of_ordinary_names_are_held(protected_campaign):
    assert len(ORDINARY) >= 5000 and len(set(ORDINARY)) > 0.95 * len(ORDINARY)
    holds = held(protected_campaign)
    rate = len(holds) / len(ORDINARY)
    assert rate < MAX_HOLD_RATE, f"{rate:.2%} held: {holds[:20]}"
    # What is held is a namesake: the same name, written the same way.
    look_alikes = [(name, match) for name, match in holds if not _same_written_name(name, match)]
    assert look_alikes == []


@pytest.mark.parametrize(
    "protected,impostor",
    [
        ("מאיר כהן", "מאיר  כה\u200bן"),  # Hebrew: spacing and a zero-width space
        ("राहुल शर्मा", "राहुल शर्\u200dमा"),  # Devanagari: a zero-width joiner
        ("राहुल शर्मा", "राहुल  शर्मा "),
        ("สมชาย ใจดี", "สมชาย\u00a0ใจดี"),  # Thai: a no-break space
        ("Zoë Quillfeather", "Zoe\u0301 Quillfeather"),  # the accent as a combining mark
        ("Zoë Quillfeather", "ZOË QUILLFEATHER"),
        ("Zoë Quillfeather", "Zoë Qu\u0456llfeather"),  # Cyrillic і
        ("Sinéad O'Connor", "Sinead O\u05d9Connor"),  # a Hebrew yod for the apostrophe
        ("Sinéad O'Connor", "Sinead O\ua78cConnor"),  # a Latin saltillo for it
        ("Anna Bell", "Anna\u0941 Bell"),  # a Devanagari vowel sign on a Latin letter
        ("जाकिर हुसैन", "ज़ाकिर हुसैन"),  # a nukta (a dot below)
    ],
)
def test_the_impostor_forms_of_protected_names_are_held(launched_campaign, protected, impostor):
    Supporter.objects.create(
        email="real@example.org", full_name=protected, verified_at=timezone.now()
    )
    signer = Supporter(full_name=impostor, name_skeleton=name_skeleton(impostor))
    lookup = protected_names(campaign=launched_campaign, skeletons=[signer.name_skeleton])
    assert lookup.match(signer) == protected
