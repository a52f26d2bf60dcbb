"""Link-back proof: does a page the supporter controls link back to their profile?

A supporter proves a profile is theirs by putting, on a page they control, either a link to the
profile marked ``rel="me"`` (an ``<a>`` or ``<link>``, as Mastodon verifies profile links) or a
``<meta name="stealing-isnt-innovation-verification" content="TOKEN">`` tag carrying the token
we gave them. ``check_link_back`` fetches the page and says which proof it found, or why not.

The page address comes from a stranger, so fetching it must not become a way to reach our own
network. Every hop (the page and each redirect) is refused unless its scheme is https, and
unless every address its host resolves to is public; the connection then goes to one of the
addresses that were checked, never to a second lookup, so DNS rebinding between the check and
the connection cannot redirect it. TLS still verifies the certificate for the host name.

Settings (all optional; none is in ``settings.py`` yet, the defaults below apply):

``LINKCHECK_ALLOW_HTTP`` (``False``)
    Allow plain ``http://`` pages and redirects. For tests only.
``LINKCHECK_TIMEOUT`` (``5``)
    Seconds allowed to connect, and for each read. The whole check, redirects included, also
    stops after twice this, so a server sending one byte at a time cannot hold the worker.
``LINKCHECK_MAX_REDIRECTS`` (``3``)
    Redirects followed before giving up.
``LINKCHECK_MAX_BYTES`` (``1_000_000``)
    Bytes of the page read. A proof in the first part of a longer page still counts.
``LINKCHECK_ALLOWED_NETWORKS`` (``[]``)
    CIDR strings (``"127.0.0.0/8"``) that may be fetched although they are not public.
``SITE_URL``
    Named in the ``User-Agent`` header so a site owner can see who is asking.

Network problems never raise: they come back as a ``LinkCheckResult`` with ``ok=False`` and a
stable ``reason`` code (listed on the class) that the caller translates. A malformed
``LINKCHECK_ALLOWED_NETWORKS`` entry raises ``ValueError``: that is a configuration mistake.
"""

from __future__ import annotations

import codecs
import hmac
import http.client
import io
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

META_NAME = "stealing-isnt-innovation-verification"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK_SIZE = 16 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not public, although some Python versions' ``is_global`` says otherwise.
_ALSO_REFUSED = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "64:ff9b::/96",  # NAT64, reaches IPv4 addresses through a translator
        "64:ff9b:1::/48",  # local-use NAT64
        "fec0::/10",  # deprecated site-local
    )
)
_HOST_NAME = re.compile(r"[a-z0-9_.-]+")
# Characters left as they are when a path is quoted for the request line (as requests does).
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class LinkCheckResult:
    """What the check found.

    ``reason`` is one of: ``found_rel_me``, ``found_token`` (``ok`` is true only for these two),
    ``no_link``, ``wrong_token``, ``not_https``, ``private_address``, ``too_many_redirects``,
    ``redirect_loop``, ``too_large``, ``timeout``, ``connection_failed``, ``http_error``,
    ``not_html``, ``bad_url``. ``detail`` is a short English explanation for logs and admins.
    ``final_url`` is the last address fetched, or the one that was refused.
    """

    ok: bool
    reason: str
    detail: str
    final_url: str = ""


