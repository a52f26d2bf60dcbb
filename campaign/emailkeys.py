"""Email addresses as duplicate detection compares them: the *canonical* address.

``signatures.normalize.email_key`` (case-folded) decides who a supporter is, and stays as it is:
two addresses that reach two mailboxes are two people. The canonical address goes further, for
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


def split_address(email: str) -> tuple[str, str]:
    """(mailbox, domain), both case-folded; the domain without a trailing dot."""
    local, _at, domain = (email or "").strip().rpartition("@")
    return local.casefold(), domain.casefold().rstrip(".")


def email_domain(email: str) -> str:
    """The domain as typed, case-folded (what block lists and spike alerts group by)."""
    return split_address(email)[1]


def canonical_domain(domain: str) -> str:
    domain = domain.casefold().rstrip(".")
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
    parts = domain.casefold().rstrip(".").split(".") if domain else []
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]
