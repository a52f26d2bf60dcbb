"""Hostile inputs (``payloads.py``) typed into every public form where they can be stored, then
looked for on every page, file and email where they can show.

A form either refuses a payload with an error on the field, keeping what was typed (escaped,
never a 500), or stores it. Whatever is stored is then shown as text everywhere: no page gains
an event handler, a script, a frame or a ``javascript:`` link (``inert.html_problems``), template
syntax shows as typed, the API answers JSON that browsers will not sniff as HTML, a plain-text
email shows the text as typed, and no CSV cell starts a formula.

Run with ``-s`` for the counts: payloads, payload × field submissions, pages checked.
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaign.models import OutboundEmail
from optouts import services as optout_services
from optouts.models import OptOutDeclaration, OptOutLocation
from organise.csvsafe import looks_like_formula
from organise.models import ImportJob
from signatures.forms import ProfileForm
from signatures.models import Signature, Supporter, Verification
from updates.models import Update

from .inert import assert_inert, csv_problems, html_problems, runs_script, shows_escaped
from .payloads import LINKS, PAYLOADS, Payload

pytestmark = pytest.mark.django_db

ALL = PAYLOADS + LINKS
TALLY: Counter[str] = Counter()

SIGNER = {
    "full_name": "Hostile Tester",
    "field_of_work": "writer",
    "country": "FR",
    "known_for": "Testing",
    "link": "",
    "comment": "",
    "name_display": "full",
    "agree": "on",
    "wants_updates": "on",
}
SIGN_FIELDS = ("full_name", "known_for", "comment", "link")
PROFILE_FIELDS = (
    "full_name", "known_for", "bio", "comment", "link_1", "link_2",
    "isni", "ipi", "imdb_id", "musicbrainz_id", "wikidata_id",
)  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    forms = sorted(kind[5:] for kind in TALLY if kind.startswith("form "))
    checked = {kind[8:]: n for kind, n in sorted(TALLY.items()) if kind.startswith("checked ")}
    print(
        f"\n[hostile] {len(ALL)} payloads; {TALLY['submitted']} payload × field submissions "
        f"through {len(forms)} forms ({', '.join(forms)}): {TALLY['stored']} stored, "
        f"{TALLY['refused']} refused with a form error, {TALLY['reflected']} shown back; "
        f"{sum(checked.values())} pages, files and emails checked "
        f"({', '.join(f'{kind}: {n}' for kind, n in checked.items())})"
    )


# --- Looking at what comes back ------------------------------------------------------------


def look_at(response, where: str, *, shows=(), status: int = 200) -> str:
    """An HTML answer: the expected status, inert, with each of ``shows`` shown as text."""
    assert response.status_code == status, f"{where}: {response.status_code}"
    assert response["Content-Type"].startswith("text/html"), where
    html = response.content.decode()
    assert_inert(html, where)
    for text in shows:
        assert shows_escaped(html, text), f"{where}: {text[:60]!r} is not shown escaped"
    TALLY["checked HTML pages"] += 1
    return html


def read_json(response, where: str) -> object:
    assert response.status_code == 200, f"{where}: {response.status_code}"
    assert "json" in response["Content-Type"] and "html" not in response["Content-Type"], where
    assert response["X-Content-Type-Options"] == "nosniff", where
    TALLY["checked JSON answers"] += 1
    text = b"".join(response.streaming_content) if response.streaming else response.content
    text = text.decode()
    if "jsonl" in response["Content-Type"] or where.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line]
    return json.loads(text)


def read_csv(response, where: str) -> list[list[str]]:
    assert response.status_code == 200, f"{where}: {response.status_code}"
    text = b"".join(response.streaming_content) if response.streaming else response.content
    text = text.decode("utf-8")
    problems = csv_problems(text)
    assert not problems, f"{where}: cells a spreadsheet would run:\n" + "\n".join(problems)
    TALLY["checked CSV files"] += 1
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def pages(client: Client, url: str) -> Iterator:
    """The answer at ``url``, then every page its ``rel="next"`` links lead to."""
    while url:
        response = client.get(url)
        yield response
        tag = re.search(r'<a\b[^>]*\brel="next"[^>]*>', response.content.decode())
        href = re.search(r'href="([^"]*)"', tag.group(0)) if tag else None
        url = (url.split("?")[0] + htmllib.unescape(href.group(1))) if href else ""


def links_in(data: object) -> Iterator[str]:
    """Every string value under a key naming an address, anywhere in a JSON document."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and (key.endswith("url") or key in {"link", "links"}):
                yield value
            else:
                yield from links_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from (item,) if isinstance(item, str) else links_in(item)