class _Refused(Exception):
    """Stops the check with a reason code; turned into a ``LinkCheckResult``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Limits:
    allow_http: bool
    timeout: float
    max_redirects: int
    max_bytes: int
    allowed_networks: tuple[IPNetwork, ...]
    user_agent: str

    @classmethod
    def from_settings(cls) -> _Limits:
        site_url = getattr(settings, "SITE_URL", "")
        return cls(
            allow_http=bool(getattr(settings, "LINKCHECK_ALLOW_HTTP", False)),
            timeout=float(getattr(settings, "LINKCHECK_TIMEOUT", 5)),
            max_redirects=int(getattr(settings, "LINKCHECK_MAX_REDIRECTS", 3)),
            max_bytes=int(getattr(settings, "LINKCHECK_MAX_BYTES", 1_000_000)),
            allowed_networks=tuple(
                ipaddress.ip_network(cidr, strict=False)
                for cidr in getattr(settings, "LINKCHECK_ALLOWED_NETWORKS", [])
            ),
            user_agent=f"StealingIsntInnovation-LinkCheck/1.0 (+{site_url})",
        )


@dataclass(frozen=True)
class _Target:
    """A vetted URL: scheme and port known, host in ASCII, path ready for the request line."""

    url: str
    scheme: str
    host: str
    port: int
    request_path: str

    @property
    def key(self) -> str:
        """The URL as compared when looking for a redirect loop."""
        return f"{self.scheme}://{_netloc(self.scheme, self.host, self.port)}{self.request_path}"


def check_link_back(page_url: str, *, profile_url: str, token: str) -> LinkCheckResult:
    """Fetch ``page_url`` and look for a ``rel="me"`` link to ``profile_url`` or the token.

    An empty ``token`` never matches, nor does a ``profile_url`` without scheme and host.
    Never raises for anything the page or the network does.
    """
    limits = _Limits.from_settings()
    deadline = time.monotonic() + 2 * limits.timeout
    finder = _ProofFinder(profile=_comparable_url(profile_url), token=token)
    url = page_url.strip()
    seen: set[str] = set()
    try:
        for _hop in range(limits.max_redirects + 1):
            target = _vet_url(url, limits)
            if target.key in seen:
                raise _Refused("redirect_loop", "The redirects lead back to a page already seen.")
            seen.add(target.key)
            next_url = _fetch(target, limits=limits, deadline=deadline, finder=finder)
            if next_url is None:
                return _result(finder, url)
            url = next_url
        raise _Refused(
            "too_many_redirects", f"More than {limits.max_redirects} redirects were followed."
        )
    except _Refused as refused:
        return LinkCheckResult(False, refused.reason, refused.detail, url)


def _result(finder: _ProofFinder, url: str) -> LinkCheckResult:
    if finder.found_rel_me:
        return LinkCheckResult(True, "found_rel_me", "The page links to the profile.", url)
    if finder.found_token:
        return LinkCheckResult(True, "found_token", "The page carries the token.", url)
    if finder.saw_other_token:
        return LinkCheckResult(
            False, "wrong_token", "The verification tag holds another token.", url
        )
    if finder.truncated:
        return LinkCheckResult(False, "too_large", "The page is too large to check.", url)
    return LinkCheckResult(False, "no_link", "The page does not link to the profile.", url)


# --- URLs -------------------------------------------------------------------------------------


def _vet_url(url: str, limits: _Limits) -> _Target:
    """Parse an address we were given or redirected to, refusing what we will not fetch."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise _Refused("bad_url", f"The address cannot be parsed: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _Refused("bad_url", "Only web addresses (https://) can be checked.")
    if scheme == "http" and not limits.allow_http:
        raise _Refused("not_https", "Only https:// addresses are checked.")
    if parts.username is not None or parts.password is not None:
        raise _Refused("bad_url", "Addresses with a user name or password are not checked.")
    host = _ascii_host(parts.hostname or "")
    if not host:
        raise _Refused("bad_url", "The address has no valid host name.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(
        url=url,
        scheme=scheme,
        host=host,
        port=DEFAULT_PORTS[scheme] if port is None else port,
        request_path=quote(path, safe=_URL_SAFE),
    )


def _ascii_host(hostname: str) -> str:
    """The host in lower-case ASCII (IDNA for names), or "" when it is not a valid host."""
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        pass
    try:
        host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""
    return host if _HOST_NAME.fullmatch(host) and host.strip(".") else ""


