"""Link-back proof, checked against real HTTP(S) servers on 127.0.0.1.

Two guards run for every test so that nothing here can reach past this machine's loopback,
whatever the code under test does: host names resolve only through a table the test fills
(numeric addresses are parsed, never looked up), and the checker may only connect to
127.0.0.0/8. Refusals of other addresses are asserted through the result alone.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from signatures import linkcheck
from signatures.linkcheck import LinkCheckResult, check_link_back

PROFILE = "https://petition.example/en/supporters/ada/"
TOKEN = "tok-3f9a1c"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

Route = Callable[[BaseHTTPRequestHandler], None]


# --- A small web server whose pages each test defines ---------------------------------------------


class Site(ThreadingHTTPServer):
    """Serves ``routes`` (path → handler) and records every connection and request."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Route] = {}
        self.requests: list[dict[str, str]] = []
        self.connections = 0
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        self.server.requests.append({"path": self.path, **dict(self.headers.items())})
        route = self.server.routes.get(self.path, page("Not here", status=404))
        # The checker may hang up, as it should when it has read enough.
        with suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def log_message(self, format, *args) -> None:
        pass


def page(body: str | bytes, *, content_type: str = "text/html; charset=utf-8", status=200) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return respond


def redirect(location: str, status: int = 302) -> Route:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def slow(seconds: float, then: Route) -> Route:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        if not handler.server.stopping.wait(seconds):
            then(handler)

    return respond


