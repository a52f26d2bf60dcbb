"""Canonical email addresses: the spellings a provider delivers to one mailbox compare equal."""

from __future__ import annotations

import pytest

from campaign.emailkeys import canonical_email, email_domain, parent_domains


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        # Case never matters.
        ("Ada@Example.ORG", "ada@example.org"),
        # Gmail: dots and +tags ignored; googlemail.com is gmail.com.
        ("Ada.Love.Lace@gmail.com", "adalovelace@gmail.com"),
        ("adalovelace+petition@gmail.com", "adalovelace@gmail.com"),
        ("a.d.a+x+y@GoogleMail.com", "ada@gmail.com"),
        # Outlook.com and friends: +tags ignored, dots kept.
        ("ada.l+news@outlook.com", "ada.l@outlook.com"),
        ("ada+1@hotmail.fr", "ada@hotmail.fr"),
        ("ada+1@live.com", "ada@live.com"),
        # Fastmail, Proton (one namespace across its domains), iCloud (and me.com, mac.com).
        ("ada+x@fastmail.com", "ada@fastmail.com"),
        ("ada.l+x@protonmail.com", "ada.l@proton.me"),
        ("ada@pm.me", "ada@proton.me"),
        ("ada+x@me.com", "ada@icloud.com"),
        ("ada+x@mac.com", "ada@icloud.com"),
        # Unknown domains keep the mailbox as typed (case aside): + may be a real character.
        ("ada+x@example.org", "ada+x@example.org"),
        ("a.da@example.org", "a.da@example.org"),
        # Yahoo does not do +tags (its "-keyword" addresses are separate names).
        ("ada+x@yahoo.com", "ada+x@yahoo.com"),
        # Nothing left before the tag: the address is kept.
        ("+tag@gmail.com", "+tag@gmail.com"),
        # A trailing dot on the domain is the same domain.
        ("ada@gmail.com.", "ada@gmail.com"),
    ],
)
def test_canonical_email(typed, canonical):
    assert canonical_email(typed) == canonical


def test_domains():
    assert email_domain("Ada@Mail.Example.CO.UK") == "mail.example.co.uk"
    assert parent_domains("mail.example.co.uk") == ["mail.example.co.uk", "example.co.uk", "co.uk"]
    assert parent_domains("") == []