def _netloc(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return shown
    return f"{shown}:{port}"


def _comparable_url(url: str) -> str:
    """The form in which a link and the profile address are compared.

    Scheme and host lower-cased, the default port dropped, the fragment dropped and a trailing
    slash ignored; "" when the address has no scheme or host, so it never matches.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = _ascii_host(parts.hostname or "")
    if scheme not in DEFAULT_PORTS or not host:
        return ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{_netloc(scheme, host, port)}{parts.path.rstrip('/')}{query}"


# --- Addresses --------------------------------------------------------------------------------


def _resolve(target: _Target, limits: _Limits) -> list[tuple[int, tuple]]:
    """Every address the host resolves to, all of them checked, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError):
        raise _Refused("connection_failed", f"{target.host} could not be resolved.") from None
    addresses: list[tuple[int, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if not _is_permitted(str(sockaddr[0]), limits.allowed_networks):
            raise _Refused(
                "private_address", f"{target.host} points to a private address ({sockaddr[0]})."
            )
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise _Refused("connection_failed", f"{target.host} has no usable address.")
    return addresses


def _is_permitted(address: str, allowed_networks: tuple[IPNetwork, ...]) -> bool:
    """Whether we may connect to ``address``: public, or inside an allowed network."""
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == network.version and ip in network for network in allowed_networks):
        return True
    if ip.version == 6 and ip.sixtofour is not None and not _is_public(ip.sixtofour):
        return False
    return _is_public(ip)


def _is_public(ip: IPAddress) -> bool:
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or any(ip.version == network.version and ip in network for network in _ALSO_REFUSED)
    )


# --- Fetching ---------------------------------------------------------------------------------


def _fetch(
    target: _Target, *, limits: _Limits, deadline: float, finder: _ProofFinder
) -> str | None:
    """Request one URL: return where it redirects to, or read the page into ``finder``."""
    addresses = _resolve(target, limits)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        target.host, target.port, addresses=addresses, timeout=limits.timeout, deadline=deadline
    )
    headers = {"User-Agent": limits.user_agent, "Accept": "text/html"}
    response = None
    try:
        with _network_errors():
            connection.request("GET", target.request_path, headers=headers)
            response = connection.getresponse()
            if response.status in REDIRECT_STATUSES:
                return _redirect_location(target, response)
            _check_response(response)
            _read_into(finder, response, limits=limits, base_url=target.url)
            return None
    finally:
        if response is not None:
            response.close()
        connection.close()


@contextmanager
def _network_errors() -> Iterator[None]:
    """Turn what a server or the network can do to us into a refusal."""
    try:
        yield
    except TimeoutError:
        raise _Refused("timeout", "The server took too long to answer.") from None
    except ssl.SSLError as error:
        raise _Refused("connection_failed", f"The secure connection failed: {error}.") from None
    except OSError as error:
        raise _Refused("connection_failed", f"The connection failed: {error}.") from None
    except http.client.HTTPException as error:
        raise _Refused("http_error", f"The server sent a malformed answer: {error!r}.") from None


def _redirect_location(target: _Target, response: http.client.HTTPResponse) -> str:
    location = response.getheader("Location", "").strip()
    if not location:
        raise _Refused("http_error", f"HTTP {response.status} without a Location header.")
    try:
        return urljoin(target.url, location)
    except ValueError as error:
        raise _Refused("bad_url", f"The redirect cannot be parsed: {error}.") from None


def _check_response(response: http.client.HTTPResponse) -> None:
    if not 200 <= response.status < 300:
        raise _Refused("http_error", f"The server answered HTTP {response.status}.")
    content_type = response.getheader("Content-Type")
    if content_type is None or response.msg.get_content_type() not in HTML_CONTENT_TYPES:
        raise _Refused("not_html", f"The page is not HTML ({content_type or 'no type'}).")


def _read_into(
    finder: _ProofFinder, response: http.client.HTTPResponse, *, limits: _Limits, base_url: str
) -> None:
    """Feed the body to ``finder`` until a proof is found, the body ends or the cap is reached."""
    finder.base_url = base_url
    decoder = _Decoder(response.msg.get_content_charset())
    remaining = limits.max_bytes
    while not finder.done:
        chunk = response.read(min(CHUNK_SIZE, remaining + 1))
        if not chunk:
            break
        if len(chunk) > remaining:
            finder.truncated = True
            chunk = chunk[:remaining]
        remaining -= len(chunk)
        finder.read(decoder.decode(chunk))
        if finder.truncated:
            break
    finder.read(decoder.decode(b"", final=True))


class _Decoder:
    """Decodes the body piece by piece in the charset the server named, or in UTF-8 when Python
    does not know that charset, when it is not a text encoding (base64, zlib...) or when it
    fails on the data anyway (UTF-16 without a byte order mark). Never raises."""

    def __init__(self, charset: str | None) -> None:
        name = charset or "utf-8"
        try:
            b"x".decode(name, "replace")  # LookupError when unknown or not a text encoding
        except (LookupError, ValueError):
            name = "utf-8"
        self._decoder = codecs.getincrementaldecoder(name)(errors="replace")

    def decode(self, data: bytes, *, final: bool = False) -> str:
        try:
            return self._decoder.decode(data, final)
        except UnicodeError:
            self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            return self._decoder.decode(data, final)