def drip(every: float, *, for_seconds: float) -> Route:
    """Headers at once, then the body one byte at a time (for a while, so that a checker
    without a deadline fails the test instead of hanging it)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "10000")
        handler.end_headers()
        for _byte in range(int(for_seconds / every)):
            if handler.server.stopping.wait(every):
                return
            handler.wfile.write(b"x")
            handler.wfile.flush()

    return respond


def chunked(*pieces: str) -> Route:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for piece in pieces:
            data = piece.encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.write(b"0\r\n\r\n")

    return respond


def html(head: str = "", body: str = "") -> str:
    return f"<!doctype html><html><head><title>Ada</title>{head}</head><body>{body}</body></html>"


def rel_me(href: str = PROFILE, rel: str = "me") -> str:
    return f'<a rel="{rel}" href="{href}">My petition profile</a>'


def meta(content: str) -> str:
    return f'<meta name="stealing-isnt-innovation-verification" content="{content}">'


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    site = Site(tls)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield site
    finally:
        site.stopping.set()
        site.shutdown()
        site.server_close()
        thread.join()


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def names(monkeypatch) -> dict[str, list[str]]:
    """The only DNS these tests have: names a test adds here; anything else must be numeric."""
    table: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        numeric = flags | socket.AI_NUMERICHOST
        return [
            info
            for address in table.get(host, [host])
            for info in real_getaddrinfo(address, port, family, type, proto, numeric)
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch) -> None:
    """Fail the test, instead of sending a packet, if the checker connects past 127.0.0.0/8."""
    real_connect = linkcheck._connect_to_vetted

    def connect(addresses, **kwargs):
        for family, sockaddr in addresses:
            assert family == socket.AF_INET, sockaddr
            assert ipaddress.ip_address(sockaddr[0]) in LOOPBACK, sockaddr
        return real_connect(addresses, **kwargs)

    monkeypatch.setattr(linkcheck, "_connect_to_vetted", connect)


@pytest.fixture
def fetch_settings(settings):
    settings.LINKCHECK_ALLOW_HTTP = True
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.LINKCHECK_TIMEOUT = 1
    settings.SITE_URL = "https://petition.example"
    return settings


@pytest.fixture
def site(fetch_settings) -> Iterator[Site]:
    with serving() as site:
        yield site


def check(url: str, *, profile: str = PROFILE, token: str = TOKEN) -> LinkCheckResult:
    return check_link_back(url, profile_url=profile, token=token)


def assert_refused(result: LinkCheckResult, reason: str) -> None:
    assert (result.ok, result.reason) == (False, reason), result
    assert result.detail


# --- Finding the proof ----------------------------------------------------------------------------


def test_rel_me_link_is_found_and_the_request_says_who_asks(site):
    site.routes["/"] = page(html(body=rel_me()))

    result = check(site.url())

    assert result == LinkCheckResult(True, "found_rel_me", result.detail, site.url())
    (request,) = site.requests
    assert (
        request["User-Agent"] == "StealingIsntInnovation-LinkCheck/1.0 (+https://petition.example)"
    )
    assert request["Accept"] == "text/html"
    assert request["Host"] == f"127.0.0.1:{site.port}"


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        (rel_me(), "found_rel_me"),
        (rel_me(rel="Me noopener"), "found_rel_me"),
        (f'<link rel="me noopener" href="{PROFILE}">', "found_rel_me"),
        (f"<link rel=me href={PROFILE} />", "found_rel_me"),
        (rel_me(rel="noopener"), "no_link"),
        (rel_me(rel="meme"), "no_link"),
        (f'<a href="{PROFILE}">no rel</a>', "no_link"),
        (f'<a rel href="{PROFILE}">empty rel</a><a rel="me" href>empty href</a>', "no_link"),
        (f'<div rel="me" href="{PROFILE}">not a link</div>', "no_link"),
        (f"<!-- {rel_me()} -->", "no_link"),
        (f"<script>document.write('{rel_me()}')</script>", "no_link"),
        (f'<a rel="nofollow" rel="me" href="{PROFILE}">first rel wins</a>', "no_link"),
        (f'<a rel="me" href="{PROFILE}" href="https://elsewhere.example/">', "found_rel_me"),
        (
            f'<a rel=me href="https://[">x</a><a rel=me href="//[x]/">y</a>{rel_me()}',
            "found_rel_me",
        ),
    ],
)
def test_only_a_rel_me_a_or_link_counts(site, markup, reason):
    site.routes["/"] = page(html(body=markup))

    assert check(site.url()).reason == reason


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("https://petition.example/en/supporters/ada/", "found_rel_me"),
        ("https://petition.example/en/supporters/ada", "found_rel_me"),
        ("HTTPS://Petition.EXAMPLE/en/supporters/ada", "found_rel_me"),
        ("https://petition.example:443/en/supporters/ada/#top", "found_rel_me"),
        ("  https://petition.example/en/supporters/ada  ", "found_rel_me"),
        ("https://petition.example/en/supporters/ada2/", "no_link"),
        ("https://petition.example/en/supporters/ADA/", "no_link"),
        ("http://petition.example/en/supporters/ada/", "no_link"),
        ("https://petition.example:8443/en/supporters/ada/", "no_link"),
        ("https://evil.example/en/supporters/ada/", "no_link"),
        ("https://petition.example.evil.example/en/supporters/ada/", "no_link"),
    ],
)
def test_links_are_compared_after_normalising(site, href, reason):
    site.routes["/"] = page(html(body=rel_me(href)))

    assert check(site.url()).reason == reason


@pytest.mark.parametrize("href", ["/@ada/", "../@ada", "@ada#works", "//127.0.0.1:{port}/@ada"])
def test_relative_links_resolve_against_the_page(site, href):
    site.routes["/about"] = page(html(body=rel_me(href.format(port=site.port))))

    result = check(site.url("/about"), profile=site.url("/@ada"))

    assert result.reason == "found_rel_me"


def test_relative_links_resolve_against_the_page_after_redirects(site):
    site.routes["/old"] = redirect("/new/")
    site.routes["/new/"] = page(html(body=rel_me("ada")))

    assert check(site.url("/old"), profile=site.url("/new/ada")).reason == "found_rel_me"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (TOKEN, "found_token"),
        (f" {TOKEN} ", "found_token"),
        ("tok-000000", "wrong_token"),
        (TOKEN.upper(), "wrong_token"),
        ("", "wrong_token"),
        ("jeton-é", "wrong_token"),
    ],
)
def test_verification_meta_tag(site, content, reason):
    site.routes["/"] = page(html(head=meta(content)))

    result = check(site.url())

    assert (result.ok, result.reason) == (reason == "found_token", reason)


def test_an_empty_token_never_matches_an_empty_tag(site):
    site.routes["/"] = page(html(head=meta("")))

    assert_refused(check(site.url(), token=""), "wrong_token")


def test_meta_tag_name_is_case_insensitive_but_other_names_do_not_count(site):
    site.routes["/upper"] = page(
        html(head=f'<META NAME="Stealing-Isnt-Innovation-Verification" CONTENT="{TOKEN}">')
    )
    site.routes["/other"] = page(html(head=f'<meta name="verification" content="{TOKEN}">'))

    assert check(site.url("/upper")).reason == "found_token"
    assert check(site.url("/other")).reason == "no_link"


def test_rel_me_wins_over_a_wrong_token(site):
    site.routes["/"] = page(html(head=meta("tok-000000"), body=rel_me()))

    assert check(site.url()).reason == "found_rel_me"


@pytest.mark.parametrize(
    "body",
    [
        html(body="<p>Just my portfolio.</p>"),
        html(body=rel_me("https://petition.example/en/supporters/grace/")),
        "",
    ],
)
def test_no_link_to_this_profile(site, body):
    site.routes["/"] = page(body)

    assert_refused(check(site.url()), "no_link")


def test_a_profile_address_without_host_never_matches(site):
    site.routes["/"] = page(html(body=rel_me("https://")))

    assert check(site.url(), profile="https://").reason == "no_link"


def test_broken_html_does_not_raise(site):
    site.routes["/before"] = page(html(body=rel_me() + "<![ if <<a rel='me' href=\"<p"))
    site.routes["/after"] = page("<![ if <a " + rel_me() + "<div <<<")
    site.routes["/garbage"] = page(bytes(range(256)) * 10)

    assert check(site.url("/before")).reason == "found_rel_me"
    assert check(site.url("/after")).reason == "no_link"
    assert check(site.url("/garbage")).reason == "no_link"


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("text/html; charset=utf-16", "utf-16"),
        ("text/html; charset=ISO-8859-1", "latin-1"),
        ("text/html; charset=base64", "utf-8"),
        ("text/html; charset=no-such-charset", "utf-8"),
        ("application/xhtml+xml", "utf-8"),
        ("TEXT/HTML", "utf-8"),
    ],
)
def test_body_is_decoded_with_the_declared_charset(site, content_type, encoding):
    body = html(head="<meta name=author content='Zoë'>", body=rel_me())
    site.routes["/"] = page(body.encode(encoding), content_type=content_type)

    assert check(site.url()).reason == "found_rel_me"


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        ("utf-16", "utf-16-le"),
        ("idna", "utf-8"),
        ("rot13", "utf-8"),
        ("undefined", "utf-8"),
        ("utf\x00-8", "utf-8"),
    ],
)
def test_charsets_that_cannot_decode_the_page_do_not_raise(site, charset, encoding):
    body = html(head="<meta name=author content='Zoë'>", body=rel_me())
    site.routes["/"] = page(body.encode(encoding), content_type=f"text/html; charset={charset}")

    assert check(site.url()).reason in {"found_rel_me", "no_link"}


def test_chunked_transfer_encoding(site):
    site.routes["/"] = chunked("<html><body><a rel=", '"me" href="', PROFILE, '">x</a>')

    assert check(site.url()).reason == "found_rel_me"


# --- Redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_chain_of_two_is_followed(site, status):
    site.routes["/a"] = redirect(site.url("/b"), status)
    site.routes["/b"] = redirect("/c", status)
    site.routes["/c"] = page(html(body=rel_me()))

    result = check(site.url("/a"))

    assert (result.reason, result.final_url) == ("found_rel_me", site.url("/c"))
    assert [request["path"] for request in site.requests] == ["/a", "/b", "/c"]


@pytest.mark.parametrize(("redirects", "reason"), [(3, "found_rel_me"), (4, "too_many_redirects")])
def test_at_most_three_redirects(site, redirects, reason):
    for hop in range(redirects):
        site.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    site.routes[f"/{redirects}"] = page(html(body=rel_me()))

    result = check(site.url("/0"))

    assert result.reason == reason
    assert len(site.requests) == min(redirects + 1, 4)


@pytest.mark.parametrize(
    "routes", [{"/a": "/a"}, {"/a": "/b", "/b": "/a"}, {"/a": "/b", "/b": "/a#again"}]
)
def test_redirect_loop(site, routes):
    for path, location in routes.items():
        site.routes[path] = redirect(location)

    assert_refused(check(site.url("/a")), "redirect_loop")


def test_redirect_without_location_is_an_http_error(site):
    site.routes["/"] = redirect("")

    assert_refused(check(site.url()), "http_error")


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0:{port}/",
        "http://100.64.0.1/",
    ],
)
def test_redirect_to_a_private_address_is_refused_before_connecting(site, location):
    location = location.format(port=site.port)
    site.routes["/"] = redirect(location)

    result = check(site.url())

    assert_refused(result, "private_address")
    assert result.final_url == location
    assert len(site.requests) == 1


@pytest.mark.parametrize(
    "location", ["javascript:alert(1)", "ftp://127.0.0.1/", "https://", "https://[::1", "//[x]/"]
)
def test_redirect_to_something_other_than_a_web_page_is_a_bad_url(site, location):
    site.routes["/"] = redirect(location)

    assert_refused(check(site.url()), "bad_url")


# --- Limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("proof", "reason"), [("", "too_large"), (rel_me(), "found_rel_me")])
def test_only_the_first_megabyte_is_read(site, proof, reason):
    filler = "<p>" + "lorem ipsum " * 125_000 + "</p>"  # 1.5 MB
    site.routes["/"] = page(html(body=proof + filler + rel_me()))

    assert check(site.url()).reason == reason


def test_a_page_exactly_at_the_cap_is_read_whole(site, settings):
    body = f'<a rel="me" href="{PROFILE}">'.encode()  # cut short, the tag is incomplete
    settings.LINKCHECK_MAX_BYTES = len(body)
    site.routes["/"] = page(body)

    assert check(site.url()).reason == "found_rel_me"
    settings.LINKCHECK_MAX_BYTES = len(body) - 1
    assert check(site.url()).reason == "too_large"


def test_a_server_slower_than_the_timeout(site, settings):
    settings.LINKCHECK_TIMEOUT = 0.5
    site.routes["/"] = slow(5, page(html(body=rel_me())))

    started = time.monotonic()
    result = check(site.url())

    assert_refused(result, "timeout")
    assert time.monotonic() - started < 0.9


def test_a_server_within_the_timeout(site, settings):
    settings.LINKCHECK_TIMEOUT = 0.5
    site.routes["/"] = slow(0.1, page(html(body=rel_me())))

    assert check(site.url()).reason == "found_rel_me"


def test_a_slow_drip_is_cut_off_by_the_overall_deadline(site, settings):
    settings.LINKCHECK_TIMEOUT = 0.5
    site.routes["/"] = drip(every=0.2, for_seconds=3)

    started = time.monotonic()
    result = check(site.url())

    elapsed = time.monotonic() - started
    assert_refused(result, "timeout")
    assert 0.9 < elapsed < 1.5  # twice the timeout, though every byte came within it


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_server_that_accepts_and_never_answers(fetch_settings, scheme):
    fetch_settings.LINKCHECK_TIMEOUT = 0.5
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody reads
        started = time.monotonic()
        result = check(f"{scheme}://127.0.0.1:{silent.getsockname()[1]}/")

    assert_refused(result, "timeout")
    assert time.monotonic() - started < 0.9


# --- What the server says -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500])
def test_http_errors(site, status):
    site.routes["/"] = page(html(body=rel_me()), status=status)

    assert_refused(check(site.url()), "http_error")


@pytest.mark.parametrize(
    "content_type", ["image/png", "text/plain", "application/json", "text/html-ish", ""]
)
def test_pages_that_are_not_html(site, content_type):
    site.routes["/"] = page(html(body=rel_me()), content_type=content_type)

    assert_refused(check(site.url()), "not_html")


def test_a_closed_port(fetch_settings):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]

    assert_refused(check(f"http://127.0.0.1:{port}/"), "connection_failed")


def test_a_server_that_hangs_up_without_answering(site):
    site.routes["/"] = lambda handler: handler.connection.shutdown(socket.SHUT_RDWR)

    assert_refused(check(site.url()), "connection_failed")


def test_a_garbled_answer(site):
    site.routes["/"] = lambda handler: handler.wfile.write(b"HTTP/1.1 two hundred\r\n\r\n")

    assert_refused(check(site.url()), "http_error")


def test_an_unknown_host_name(fetch_settings):
    assert_refused(check("https://nowhere.invalid/"), "connection_failed")


# --- Which addresses may be fetched ---------------------------------------------------------------


def test_plain_http_only_when_allowed(site, settings):
    site.routes["/"] = page(html(body=rel_me()))
    assert check(site.url()).reason == "found_rel_me"
    site.requests.clear()
    site.connections = 0

    settings.LINKCHECK_ALLOW_HTTP = False
    result = check(site.url())

    assert_refused(result, "not_https")
    assert (site.connections, site.requests) == (0, [])


@pytest.mark.parametrize(
    ("allowed", "reason"), [(["127.0.0.0/8"], "found_rel_me"), ([], "private_address")]
)
def test_loopback_only_when_allowlisted(site, settings, allowed, reason):
    settings.LINKCHECK_ALLOWED_NETWORKS = allowed
    site.routes["/"] = page(html(body=rel_me()))

    result = check(site.url())

    assert result.reason == reason
    assert site.connections == (1 if allowed else 0)
    assert len(site.requests) == (1 if allowed else 0)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("[::1]", ["127.0.0.0/8"]),
        ("[::ffff:127.0.0.1]", []),
        ("[::ffff:7f00:1]", []),
        ("127.0.0.2", ["127.0.0.1/32"]),
        ("127.1", []),
        ("0x7f000001", []),
        ("[2002:7f00:1::]", ["127.0.0.0/8"]),  # 6to4 wrapping of a loopback address
    ],
)
def test_other_spellings_of_loopback_are_refused_unless_allowlisted(site, settings, host, allowed):
    settings.LINKCHECK_ALLOWED_NETWORKS = allowed

    result = check(f"http://{host}:{site.port}/")

    assert_refused(result, "private_address")
    assert site.connections == 0


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 (refused here, never bound)
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.0.8",
        "::",
        "fe80::1",
        "fc00::1",
        "fec0::1",
        "ff02::1",
        "64:ff9b::a00:1",
        "2002:a00:1::",
        "::ffff:192.168.0.1",
    ],
)
def test_private_addresses_are_refused(fetch_settings, names, address):
    names["internal.test"] = [address]

    result = check("https://internal.test/")

    assert_refused(result, "private_address")
    assert address in result.detail


@pytest.mark.parametrize(
    ("address", "allowed", "permitted"),
    [
        ("93.184.215.14", [], True),
        ("2606:4700::6810:84e5", [], True),
        ("::ffff:93.184.215.14", [], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], True),
        ("::1", ["127.0.0.0/8"], False),
        ("::1", ["::1/128"], True),
        ("10.0.0.1", ["127.0.0.0/8"], False),
        ("fe80::1%eth0", [], False),
        ("not an address", [], False),
    ],
)
def test_address_policy(address, allowed, permitted):
    """The rule itself, for addresses the tests may not connect to."""
    networks = tuple(ipaddress.ip_network(cidr) for cidr in allowed)

    assert linkcheck._is_permitted(address, networks) is permitted


def test_every_resolved_address_is_checked(site, names):
    names["artist.test"] = ["127.0.0.1"]
    site.routes["/"] = page(html(body=rel_me()))
    assert check(site.url(host="artist.test")).reason == "found_rel_me"

    names["artist.test"] = ["127.0.0.1", "10.0.0.1"]
    result = check(site.url(host="artist.test"))

    assert_refused(result, "private_address")
    assert len(site.requests) == 1


def test_dns_rebinding_cannot_move_the_connection(site, settings, monkeypatch):
    """The name is looked up once; a second answer (here 127.0.0.2, not allowlisted, where
    nothing listens) would fail the check if the connection looked the name up again."""
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    site.routes["/"] = page(html(body=rel_me()))
    answers = iter([["127.0.0.1"]])
    lookups = []
    checked_getaddrinfo = socket.getaddrinfo

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        address = next(answers, ["127.0.0.2"])[0] if host == "artist.test" else host
        return checked_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)

    assert check(site.url(host="artist.test")).reason == "found_rel_me"
    assert lookups == ["artist.test"]


def test_the_connection_goes_to_the_checked_address_with_the_name_in_host(site, names):
    names["artist.test"] = ["127.0.0.1"]
    site.routes["/"] = page(html(body=rel_me()))

    assert check(site.url(host="ARTIST.test")).reason == "found_rel_me"
    assert site.requests[0]["Host"] == f"artist.test:{site.port}"


def test_paths_are_sent_quoted(site):
    site.routes["/caf%C3%A9%20menu?q=a%20b"] = page(html(body=rel_me()))

    assert check(site.url("/café menu?q=a%20b")).reason == "found_rel_me"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://",
        "https:///path",
        "",
        "not a url",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "data:text/html,<a rel=me>",
        "https://user:secret@127.0.0.1/",
        "https://127.0.0.1:99999/",
        "https://exa mple.test/",
        "https://[::1/",
    ],
)
def test_bad_urls(fetch_settings, url):
    result = check(url)

    assert_refused(result, "bad_url")


def test_a_malformed_allowlist_is_a_configuration_error(site, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = ["localhost"]

    with pytest.raises(ValueError, match="localhost"):
        check(site.url())


# --- HTTPS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    """A test CA and a certificate it signed for artist.test (and nothing else)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    files = {name: folder / name for name in ("ca.pem", "ca.key", "leaf.pem", "leaf.key")}
    (folder / "leaf.ext").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:artist.test\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec, "-days", "2", "-subj", "/CN=Link check test CA"]
        + ["-keyout", files["ca.key"], "-out", files["ca.pem"]],
        [openssl, "req", *ec, "-subj", "/CN=artist.test"]
        + ["-keyout", files["leaf.key"], "-out", folder / "leaf.csr"],
        [openssl, "x509", "-req", "-in", folder / "leaf.csr", "-days", "2"]
        + ["-CA", files["ca.pem"], "-CAkey", files["ca.key"], "-CAcreateserial"]
        + ["-extfile", folder / "leaf.ext", "-out", files["leaf.pem"]],
    ]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    return files


