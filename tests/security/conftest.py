"""Fixtures for the security tests: a supporter who signed and confirmed through the site with
a distinctive address, and an HTML reader for the ``<script>`` and ``<style>`` a page holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse

from campaign.models import OutboundEmail
from signatures.models import Supporter

# Nobody else's address looks like this, in any case or normalisation.
EMAIL = "Quillon.Leakcheck+Petition@Example.ORG"
EMAIL_MARKERS = ("quillon", "leakcheck")
NAME = "Ada Halloway"

SIGN_FORM = {
    "full_name": NAME,
    "email": EMAIL,
    "field_of_work": "writer",
    "country": "GB",
    "known_for": "The Lantern books",
    "comment": "Credit the sources.",
    "name_display": "full",
    "agree": "on",
    "wants_updates": "on",
}


@dataclass
class Signed:
    """What signing and confirming left: the pages the signer saw and the stored supporter."""

    sign: HttpResponse
    thanks: HttpResponse
    supporter: Supporter

    @property
    def profile_path(self) -> str:
        return f"/en/supporters/{self.supporter.slug}/"


def link_in(email: OutboundEmail, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/\w\w/sign/{kind}/[^\s\"<]+)", email.text_body)
    assert match, f"no {kind} link in:\n{email.text_body}"
    return match.group(1)


@pytest.fixture
def sign_and_confirm(client, launched_campaign, django_capture_on_commit_callbacks):
    """``sign_and_confirm()`` signs the launched campaign through the form with ``EMAIL``,
    then follows the emailed link, running on-commit hand-offs (delivery) as a worker would."""

    def run(form: dict | None = None) -> Signed:
        with django_capture_on_commit_callbacks(execute=True):
            signed = client.post("/en/sign/", form or SIGN_FORM)
        assert signed.status_code == 302, signed.content.decode()[:2000]
        confirmation = OutboundEmail.objects.get(kind="confirm_signature")
        with django_capture_on_commit_callbacks(execute=True):
            thanks = client.get(link_in(confirmation, "confirm"))
        assert thanks.status_code == 200
        return Signed(sign=signed, thanks=thanks, supporter=Supporter.objects.get())

    return run


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    body: str = ""


class PageParts(HTMLParser):
    """The ``<script>`` and ``<style>`` elements of a page, and the elements with a ``style``
    attribute or an inline event handler (``onclick``…)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[Element] = []
        self.styles: list[Element] = []
        self.inline: list[str] = []
        self._open: Element | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        inline = [name for name in attributes if name.startswith("on") or name == "style"]
        if inline:
            self.inline.append(f"<{tag} {' '.join(inline)}>")
        if tag in ("script", "style"):
            self._open = Element(tag, attributes)
            (self.scripts if tag == "script" else self.styles).append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.body += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._open = None


def page_parts(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    parts.close()
    return parts
