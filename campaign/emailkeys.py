"""Email addresses as the site compares them: the *key* and the *canonical* address.

The key (``email_key``, also ``signatures.normalize.email_key``) decides who a supporter is:
the mailbox name case-folded (mailbox names are case-insensitive in practice, whatever the
standard allows), the domain as IDNA compares it and no further (``domain_key``): "FAẞ.Example"
and "xn--fa-hia.example" are "faß.example", but "faß.example" and "fass.example" are two domains
that may belong to two owners, so they never share a key, a counter or a list entry. Two
addresses that reach two mailboxes are two people. The canonical address goes further, for
providers that document that several spellings reach one mailbox, so that a second signature
by the same person under another spelling can be found and kept from counting:

- Gmail ignores dots in the mailbox name and everything after a ``+``; googlemail.com is
  gmail.com.
- Outlook.com (outlook, hotmail, live, msn), Fastmail, Proton, iCloud, Zoho and Yandex deliver
  ``name+anything`` to ``name`` (plus addressing); they keep dots.
- Proton's domains (proton.me, protonmail.com, protonmail.ch, pm.me) share one namespace of
  names, as do iCloud's (icloud.com, me.com, mac.com) and Yandex's.

Unknown domains keep their mailbox name exactly (case aside): many servers treat ``+`` as an
ordinary character, and merging two real people would silently drop a signature.
"""

from __future__ import annotations

import unicodedata

import idna

DOMAIN_ALIASES = {
    "googlemail.com": "gmail.com",
    "protonmail.com": "proton.me",
    "protonmail.ch": "proton.me",
    "pm.me": "proton.me",
    "me.com": "icloud.com",
    "mac.com": "icloud.com",
    "yandex.com": "yandex.ru",
    "ya.ru": "yandex.ru",
    "yandex.by": "yandex.ru",
    "yandex.kz": "yandex.ru",
    "yandex.ua": "yandex.ru",
}

DOTS_IGNORED = frozenset({"gmail.com"})

PLUS_TAGS = frozenset(
    {
        "gmail.com",
        # Outlook.com, in its international spellings.
        "outlook.com",
        "outlook.fr",
        "outlook.de",
        "outlook.es",
        "outlook.it",
        "hotmail.com",
        "hotmail.fr",
        "hotmail.co.uk",
        "hotmail.de",
        "hotmail.es",
        "hotmail.it",
        "live.com",
        "live.fr",
        "live.co.uk",
        "msn.com",
        "fastmail.com",
        "fastmail.fm",
        "proton.me",
        "icloud.com",
        "zohomail.com",
        "zoho.com",
        "yandex.ru",
    }
)


def domain_key(domain: str) -> str:
    """A domain as IDNA compares it, in its Unicode form, without a trailing dot: UTS #46
    mapping, nontransitional (the case of "ẞ" goes, "ß" stays "ß"; full-width letters become
    plain ones), and "xn--" labels read in Unicode. Never case-folded beyond that: folding
    turns "faß.example" into "fass.example", another domain. A domain IDNA refuses (an
    emoji, an underscore) is only lower-cased."""
    domain = unicodedata.normalize("NFC", (domain or "").strip()).rstrip(".")
    try:
        domain = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        domain = domain.lower()
    return ".".join(_label_in_unicode(label) for label in domain.split("."))


def _label_in_unicode(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return label


def fits_dns(domain: str) -> bool:
    """Whether ``domain`` (as ``domain_key`` gives it) fits DNS once written in ASCII ("xn--"
    labels): labels of 63 characters at most, 253 in all. One that does not can receive no
    mail, however valid it looks in Unicode."""
    labels = domain.split(".")
    ascii_labels = [label if label.isascii() else "xn--" + _punycode(label) for label in labels]
    return all(len(label) <= 63 for label in ascii_labels) and len(".".join(ascii_labels)) <= 253


def _punycode(label: str) -> str:
    return label.encode("punycode").decode("ascii")


def split_address(email: str) -> tuple[str, str]:
    """(mailbox, domain): the mailbox case-folded, the domain as ``domain_key`` gives it."""
    local, _at, domain = (email or "").strip().rpartition("@")
    return local.casefold(), domain_key(domain)


def email_key(email: str) -> str:
    """The form in which two addresses are compared to tell people apart (see the module
    docstring). Never raises; an address without "@" is only case-folded."""
    if "@" not in (email or ""):
        return (email or "").strip().casefold()
    local, domain = split_address(email)
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    """The domain as typed, in its compared form (what block lists and spike alerts group by)."""
    return split_address(email)[1]


def canonical_domain(domain: str) -> str:
    domain = domain_key(domain)
    return DOMAIN_ALIASES.get(domain, domain)


def canonical_email(email: str) -> str:
    """The address as duplicate detection compares it (see the module docstring)."""
    local, domain = split_address(email)
    if not domain:
        return local
    domain = canonical_domain(domain)
    if domain in PLUS_TAGS:
        local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def parent_domains(domain: str) -> list[str]:
    """``domain`` and each domain above it, nearest first, without the top level alone:
    "mail.example.co.uk" → ["mail.example.co.uk", "example.co.uk", "co.uk"]."""
    parts = domain_key(domain).split(".") if domain else []
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]
