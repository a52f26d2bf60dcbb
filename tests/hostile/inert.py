"""Checks that what a page, a file or an email shows of stored input is inert: no script can
run from it, no link can carry one, no spreadsheet can evaluate it.

``html_problems`` reads a page as the browser would (``html.parser``, character references
decoded in attribute values) and lists every way it could run script: an ``on…`` attribute, a
``<script>`` with a body or from another origin, a ``javascript:``/``vbscript:``/``data:text``
address in a link or a source, a frame, an ``<object>``/``<embed>``/``<base>``, a refresh that
navigates, an ``<img>`` whose source is not an address. ``csv_problems`` lists the cells a
spreadsheet would read as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from django.utils.html import escape

from .payloads import FORMULA_TRIGGERS

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "base", "applet"}
# Browsers drop these before reading a scheme ("java\tscript:" runs).
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:image/svg", "data:application")
IMAGE_SOURCES = ("/", "https://", "http://", "data:image/png", "data:image/jpeg", "cid:")
# What {% debug %} prints, were a stored text ever rendered as a template.
TEMPLATE_LEAKS = ("sql_queries", "{&#x27;True&#x27;: True", "{'True': True")


def runs_script(address: str) -> bool:
    """Whether following ``address`` (as an ``href`` or a ``src``) could run script."""
    bare = _IGNORED_IN_SCHEME.sub("", address).casefold()
    return bare.startswith(SCRIPT_SCHEMES)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        here = self.getpos()
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"line {here[0]}: <{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES and runs_script(value):
                self.problems.append(f"line {here[0]}: <{tag} {name}={value[:60]!r}>")
            if name == "srcdoc":
                self.problems.append(f"line {here[0]}: <{tag} srcdoc>")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"line {here[0]}: <{tag}> element")
        if tag == "script":
            self._script_open = True
            src = values.get("src", "")
            if not src.startswith("/static/"):
                self.problems.append(f"line {here[0]}: <script src={src!r}>")
        refresh = tag == "meta" and values.get("http-equiv", "").casefold() == "refresh"
        if refresh and "url" in values.get("content", "").casefold():
            self.problems.append(f"line {here[0]}: a refresh that navigates")
        if tag == "img" and not values.get("src", "").startswith(IMAGE_SOURCES):
            self.problems.append(f"line {here[0]}: <img src={values.get('src')!r}>")

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._script_open = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_open = False

    def handle_data(self, data: str) -> None:
        if self._script_open and data.strip():
            self.problems.append(f"line {self.getpos()[0]}: inline script {data[:60]!r}")


def html_problems(html: str) -> list[str]:
    """Every way ``html`` could run script (an empty list for an inert page)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    problems = reader.problems
    problems += [f"template output {leak!r}" for leak in TEMPLATE_LEAKS if leak in html]
    return problems


def assert_inert(html: str, where: str) -> None:
    problems = html_problems(html)
    assert not problems, f"{where} could run script:\n" + "\n".join(problems)


def shows_escaped(html: str, text: str) -> bool:
    """Whether ``text`` appears in ``html`` as text (escaped), and nowhere as raw markup. (A
    quote left as it is in a text node is harmless: what it could do in an attribute,
    ``html_problems`` would see.)"""
    if not text:
        return True
    raw_markup = "<" in text and text in html
    return escape(text) in html and not raw_markup


def csv_problems(text: str) -> list[str]:
    """The cells of a CSV text a spreadsheet would run as a formula."""
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")), 1):
        for cell in row:
            if cell.startswith(FORMULA_TRIGGERS) or cell.lstrip(" ").startswith(FORMULA_TRIGGERS):
                problems.append(f"row {number}: {cell[:60]!r}")
    return problems