class _DeadlineSocket:
    """A connected socket whose reads and writes wait at most ``timeout`` each and never past
    ``deadline``, which is what stops a server that drips one byte at a time.

    Like ``socket.makefile``, the socket stays open until the connection and the response
    reading from it are both closed (http.client closes the connection first on
    ``Connection: close`` and keeps reading the body).
    """

    def __init__(self, sock: socket.socket, *, timeout: float, deadline: float) -> None:
        self._sock = sock
        self._timeout = timeout
        self._deadline = deadline
        self._open_readers = 0
        self._closed = False

    def _arm(self) -> None:
        self._sock.settimeout(_time_left(self._timeout, self._deadline))

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self._arm()
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        self._open_readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def reader_closed(self) -> None:
        self._open_readers -= 1
        self._close_when_unused()

    def close(self) -> None:
        self._closed = True
        self._close_when_unused()

    def _close_when_unused(self) -> None:
        if self._closed and self._open_readers <= 0:
            self._sock.close()


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:
        return self._sock.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


def _time_left(timeout: float, deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the overall deadline has passed")
    return min(timeout, left)


def _connect_to_vetted(
    addresses: list[tuple[int, tuple]], *, timeout: float, deadline: float
) -> socket.socket:
    """Connect to the first address that answers; only addresses ``_resolve`` checked."""
    last_error: OSError = OSError("no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_time_left(timeout, deadline))
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        return sock
    raise last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses already checked instead of looking the host up again."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[tuple[int, tuple]],
        timeout: float,
        deadline: float,
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        sock = _connect_to_vetted(self._addresses, timeout=self.timeout, deadline=self._deadline)
        self.sock = _DeadlineSocket(sock, timeout=self.timeout, deadline=self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Like ``_PinnedHTTPConnection``, then TLS with SNI and certificate checked for the host."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[tuple[int, tuple]],
        timeout: float,
        deadline: float,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        sock = _connect_to_vetted(self._addresses, timeout=self.timeout, deadline=self._deadline)
        try:
            # The socket timeout bounds the whole handshake, not each read within it.
            sock.settimeout(_time_left(self.timeout, self._deadline))
            tls = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(tls, timeout=self.timeout, deadline=self._deadline)


def _tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's trust store, for the host name asked for."""
    return ssl.create_default_context()


# --- HTML -------------------------------------------------------------------------------------


class _ProofFinder(HTMLParser):
    """Reads the page, fed a piece at a time, noting either proof as soon as it appears."""

    def __init__(self, *, profile: str, token: str) -> None:
        super().__init__(convert_charrefs=True)
        self.profile = profile
        self.token = token.encode()
        self.base_url = ""
        self.found_rel_me = False
        self.found_token = False
        self.saw_other_token = False
        self.truncated = False
        self.broken = False

    @property
    def done(self) -> bool:
        return self.found_rel_me or self.found_token or self.broken

    def read(self, text: str) -> None:
        """Parse more of the page; markup the parser cannot follow ends the reading there."""
        if self.done:
            return
        try:
            self.feed(text)
        except AssertionError:  # html.parser's reaction to some malformed declarations
            self.broken = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")  # the first of repeated attributes wins
        if tag in ("a", "link"):
            self._check_link(values)
        elif tag == "meta" and values.get("name", "").strip().lower() == META_NAME:
            self._check_token(values.get("content", "").strip())

    def _check_link(self, values: dict[str, str]) -> None:
        rel = values.get("rel", "").lower().split()
        href = values.get("href", "").strip()
        if "me" not in rel or not href or not self.profile:
            return
        try:
            link = urljoin(self.base_url, href)
        except ValueError:  # such as an unclosed IPv6 bracket
            return
        if _comparable_url(link) == self.profile:
            self.found_rel_me = True

    def _check_token(self, content: str) -> None:
        if self.token and hmac.compare_digest(content.encode(), self.token):
            self.found_token = True
        else:
            self.saw_other_token = True