@pytest.fixture
def tls_site(fetch_settings, certificates, names) -> Iterator[Site]:
    names["artist.test"] = ["127.0.0.1"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates["leaf.pem"], certificates["leaf.key"])
    with serving(tls=context) as site:
        yield site


@pytest.fixture
def trust_test_ca(monkeypatch, certificates) -> None:
    def context() -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(certificates["ca.pem"]))

    monkeypatch.setattr(linkcheck, "_tls_context", context)


def test_https_connects_to_the_checked_address_and_verifies_the_name(tls_site, trust_test_ca):
    tls_site.routes["/"] = page(html(body=rel_me()))

    result = check(tls_site.url(host="artist.test"))

    assert result.reason == "found_rel_me"
    assert tls_site.requests[0]["Host"] == f"artist.test:{tls_site.port}"


def test_https_certificate_for_another_name_is_refused(tls_site, trust_test_ca):
    tls_site.routes["/"] = page(html(body=rel_me()))

    assert_refused(check(tls_site.url(host="127.0.0.1")), "connection_failed")
    assert tls_site.requests == []


def test_https_certificate_from_an_unknown_authority_is_refused(tls_site):
    tls_site.routes["/"] = page(html(body=rel_me()))

    assert_refused(check(tls_site.url(host="artist.test")), "connection_failed")
    assert tls_site.requests == []


def test_https_redirect_to_plain_http_is_refused(tls_site, trust_test_ca, site, settings):
    settings.LINKCHECK_ALLOW_HTTP = False
    site.routes["/"] = page(html(body=rel_me()))
    tls_site.routes["/"] = redirect(site.url(host="artist.test"))

    result = check(tls_site.url(host="artist.test"))

    assert_refused(result, "not_https")
    assert site.connections == 0