# --- Typing the payloads -------------------------------------------------------------------


def submit(client: Client, path: str, data: dict, *, form: str, context: str, hostile, fallback):
    """POST ``data`` with a payload in the ``hostile`` fields. When the form refuses some, its
    page must say so on those fields, keep what was typed and stay inert; then the refused
    fields are replaced by ``fallback``'s values and the form is posted again (and must go
    through). Returns the fields that stored the payload."""
    TALLY[f"form {form}"] += 1
    TALLY["submitted"] += len(hostile)
    response = client.post(path, data)
    if response.status_code == 302:
        TALLY["stored"] += len(hostile)
        return set(hostile)
    where = f"{form} refusing {', '.join(hostile)}"
    assert response.status_code in (200, 400), f"{where}: {response.status_code}"
    errors = response.context[context].errors
    refused = set(errors) - {"__all__"}
    assert refused and refused <= set(hostile), f"{where}: {errors.as_data()}"
    look_at(response, where, status=response.status_code, shows=[data[f] for f in refused])
    TALLY["refused"] += len(refused)
    TALLY["stored"] += len(set(hostile) - refused)
    again = client.post(path, data | {field: fallback[field] for field in refused})
    assert again.status_code == 302, f"{where}, then without them: {again.status_code}"
    return set(hostile) - refused


def profile_post(supporter: Supporter) -> dict:
    initial = ProfileForm.initial_for(supporter, supporter.signatures.get().comment)
    data = {name: value or "" for name, value in initial.items() if name != "other_fields"}
    return data | {f"link_{n}": data.get(f"link_{n}", "") for n in range(1, 6)}


def sign_and_confirm(client: Client, index: int, payload: Payload) -> Supporter:
    """Sign with the payload in every field of the sign form, and confirm by the emailed link
    (the thanks page names the signer)."""
    email = f"hostile{index}@example.org"
    # A name of one's own: a verified namesake would hold the signature for review.
    benign = SIGNER | {"full_name": f"Hostile Tester {index}"}
    data = benign | {"email": email} | dict.fromkeys(SIGN_FIELDS, payload.text)
    submit(
        client, "/en/sign/", data, form="sign", context="form", hostile=SIGN_FIELDS, fallback=benign
    )
    supporter = Supporter.objects.get(email=email)
    message = OutboundEmail.objects.filter(recipient=email).latest("id")
    path = re.search(r"https?://[^/\s]+(/en/sign/confirm/[^\s]+)", message.text_body).group(1)
    held = supporter.signatures.get().moderation != Signature.Moderation.OK  # a namesake's
    shows = [] if held else [supporter.full_name]
    look_at(client.get(path), f"thanks page ({payload.name})", shows=shows)
    supporter.refresh_from_db()
    return supporter


