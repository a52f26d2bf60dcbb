"""No script from stored hostile input ever runs, in the system Chromium at phone width.

Payloads are typed into the sign form in the browser (then confirmed by the emailed link), put
in a signatory's profile and verification request, and imported from a CSV file; then every
page where they show is opened, anonymously, as the signatory and as an Organiser. A trap set
before any page script (``window.__pwned``, which every payload assigns) must never be set,
no dialog may open, the Content-Security-Policy must report nothing (an injected script it
blocked is still an injection) and the console stays clean.
"""

from __future__ import annotations

import csv
import io
import re
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from campaign.models import OutboundEmail
from optouts import services as optout_services
from organise.models import ImportJob
from organise.transfer import job as importer
from organise.transfer import selectors as import_selectors
from signatures.models import Signature, Supporter
from signatures.normalize import web_address
from signatures.services import request_review
from tests.backoffice import log_in, make_person
from tests.e2e.browser import PHONE, assert_clean

pytestmark = pytest.mark.browser

# Runs before any script of the page: a trap the payloads spring, and a record of what the
# Content-Security-Policy refused.
TRAP = """
window.__sprung = [];
Object.defineProperty(window, "__pwned", {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__sprung.push(String(value)); },
});
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

NAME = "\"><img src=x onerror=\"window.__pwned='name';alert('name')\">"
KNOWN_FOR = "<svg onload=\"window.__pwned='known_for'\">"
COMMENT = "</textarea><script>window.__pwned='comment';alert('comment')</script>"
LINK = "https://example.org/\"><script>window.__pwned='link'</script>"
BIO = "' autofocus onfocus='window.__pwned=\"bio\"' x='"
IMPORTED = "<img src=x onerror=\"window.__pwned='import'\">"
REVIEW = "<iframe srcdoc=\"<script>parent.__pwned='review'</script>\"></iframe>"


class Watched:
    """A phone-sized page with the trap, the dialogs it opened and its failed subresources."""

    def __init__(self, new_page, base_url: str, session_key: str = "") -> None:
        self.page = new_page(viewport=PHONE)
        self.page.add_init_script(TRAP)
        self.dialogs: list[str] = []
        self.bad_responses: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("response", self._response)
        if session_key:
            self.page.context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": base_url}]
            )
        self.visited = 0

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.bad_responses.append(f"{response.status} {response.url}")

    def open(self, url: str, *, shows: str = "") -> None:
        """Open ``url``, let it settle, and check that nothing ran."""
        response = self.page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(150)  # onload/onerror handlers and autofocus have fired
        if shows:
            expect(self.page.get_by_text(shows, exact=False).first).to_be_attached()
        self.assert_nothing_ran(url)
        self.visited += 1

    def assert_nothing_ran(self, where: str) -> None:
        page = self.page
        assert page.evaluate("() => window.__sprung") == [], f"{where}: a payload ran"
        assert self.dialogs == [], f"{where}: dialogs opened: {self.dialogs}"
        assert page.evaluate("() => window.__cspViolations") == [], f"{where}: CSP violations"
        assert self.bad_responses == [], f"{where}: {self.bad_responses}"
        assert_clean(page)


def session_of(user, *, second_factor: bool = True) -> str:
    """A session for ``user``, logged in as by the emailed code (and the TOTP step the back
    office needs), for the browser to carry."""
    client = log_in(Client(), user, second_factor=second_factor)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def hostile_csv() -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["email", "full_name", "field_of_work", "country", "known_for", "comment"])
    writer.writerow(["ivy@example.org", IMPORTED, "writer", "FR", IMPORTED, IMPORTED])
    return buffer.getvalue()


def sign_in_the_browser(visitor: Watched, live_site) -> str:
    """Type the payloads into the sign form; returns the emailed confirmation path."""
    page = visitor.page
    page.goto(live_site.url("signatures:sign"))
    form = page.locator("form.sign-form").first
    form.locator("input[name=full_name]").fill(NAME)
    form.locator("input[name=email]").fill("mallory@example.org")
    form.locator("select[name=field_of_work]").select_option("writer")
    form.locator("select[name=country]").select_option("FR")
    form.locator("input[name=known_for]").fill(KNOWN_FOR)
    form.locator("input[name=link]").fill(LINK)
    form.locator("textarea[name=comment]").fill(COMMENT)
    form.locator("input[name=agree]").check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sign/check-your-email/"))
    visitor.assert_nothing_ran("the sign form")
    body = OutboundEmail.objects.get(recipient="mallory@example.org").text_body
    return re.search(r"https?://[^/\s]+(/en/sign/confirm/\S+)", body).group(1)


def store_the_rest(live_site, mallory: Supporter) -> ImportJob:
    """Mallory's profile, verification request and opt-out declaration carry more payloads;
    an import brings another signatory. Returns the import."""
    Supporter.objects.filter(pk=mallory.pk).update(bio=BIO, links=[LINK], is_featured=True)
    request_review(supporter=mallory, message=REVIEW, links=[LINK])
    Supporter.objects.filter(pk=mallory.pk).update(
        verified_at=timezone.now(), verification_method="review"
    )
    mallory.refresh_from_db()
    # The worker's check of the place would fetch it from the internet: it is recorded instead.
    with mock.patch.object(optout_services, "_queue_check"):
        declaration = optout_services.declare(
            supporter=mallory, locations=["https://mallory.example/works/"], licensing_url=LINK
        )
    for location in declaration.locations.all():
        optout_services.record_check(location_id=location.pk, ok=True, reason="ok")
    job = importer.start_import(
        campaign=live_site.campaign,
        file_name="hostile.csv",
        text=hostile_csv(),
        source_label=IMPORTED,
        run=False,
    )
    while importer.continue_import(job_id=job.pk, seconds=30):
        pass
    return import_selectors.import_job(job_id=job.pk)


def test_no_injected_script_ever_runs(live_site, new_page):
    base = live_site.base_url
    visitor = Watched(new_page, base)
    visitor.open(base + sign_in_the_browser(visitor, live_site), shows=NAME)  # thanks page

    mallory = Supporter.objects.get(email="mallory@example.org")
    # The link is kept as signatures.normalize.web_address leaves it: quotes and brackets encoded.
    stored = (NAME, KNOWN_FOR, web_address(LINK))
    assert (mallory.full_name, mallory.known_for, mallory.link) == stored
    job = store_the_rest(live_site, mallory)
    ivy = Supporter.objects.get(email="ivy@example.org")
    assert ivy.full_name == IMPORTED and job.created_count == 1

    # The public pages, anonymously.
    visitor.open(live_site.url("home"), shows=NAME)
    visitor.open(live_site.url("signatures:directory"), shows=IMPORTED)
    visitor.open(live_site.url("signatures:profile", slug=mallory.slug), shows=COMMENT)
    visitor.open(live_site.url("signatures:profile", slug=ivy.slug), shows=IMPORTED)
    visitor.open(f"{base}/api/v1/optouts/", shows="mallory.example")
    visitor.open(f"{base}/api/v1/supporters/{mallory.public_id}", shows="onerror")

    # Mallory's own pages.
    own = Watched(new_page, base, session_of(mallory.user, second_factor=False))
    own.open(base + "/en/account/", shows="autofocus")
    own.open(base + "/en/account/opt-out/", shows="mallory.example")

    # The back office, as an Organiser.
    organiser = Watched(new_page, base, session_of(make_person("Organiser")))
    signatures = {s.supporter_id: s.pk for s in Signature.objects.all()}
    organiser.open(base + "/organise/signatories/", shows=IMPORTED)
    organiser.open(base + f"/organise/signatories/{signatures[mallory.pk]}/", shows=NAME)
    organiser.open(base + f"/organise/signatories/{signatures[ivy.pk]}/", shows=IMPORTED)
    verification = mallory.verifications.get()
    organiser.open(base + f"/organise/verifications/{verification.pk}/", shows="srcdoc")
    organiser.open(base + f"/organise/imports/{job.pk}/", shows=IMPORTED)
    organiser.open(base + "/organise/audit/")

    assert visitor.visited + own.visited + organiser.visited == 15
