"""How two email addresses are compared (issue 15): the mailbox name is case-folded, as it
always was ("Straße" and "strasse" are one mailbox name); the domain is compared as IDNA
compares it and no further, so "faß.example" and "fass.example", two domains, are two people,
two rate-limit counters, two list entries. "FAẞ.Example" and "xn--fa-hia.example" are
"faß.example"."""

from __future__ import annotations

import pytest

from abuse.lists import Lists, block_reason, normalise_entry
from abuse.models import ListEntry
from campaign.emailkeys import canonical_email, email_domain, parent_domains
from signatures import normalize
from signatures.models import Supporter

from .conftest import VALID

SHARP = "ada@faß.example"
DOUBLE = "ada@fass.example"


def test_a_sharp_s_in_the_domain_is_another_domain_than_ss():
    assert normalize.email_key(SHARP) != normalize.email_key(DOUBLE)
    assert canonical_email(SHARP) != canonical_email(DOUBLE)
    assert email_domain(SHARP) == "faß.example"
    assert parent_domains("mail.faß.example") == ["mail.faß.example", "faß.example"]


@pytest.mark.parametrize(
    "spelling", ["Ada@FAẞ.Example", "ada@FAß.EXAMPLE.", "ada@xn--fa-hia.example", "ADA@faß.example"]
)
def test_spellings_of_one_international_domain_compare_equal(spelling):
    assert normalize.email_key(spelling) == normalize.email_key(SHARP) == "ada@faß.example"
    assert canonical_email(spelling) == canonical_email(SHARP)


def test_the_mailbox_name_is_still_case_folded_sharp_s_and_all():
    assert normalize.email_key("Straße@example.org") == normalize.email_key("STRASSE@example.org")
    assert canonical_email("Straße+x@gmail.com") == "strasse@gmail.com"


def test_the_stored_address_keeps_the_domain_in_its_international_form():
    assert normalize.normalize_email(" Ada@FAẞ.Example. ") == "Ada@faß.example"


def test_block_lists_tell_the_two_domains_apart():
    assert normalise_entry(ListEntry.Kind.DOMAIN, "FAẞ.example") == "faß.example"
    assert normalise_entry(ListEntry.Kind.EMAIL, "Ada@FAẞ.example") == "ada@faß.example"
    lists = Lists()
    lists.block.domains.add(normalise_entry(ListEntry.Kind.DOMAIN, "fass.example"))
    lists.block.emails.add(normalise_entry(ListEntry.Kind.EMAIL, DOUBLE))

    assert block_reason(lists, ip="", email=SHARP) == ""
    assert block_reason(lists, ip="", email=DOUBLE) == "Blocked email domain fass.example"


@pytest.mark.django_db
def test_two_people_at_the_two_domains_are_two_supporters(sign, launched_campaign):
    assert sign(VALID | {"email": SHARP}).status_code == 302
    assert sign(VALID | {"email": DOUBLE}).status_code == 302

    assert sorted(Supporter.objects.values_list("email", flat=True)) == [DOUBLE, SHARP]


@pytest.mark.django_db
def test_the_same_person_typing_the_domain_in_capitals_is_one_supporter(sign, launched_campaign):
    sign(VALID | {"email": SHARP})
    sign(VALID | {"email": "Ada@FAẞ.EXAMPLE"})

    assert Supporter.objects.count() == 1


@pytest.mark.django_db
def test_signing_rate_limits_count_the_two_domains_apart(client, launched_campaign):
    from abuse import safeguards
    from abuse.models import RateLimit

    RateLimit.objects.create(scope="sign", per="email", limit=1, window_seconds=600)
    RateLimit.objects.create(scope="sign", per="ip", limit=0, window_seconds=600)
    safeguards.publish()

    assert client.post("/en/sign/", VALID | {"email": SHARP}).status_code == 302
    assert client.post("/en/sign/", VALID | {"email": DOUBLE}).status_code == 302
    assert client.post("/en/sign/", VALID | {"email": "ada@FAẞ.example"}).status_code == 429


@pytest.mark.django_db
def test_keys_stored_before_are_recomputed_by_the_migration(launched_campaign):
    from importlib import import_module

    from django.apps import apps

    from tests.factories import SupporterFactory

    migration = import_module("abuse.migrations.0002_email_domains_compared_by_idna")
    sharp = SupporterFactory(email=SHARP)
    Supporter.objects.filter(pk=sharp.pk).update(email_key="ada@fass.example")  # as it was
    entry = ListEntry.objects.create(kind="domain", verdict="block", value="faẞ.example")

    migration.recompute(apps, None)

    sharp.refresh_from_db()
    entry.refresh_from_db()
    assert sharp.email_key == "ada@faß.example"
    assert entry.value == "faß.example"
    SupporterFactory(email=DOUBLE)  # the other domain's owner may now sign