def fill_in_account(client: Client, index: int, payload: Payload, supporter: Supporter) -> None:
    """The profile, both verification requests and the opt-out declaration, each field given
    the payload."""
    client.force_login(supporter.user)
    hostile = dict.fromkeys(PROFILE_FIELDS, payload.text)
    kept = profile_post(supporter)
    submit(
        client, "/en/account/", kept | hostile,
        form="profile", context="form", hostile=PROFILE_FIELDS, fallback=kept,
    )  # fmt: skip
    submit(
        client, "/en/account/verify/review/",
        {"message": payload.text, "evidence_links": payload.text},
        form="verification review", context="review_form",
        hostile=("message", "evidence_links"),
        fallback={"message": "My agent can confirm.", "evidence_links": ""},
    )  # fmt: skip
    submit(
        client, "/en/account/verify/link/", {"page_url": payload.text},
        form="verification link-back", context="link_form", hostile=("page_url",),
        fallback={"page_url": f"https://works{index}.example/about"},
    )  # fmt: skip
    Supporter.objects.filter(pk=supporter.pk).update(
        verified_at=supporter.signatures.get().confirmed_at, verification_method="review"
    )
    works = f"https://works{index}.example/"
    submit(
        client, "/en/account/opt-out/",
        {"locations": f"{works}\n{payload.text}", "licensing_url": payload.text, "confirm": "on"},
        form="opt-out declaration", context="declaration_form",
        hostile=("locations", "licensing_url"),
        fallback={"locations": works, "licensing_url": ""},
    )  # fmt: skip
    TALLY["form opt-out place"] += 1
    TALLY["submitted"] += 1
    added = client.post("/en/account/opt-out/add/", {"url": payload.text})
    if added.status_code == 302:
        TALLY["stored"] += 1
    else:
        look_at(added, f"opt-out place refusing {payload.name}", shows=[payload.text])
        TALLY["refused"] += 1
    for location in OptOutLocation.objects.filter(declaration__supporter=supporter):
        optout_services.record_check(location_id=location.pk, ok=True, reason="ok")  # the worker


@pytest.fixture
def hostile_site(campaign, client) -> list[Supporter]:
    """One signatory per payload, who typed it everywhere they could."""
    supporters = []
    for index, payload in enumerate(ALL):
        client.logout()
        supporter = sign_and_confirm(client, index, payload)
        fill_in_account(client, index, payload, supporter)
        supporter.refresh_from_db()
        supporters.append(supporter)
    client.logout()
    return supporters


def shown_texts(supporter: Supporter) -> list[str]:
    """What a public page about ``supporter`` shows of what they typed."""
    signature = supporter.signatures.get()
    return [supporter.public_name, supporter.known_for, supporter.bio, signature.comment]


# --- The tests -------------------------------------------------------------------------------


def test_stored_payloads_are_shown_inert_everywhere(
    hostile_site, client, organiser_client, django_capture_on_commit_callbacks
):
    """The home page, the directory, profiles, the API, the signatory's own pages, the back
    office, the CSV export, an update (news pages and emails) and every email, for
    signatories who typed a payload everywhere."""
    public = [s for s in hostile_site if Signature.objects.shown_publicly().filter(supporter=s)]
    assert len(public) > len(ALL) // 2, "most hostile signatories should be listed"
    markup = hostile_site[[p.name for p in ALL].index("img onerror")]
    assert markup.full_name == markup.known_for == markup.bio == "<img src=x onerror=alert(1)>"
    check_public_pages(client, public)
    check_api(client, hostile_site)
    check_own_pages(client, hostile_site)
    check_back_office(organiser_client, hostile_site)
    check_update(organiser_client, client, django_capture_on_commit_callbacks)
    check_emails(hostile_site)


def check_public_pages(client: Client, public: list[Supporter]) -> None:
    for batch in range(0, len(public), 8):  # the home page features eight at a time
        Supporter.objects.update(is_featured=False)
        for position, supporter in enumerate(public[batch : batch + 8]):
            Supporter.objects.filter(pk=supporter.pk).update(
                is_featured=True, featured_position=position
            )
        cache.clear()  # the public page cache
        names = [s.public_name for s in public[batch : batch + 8]]
        look_at(client.get("/en/"), f"home, featured from {batch}", shows=names)
    directory = "".join(look_at(page, "directory") for page in pages(client, "/en/supporters/"))
    for supporter in public:
        assert shows_escaped(directory, supporter.public_name), supporter.public_name[:60]
        look_at(
            client.get(f"/en/supporters/{supporter.slug}/"),
            f"profile of {supporter.public_name[:40]!r}",
            shows=shown_texts(supporter),
        )


