"""Who is asking: the client's address, read one way everywhere (rate limits, the API's limiter,
django-allauth, the signing context).

``REMOTE_ADDR`` is the machine that opened the connection. Behind proxies (a load balancer, a
CDN) it is the nearest proxy, and the client is in ``X-Forwarded-For``, which every proxy
extends on the right with the address it saw. Only the entries our own proxies wrote can be
trusted: with ``TRUSTED_PROXY_COUNT = n``, the client is the n-th entry from the right. Anything
further left was written by the client itself and may be forged, so it is never read.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
USER_AGENT_MAX = 300


def parse_ip(value: str) -> IPAddress | None:
    """An address as a proxy may write it ("203.0.113.7", "[2001:db8::1]:443",
    "203.0.113.7:51000"), or None. IPv4-mapped IPv6 addresses become IPv4."""
    text = (value or "").strip().strip('"')
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_ip(request: HttpRequest) -> str:
    """The client's address as a string ("" when it cannot be known)."""
    trusted = settings.TRUSTED_PROXY_COUNT
    remote = parse_ip(request.META.get("REMOTE_ADDR", ""))
    if trusted == 0 and "HTTP_X_FORWARDED_FOR" in request.META:
        _warn_once_about_proxies()
    if trusted > 0:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        if len(hops) >= trusted:
            forwarded = parse_ip(hops[-trusted])
            if forwarded is not None:
                return str(forwarded)
        # Fewer hops than proxies: the request did not come through them all.
        logger.debug("X-Forwarded-For has %s hops for %s trusted proxies", len(hops), trusted)
    return str(remote) if remote is not None else ""


@functools.cache
def _warn_once_about_proxies() -> None:
    """Behind a proxy with ``TRUSTED_PROXY_COUNT`` at 0, every client has the proxy's address:
    they would share one rate limit and look like one burst. Said once per process."""
    logger.warning(
        "Requests carry X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: every client is counted "
        "as the proxy's address. Set TRUSTED_PROXY_COUNT to the number of proxies in front."
    )


def ip_range(address: str) -> str:
    """The network one machine or household usually holds: /24 for IPv4, /64 for IPv6."""
    ip = parse_ip(address)
    if ip is None:
        return ""
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def ip_key(address: str) -> str:
    """A fixed-width, sortable text form of an address ("4:cb007107", "6:2001…"), so that a
    CIDR range is a plain ``BETWEEN`` on any database."""
    ip = parse_ip(address)
    if ip is None:
        return ""
    return f"{ip.version}:{ip.packed.hex()}"


def network_bounds(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[str, str]:
    """The first and last ``ip_key`` of ``network``."""
    return ip_key(str(network.network_address)), ip_key(str(network.broadcast_address))


def limit_bucket(address: str) -> str:
    """Whom a per-address rate limit counts: an IPv4 address, or an IPv6 client's /64 (one
    machine usually holds a whole /64, so counting single addresses would be no limit)."""
    ip = parse_ip(address)
    if ip is None:
        return address[:64] or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


@dataclass(frozen=True)
class RequestOrigin:
    """Where a request came from, as the signing service records it."""

    ip: str = ""
    user_agent: str = ""


def origin_of(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    )
