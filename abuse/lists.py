"""The block and allow lists, compiled for matching, and the rule that applies them.

A signature is blocked when its address falls in a blocked range, its email domain (or a domain
above it) is blocked or on the disposable-email-domains package's list, or its canonical email
address is blocked; unless any allow entry matches it, which overrides every block.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cache

from disposable_email_domains import allowlist as disposable_allowlist
from disposable_email_domains import blocklist as disposable_blocklist
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from campaign.clientip import parse_ip
from campaign.emailkeys import canonical_domain, canonical_email, email_domain, parent_domains

from .models import ListEntry

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def disposable_domains() -> frozenset[str]:
    return frozenset(disposable_blocklist) - frozenset(disposable_allowlist)


@dataclass
class Side:
    """One list (block or allow), ready for matching."""

    networks: list[Network] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    def add(self, entry: ListEntry) -> None:
        if entry.kind == ListEntry.Kind.IP_RANGE:
            self.networks.append(ipaddress.ip_network(entry.value, strict=False))
        elif entry.kind == ListEntry.Kind.DOMAIN:
            self.domains.add(entry.value)
        else:
            self.emails.add(entry.value)


@dataclass
class Lists:
    block: Side = field(default_factory=Side)
    allow: Side = field(default_factory=Side)


def compiled_lists() -> Lists:
    """Both lists from the database (one query; they are short)."""
    lists = Lists()
    for entry in ListEntry.objects.all():
        side = lists.block if entry.verdict == ListEntry.Verdict.BLOCK else lists.allow
        side.add(entry)
    return lists


def normalise_entry(kind: str, value: str) -> str:
    """A list entry's value as stored and matched: a CIDR network, a domain in its canonical
    spelling (compared as IDNA compares it: "faß.example" is not "fass.example"), or a canonical
    email address. Raises ``ValueError``."""
    value = value.strip()
    if kind == ListEntry.Kind.IP_RANGE:
        return str(ipaddress.ip_network(value, strict=False))
    if kind == ListEntry.Kind.DOMAIN:
        domain = canonical_domain(value.lstrip("@"))
        if "." not in domain or any(c.isspace() or c in "@/" for c in domain):
            raise ValueError(value)
        return domain
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValueError(value) from error
    return canonical_email(value)


def _domains_of(email: str) -> list[str]:
    """The signer's domain and those above it, as typed and in canonical spelling."""
    domain = email_domain(email)
    found = parent_domains(domain)
    canonical = canonical_domain(domain)
    return found + [d for d in parent_domains(canonical) if d not in found]


def _in_networks(address: str, networks: list[Network]) -> Network | None:
    ip = parse_ip(address)
    if ip is None:
        return None
    return next((net for net in networks if ip.version == net.version and ip in net), None)


def is_allowed(lists: Lists, *, ip: str, email: str) -> bool:
    side = lists.allow
    return bool(
        _in_networks(ip, side.networks)
        or any(domain in side.domains for domain in _domains_of(email))
        or canonical_email(email) in side.emails
    )


def block_reason(lists: Lists, *, ip: str, email: str) -> str:
    """Why a signature from ``ip`` with ``email`` is blocked (in English, for organisers), or
    "" when it is not."""
    if is_allowed(lists, ip=ip, email=email):
        return ""
    side = lists.block
    network = _in_networks(ip, side.networks)
    if network is not None:
        return f"Blocked address range {network}"
    domains = _domains_of(email)
    for domain in domains:
        if domain in side.domains:
            return f"Blocked email domain {domain}"
    if canonical_email(email) in side.emails:
        return "Blocked email address"
    if settings.ABUSE_BLOCK_DISPOSABLE_DOMAINS:
        for domain in domains:
            if domain in disposable_domains():
                return f"Disposable email domain {domain}"
    return ""