def check_api(client: Client, supporters: list[Supporter]) -> None:
    listed, url = [], "/api/v1/supporters?limit=100"
    while url:
        page = read_json(client.get(url), url)
        listed += page["results"]
        cursor = page["next_cursor"]
        url = f"/api/v1/supporters?limit=100&cursor={cursor}" if cursor else ""
    by_id = {entry["public_id"]: entry for entry in listed}
    for supporter in supporters:
        entry = by_id.get(supporter.public_id)
        if entry is None:
            continue
        assert (entry["name"], entry["known_for"]) == (supporter.public_name, supporter.known_for)
        one = read_json(client.get(f"/api/v1/supporters/{supporter.public_id}"), "supporter")
        assert one == entry
    registry = read_json(client.get("/api/v1/optouts/?limit=100"), "registry")
    bulk = read_json(client.get("/api/v1/optouts.jsonl"), "registry.jsonl")
    assert len(registry["results"]) == len(bulk) > 0
    for entry in registry["results"]:
        read_json(client.get(f"/api/v1/optouts/{entry['id']}/policy"), "TDM policy")
    for address in links_in([listed, registry, bulk]):
        assert not runs_script(address), address


def check_own_pages(client: Client, supporters: list[Supporter]) -> None:
    for supporter in supporters:
        client.force_login(supporter.user)
        look_at(client.get("/en/account/"), f"account of {supporter.pk}")
        look_at(client.get("/en/account/opt-out/"), f"opt-out page of {supporter.pk}")
        read_json(client.get("/en/account/data.json"), "my data")
        declaration = OptOutDeclaration.objects.filter(supporter=supporter).first()
        for location in declaration.locations.all() if declaration else []:
            for name in ("tdmrep.json", "robots.txt"):
                response = client.get(f"/en/account/opt-out/{name}", {"site": location.origin})
                assert response.status_code == 200 and "html" not in response["Content-Type"]
                TALLY["checked downloads"] += 1
    client.logout()


def check_back_office(bo: Client, supporters: list[Supporter]) -> None:
    look_at(bo.get("/organise/"), "dashboard")
    listing = "".join(look_at(p, "signatories") for p in pages(bo, "/organise/signatories/"))
    for supporter in supporters:
        signature = supporter.signatures.get()
        assert shows_escaped(listing, supporter.full_name), supporter.full_name[:60]
        look_at(
            bo.get(f"/organise/signatories/{signature.pk}/"),
            f"signatory {signature.pk}",
            shows=[supporter.full_name, supporter.known_for, signature.comment],
        )
        look_at(bo.get(f"/organise/privacy/{supporter.pk}/"), f"privacy request {supporter.pk}")
    for page in pages(bo, "/organise/verifications/?status="):
        look_at(page, "verifications")
    for verification in Verification.objects.all():
        look_at(
            bo.get(f"/organise/verifications/{verification.pk}/"),
            f"verification {verification.pk}",
            shows=[verification.evidence.get("message", "")],
        )
    look_at(bo.get("/organise/held/"), "held")
    for page in pages(bo, "/organise/audit/"):
        look_at(page, "audit trail")
    rows = read_csv(bo.get("/organise/export/signatories.csv"), "export")
    cells = {cell for row in rows for cell in row}
    for supporter in supporters:
        if looks_like_formula(supporter.full_name):
            assert f"'{supporter.full_name}" in cells, "a formula name is not escaped"
            TALLY["formula cells seen escaped"] += 1


def check_update(bo: Client, client: Client, run_after_commit) -> None:
    """An update whose title and Markdown carry every payload, sent to the hostile
    signatories and published: the back office's pages, the news pages and (later) the
    emails show it sanitised."""
    body = "\n\n".join(payload.text for payload in ALL if len(payload.text) < 1000)
    text = {"title_en": "<script>alert(1)</script>", "body_en": body}
    created = bo.post("/organise/updates/new/", text | {"title_fr": "{{ 7*7 }}", "body_fr": body})
    assert created.status_code == 302, created.status_code
    TALLY["form update (organisers)"] += 1
    update = Update.objects.latest("id")
    look_at(bo.get(f"/organise/updates/{update.pk}/"), "update in the back office")
    with run_after_commit(execute=True):  # the worker sends it
        assert bo.post(f"/organise/updates/{update.pk}/send/").status_code == 302
    assert bo.post(f"/organise/updates/{update.pk}/publish/").status_code == 302
    update.refresh_from_db()
    look_at(bo.get(f"/organise/updates/{update.pk}/"), "update sent")
    cache.clear()
    look_at(client.get("/en/news/"), "news", shows=[update.title_en])
    look_at(client.get(f"/fr/actualites/{update.slug}/"), "news in French", shows=["{{ 7*7 }}"])
    look_at(client.get(f"/en/news/{update.slug}/"), "news page", shows=[update.title_en])


def check_emails(supporters: list[Supporter]) -> None:
    names = {s.email: s.full_name for s in supporters}
    emails = list(OutboundEmail.objects.all())
    assert {email.kind for email in emails} >= {"confirm_signature", "update"}
    for email in emails:
        name = names.get(email.recipient, "")
        assert "\n" not in email.subject and "\r" not in email.subject
        if email.html_body:
            assert_inert(email.html_body, f"HTML email {email.kind}")
            assert not name or shows_escaped(email.html_body, name), (email.kind, name[:60])
        if name:  # plain text shows the name as typed, not as HTML
            assert name in email.text_body, (email.kind, name[:60])
        TALLY["checked emails"] += 1


def test_reflected_payloads_come_back_escaped(campaign, client, organiser_client):
    """What a form shows back without storing it: the new-link form, the directory and
    back-office searches, the login and sign-up forms."""
    for payload in ALL:
        text = payload.text
        TALLY["submitted"] += 6
        TALLY["reflected"] += 6
        for form in ("new link", "directory search", "API search", "login code", "sign-up"):
            TALLY[f"form {form}"] += 1
        TALLY["form back-office search"] += 1
        response = client.post("/en/sign/new-link/", {"email": text})
        look_at(response, f"new link ({payload.name})", status=400, shows=[text])
        searched = 414 if len(text) > 1000 else 200  # a URL too long
        look_at(
            client.get("/en/supporters/", {"q": text}),
            f"directory search ({payload.name})",
            status=searched,
            shows=[text] if searched == 200 else [],
        )
        api = client.get("/api/v1/supporters", {"q": text})
        assert api.status_code in (200, 400, 414, 422) and "json" in api["Content-Type"]
        login = client.post("/en/accounts/login/code/", {"email": text})
        if login.status_code == 200:
            look_at(login, f"login code ({payload.name})", shows=[text])
        client.logout()
        signup = client.post("/en/accounts/signup/", {"email": text})
        if signup.status_code == 200:
            look_at(signup, f"sign-up ({payload.name})", shows=[text])
        client.logout()
        look_at(
            organiser_client.get("/organise/signatories/", {"q": text}),
            f"back-office search ({payload.name})",
            status=searched,
        )


def hostile_csv(payloads: list[Payload]) -> bytes:
    """For each payload: a row with it in the name, "known for" and comment cells, one with it
    as the link, one with it in every cell that names a code (field, country, language,
    consent, display, date), and one with it as the address."""
    columns = [
        "email", "full_name", "field_of_work", "country", "known_for", "link", "comment",
        "language", "wants_updates", "name_display", "signed_at",
    ]  # fmt: skip
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for index, payload in enumerate(payloads):
        text = payload.text
        writer.writerow(
            [f"import{index}@example.org", text, "writer", "FR", text, "", text, "", "", "", ""]
        )
        writer.writerow(
            [
                f"link{index}@example.org",
                f"Linked Row {index}",
                "writer",
                "FR",
                "",
                text,
                "",
                "",
                "",
                "",
                "",
            ]
        )
        writer.writerow(
            [
                f"codes{index}@example.org",
                "Coded Row",
                text,
                text,
                "",
                "",
                "",
                text,
                text,
                text,
                text,
            ]
        )
        writer.writerow([text, "Address Row", "writer", "FR", "", "", "", "", "", "", ""])
    return buffer.getvalue().encode("utf-8")


def test_imported_payloads_are_refused_or_shown_inert(
    campaign, organiser_client, client, django_capture_on_commit_callbacks
):
    bo = organiser_client
    payloads = [p for p in ALL if len(p.text) < 1000]  # a 16,000-character row refuses the file
    upload = SimpleUploadedFile("hostile.csv", hostile_csv(payloads), content_type="text/csv")
    TALLY["form import"] += 1
    with django_capture_on_commit_callbacks(execute=True):
        response = bo.post(
            "/organise/imports/",
            {"file": upload, "source_label": "Hostile file <script>alert(1)</script>"},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.latest("id")
    assert job.status == ImportJob.Status.DONE, job.failure
    TALLY["submitted"] += job.total_rows
    TALLY["refused"] += job.error_count
    TALLY["stored"] += job.created_count
    detail = look_at(bo.get(f"/organise/imports/{job.pk}/"), "import report")
    assert "Hostile file &lt;script&gt;" in detail
    read_csv(bo.get(f"/organise/imports/{job.pk}/report.csv"), "import report CSV")
    look_at(bo.get("/organise/imports/"), "imports")
    assert job.created_count > 0 and job.error_count > 0

    # Hostile headings: the refusal names them, escaped.
    bad = SimpleUploadedFile("bad.csv", b"<svg onload=alert(1)>,=cmd|' /C calc'!A0\n", "text/csv")
    refused = bo.post("/organise/imports/", {"file": bad, "source_label": "=1+1"})
    look_at(
        refused, "import refusing hostile headings", status=400, shows=["<svg onload=alert(1)>"]
    )
    TALLY["submitted"] += 2
    TALLY["refused"] += 2

    imported = Supporter.objects.filter(signatures__source=Signature.Source.IMPORT)
    listing = "".join(look_at(p, "signatories") for p in pages(bo, "/organise/signatories/"))
    directory = "".join(look_at(p, "directory") for p in pages(client, "/en/supporters/"))
    for supporter in imported:
        signature = supporter.signatures.get()
        assert shows_escaped(listing, supporter.full_name)
        look_at(
            bo.get(f"/organise/signatories/{signature.pk}/"),
            "imported signatory",
            shows=[supporter.full_name, supporter.known_for, signature.comment],
        )
        if Signature.objects.shown_publicly().filter(pk=signature.pk):
            assert shows_escaped(directory, supporter.public_name)
            look_at(
                client.get(f"/en/supporters/{supporter.slug}/"),
                "imported profile",
                shows=shown_texts(supporter),
            )
    read_csv(bo.get("/organise/export/signatories.csv"), "export after import")


def test_the_checks_catch_what_they_look_for():
    """The failure twins of the checks above, so that a clean result means something."""
    caught = [
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        '<a href=" java\tscript:alert(1)">me</a>',
        '<a href="&#106;avascript:alert(1)">me</a>',
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        '<iframe src="/"></iframe>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<form action="javascript:alert(1)"></form>',
    ]
    for markup in caught:
        assert html_problems(f"<p>{markup}</p>"), markup
    assert not html_problems('<p>&lt;img src=x onerror=alert(1)&gt; <a href="/en/">x</a></p>')
    assert not html_problems('<script src="/static/js/share.js" defer></script>')
    assert shows_escaped("<p>&lt;b&gt;</p>", "<b>") and not shows_escaped("<p><b></p>", "<b>")
    assert csv_problems('"=1+1","ok"\n') and csv_problems('" @SUM(1)"\n')
    assert not csv_problems('"\'=1+1","-"\n'.replace('"-"', '"ok"'))
