"""Hypothesis throws arbitrary text at every public form and at the CSV import.

Whatever is typed (any Unicode but surrogates, NUL and other control characters, direction
overrides, invisible characters, 30,000-character strings, the hostile payloads of
``payloads.py``, and valid values often enough to get through), a form answers with its page,
a redirect or a 400 (NUL, refused before any view), never a 500; an invalid submission stores
nothing; and submitting the same person again, in another case or with spaces around the
address, never makes a second row. Each example runs in a savepoint that is rolled back
(``rolled_back``), so examples do not see each other's rows.

Run with ``-s`` to see how many examples each form was given.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.emailkeys import fits_dns
from campaign.models import AuditEvent, FieldOfWork, OutboundEmail
from consent.models import ConsentRecord
from optouts.models import OptOutDeclaration, OptOutLocation
from organise.models import ImportJob, ImportReportLine
from organise.transfer import job as importer
from organise.transfer import parse
from signatures.models import Signature, Supporter, Verification
from signatures.normalize import email_key
from tests.factories import SignatureFactory, SupporterFactory
from updates.tokens import make_unsubscribe_token

from .conftest import rolled_back
from .payloads import LINKS, PAYLOADS

pytestmark = pytest.mark.django_db

# Examples per form: the closing note of issue 7 quotes these.
EXAMPLES = 100
IMPORT_EXAMPLES = 60
RUN: Counter[str] = Counter()
# Of those, how many got through and stored something (so the valid paths are exercised too).
STORED: Counter[str] = Counter()

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- What is typed -------------------------------------------------------------------------

SPECIAL = [
    "\x00", "\u202e", "\u202d", "\u2066", "\u061c", "\u200b", "\u200d", "\ufeff", "\u00ad",
    "\r\n", "\r", "\n", "\t", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\ufffd",
    "\U0001f469\u200d\U0001f3a8", "\ufb01", "\u01c5", "\u0130", "\u00df", "\u2126", "\u0301",
    "<", ">", '"', "'", "&", "{{", "}}", "{%", "%", "\\", ";", ",", "=", "+", "@", "-", "/",
]  # fmt: skip
unicode_text = st.text(st.characters(codec="utf-8"), max_size=200)  # surrogates cannot be sent
spliced = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=12)), max_size=25).map(
    "".join
)
huge = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=6),
    st.integers(200, 30_000),
)
hostile = st.sampled_from([payload.text for payload in PAYLOADS + LINKS])
# Characters that lengthen when normalised or case-folded ("ß" → "ss", "ﬁ" → "fi"): a value
# that fits its field can outgrow a column derived from it (PostgreSQL refuses the row).
GROWING = ["ß", "ẞ", "ﬁ", "ŉ", "ǰ", "ΐ", "İ", "ﷺ", " "]
growing = st.text(st.sampled_from(GROWING), min_size=20, max_size=130)
junk = st.one_of(unicode_text, spliced, huge, hostile, growing)


def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value four times in five, junk otherwise."""
    return st.integers(0, 4).flatmap(lambda n: junk if n == 4 else valid)


# Text a person could well type: letters, digits, punctuation, symbols and spaces.
plain = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), max_size=80)
texts = st.one_of(plain, hostile)
names = st.one_of(
    st.sampled_from(["Ada Lovelace", "Zoë Ćorić", "李小龍", "Seán O'Brien", "Ngũgĩ wa Thiong'o"]),
    st.text(st.characters(categories=["L", "M", "Zs"]), min_size=2, max_size=60),
    st.integers(1, 17).map(lambda n: ("Straße " * n).strip()),
)
SIGNER_EMAILS = ["ada@example.org", "Ada@Example.ORG", " ada@EXAMPLE.org ", "ADA@example.org."]
emails = st.one_of(
    st.sampled_from(SIGNER_EMAILS),
    st.emails(),
    st.builds(  # a valid address whose compared form is longer ("ß" → "ss")
        lambda label, labels: "a@" + ".".join([label] * labels) + ".org",
        st.text(st.sampled_from("ßa"), min_size=1, max_size=30),
        st.integers(1, 8),
    ),
)
fields_of_work = st.sampled_from(FieldOfWork.values)
countries = st.sampled_from(["FR", "GB", "BR", "JP", "CD"])
web_links = st.one_of(
    st.sampled_from(["https://ada.example/work", "example.org/portfolio/", "http://x.example"]),
    st.from_regex(r"\Ahttps?://[a-z0-9]{1,20}\.example/[a-z0-9/._~-]{0,30}\Z"),
)


def optional(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), valid)


@st.composite
def filled_in(draw, fields: dict[str, st.SearchStrategy]) -> dict:
    """A form filled in with valid values, then up to three of its fields spoiled with junk
    (none, often: the valid path must be exercised as much as the refusals)."""
    data = {name: draw(strategy) for name, strategy in fields.items()}
    for name in draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=3)):
        data[name] = draw(junk)
    return data


TABLES = [
    Supporter, Signature, OutboundEmail, ConsentRecord, Verification, AuditEvent,
    OptOutDeclaration, OptOutLocation, get_user_model(), EmailAddress,
]  # fmt: skip


def _count_of(table) -> str:
    name = connection.ops.quote_name(table._meta.db_table)
    return f"(SELECT COUNT(*) FROM {name})"  # noqa: S608 (a model's table, never input)


COUNTS_SQL = "SELECT " + ", ".join(_count_of(table) for table in TABLES)


def counts() -> dict[str, int]:
    """How many rows every table a public form can write holds (in one query: it runs a few
    times per example)."""
    with connection.cursor() as cursor:
        cursor.execute(COUNTS_SQL)
        row = cursor.fetchone()
    return {table.__name__: n for table, n in zip(TABLES, row, strict=True)}


def grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def assert_no_duplicate_people() -> None:
    """One supporter per compared address, one account per address, one signature each."""
    assert not Supporter.objects.values("email_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not (
        get_user_model().objects.exclude(email="").values("email").annotate(n=Count("id"))
    ).filter(n__gt=1)
    lowered = Counter(
        email.casefold() for email in EmailAddress.objects.values_list("email", flat=True)
    )
    assert all(n == 1 for n in lowered.values()), lowered
    assert not (
        Signature.objects.values("campaign", "supporter").annotate(n=Count("id")).filter(n__gt=1)
    )


def has_nul(data: dict) -> bool:
    values = [v for value in data.values() for v in (value if isinstance(value, list) else [value])]
    return any("\x00" in str(value) for value in values)


def shows_form_error(response) -> bool:
    html = response.content.decode()
    return any(
        mark in html for mark in ('class="form-errors"', 'class="field__error"', "errorlist")
    )


def shown(data: dict) -> str:
    return repr({name: str(value)[:80] for name, value in data.items()})


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    forms = ", ".join(f"{form}: {n} ({STORED[form]} stored)" for form, n in sorted(RUN.items()))
    print(f"\n[hostile] fuzzed {len(RUN)} forms, {sum(RUN.values())} examples ({forms})")


# --- The sign form -------------------------------------------------------------------------


sign_forms = filled_in(
    {
        "full_name": names,
        "email": emails,
        "field_of_work": fields_of_work,
        "country": countries,
        "known_for": optional(texts),
        "link": optional(web_links),
        "comment": optional(texts),
        "name_display": st.sampled_from(["full", "initial", "hidden"]),
        "agree": st.just("on"),
        "wants_updates": st.sampled_from(["", "on"]),
    }
)


def shout(email: str) -> str:
    """The address in capitals, where that is the same address: "ß" would become "SS", and
    "faß.de" and "fass.de" are different domains."""
    return email.upper() if email.isascii() else email


# How a person types their address again: the same, shouted, with spaces, with a final dot.
retyped = st.lists(
    st.sampled_from([str, shout, str.lower, lambda e: f"  {e}\t", lambda e: e + "."]),
    min_size=0,
    max_size=3,
)


@given(data=sign_forms, again=retyped)
@fuzz
def test_the_sign_form_never_fails_stores_nothing_invalid_and_nothing_twice(
    client, campaign, data, again
):
    with rolled_back():
        RUN["sign"] += 1
        before = counts()
        for retype in [str, *again]:
            attempt = data | {"email": retype(data["email"])}
            step = counts()
            response = client.post("/en/sign/", attempt)
            if has_nul(attempt):
                assert response.status_code == 400, shown(attempt)
            elif response.status_code == 200:
                assert shows_form_error(response), shown(attempt)
            else:
                assert response.status_code == 302, (response.status_code, shown(attempt))
            if response.status_code != 302:
                assert counts() == step, f"stored {grew(step, counts())} for {shown(attempt)}"
        added = grew(before, counts())
        STORED["sign"] += bool(added)
        assert added.get("Supporter", 0) <= 1 and added.get("Signature", 0) <= 1, added
        assert added.get("OutboundEmail", 0) <= 1, "more than one email within the interval"
        assert_no_duplicate_people()


def test_an_address_that_grows_when_compared_is_refused_not_a_500(client, campaign):
    """Found by hand after fuzzing: "ß" folded to "ss", so the compared form of a valid
    254-character address could pass the column's 254 characters (PostgreSQL refused the row:
    a 500). The domain is no longer folded ("faß" and "fass" are two domains, issue 15), so the
    compared form keeps the address's length; but written for DNS ("xn--" labels) this domain
    is longer than DNS allows, so nobody can receive mail there: the form refuses it, in the
    import too."""
    email = "a@" + ".".join(["ß" * 30] * 7) + ".org"
    assert len(email) <= 254 and len(email_key(email)) == len(email)
    assert not fits_dns(email.split("@")[1])
    data = {
        "full_name": "Ada Lovelace", "email": email, "field_of_work": "writer",
        "country": "FR", "name_display": "full", "agree": "on",
    }  # fmt: skip
    before = counts()

    response = client.post("/en/sign/", data)

    assert response.status_code == 200 and shows_form_error(response)
    assert counts() == before
    row = parse.parse_row({**data, "country": "FR"}, line=2)
    assert isinstance(row, dict) and "email" in row


@pytest.mark.parametrize("name", ["Straße " * 17, "Weiß-Strauß " * 10])
def test_a_name_that_grows_when_folded_for_search_fits_its_columns(client, campaign, name):
    """Found after the address above: the directory's search key of a long name with "ß"
    outgrew its 120 characters (a 500 on PostgreSQL)."""
    data = {
        "full_name": name, "email": "weiss@example.org", "field_of_work": "writer",
        "country": "DE", "name_display": "full", "agree": "on",
    }  # fmt: skip

    response = client.post("/en/sign/", data)

    assert response.status_code == 302
    supporter = Supporter.objects.get()
    for field in ("full_name", "search_name", "name_skeleton", "slug"):
        limit = Supporter._meta.get_field(field).max_length
        assert len(getattr(supporter, field)) <= limit, field


@given(email=mostly(emails), token=st.one_of(st.none(), junk), known=st.booleans())
@fuzz
def test_asking_for_a_new_link_never_fails_and_writes_to_no_one_else(
    client, campaign, email, token, known
):
    with rolled_back():
        RUN["new link"] += 1
        pending = SignatureFactory(
            campaign=campaign, supporter=SupporterFactory(email="ada@example.org")
        )
        data = {"email": email} if token is None else {"token": token}
        if known and token is None:
            data["email"] = "ADA@example.org"
        before = counts()
        response = client.post("/en/sign/new-link/", data)
        assert response.status_code in (302, 400), (response.status_code, shown(data))
        added = grew(before, counts())
        assert set(added) <= {"OutboundEmail"} and added.get("OutboundEmail", 0) <= 1, added
        STORED["new link"] += bool(added)
        if added:
            email_row = OutboundEmail.objects.latest("id")
            assert email_key(email_row.recipient) == pending.supporter.email_key


# --- The directory, the API's supporter search, the news pages ------------------------------


@given(
    q=optional(texts),
    field=optional(fields_of_work),
    country=optional(countries),
    verified=optional(st.sampled_from(["on", "1", "yes"])),
    after=optional(st.sampled_from(["MjAyNi0wMS0wMXwx", "x"])),
)
@fuzz
def test_the_directory_filters_never_fail(client, campaign, q, field, country, verified, after):
    with rolled_back():
        RUN["directory filters"] += 1
        params = {"q": q, "field": field, "country": country, "verified": verified, "after": after}
        response = client.get("/en/supporters/", params)
        # 414: the URL is too long (checked before NUL bytes)
        allowed = (400, 414) if has_nul(params) else (200, 414)
        assert response.status_code in allowed, shown(params)


@given(
    q=optional(texts),
    field=optional(fields_of_work),
    country=optional(countries),
    cursor=optional(st.just("abc")),
    limit=optional(st.integers(-5, 500).map(str)),
    verified=optional(st.sampled_from(["true", "false"])),
)
@fuzz
def test_the_api_supporter_search_never_fails(
    client, campaign, q, field, country, cursor, limit, verified
):
    with rolled_back():
        RUN["API supporter search"] += 1
        params = {
            "q": q, "field": field, "country": country, "cursor": cursor, "limit": limit,
            "verified": verified,
        }  # fmt: skip
        response = client.get("/api/v1/supporters", {k: v for k, v in params.items() if v})
        assert response.status_code in (200, 400, 414, 422), (response.status_code, shown(params))
        assert response["Content-Type"].startswith("application/json")


@given(after=junk, slug=junk)
@fuzz
def test_the_news_pages_never_fail(client, campaign, after, slug):
    with rolled_back():
        RUN["news pages"] += 1
        listing = client.get("/en/news/", {"after": after})
        assert listing.status_code in ((400, 414) if "\x00" in after else (200, 414))
        detail = client.get(f"/en/news/{quote(slug, safe='')}/")
        assert detail.status_code in (400, 404, 414), detail.status_code


# --- A signatory's account ------------------------------------------------------------------


profile_forms = filled_in(
    {
        "full_name": names,
        "name_display": st.sampled_from(["full", "initial", "hidden"]),
        "field_of_work": fields_of_work,
        "other_fields": st.lists(fields_of_work, max_size=3),
        "country": countries,
        "known_for": optional(texts),
        "bio": optional(texts),
        "comment": optional(texts),
        "isni": optional(st.sampled_from(["0000 0001 2103 2683", "0000000121032683"])),
        "ipi": optional(st.sampled_from(["00052210040", "00087038166"])),
        "imdb_id": optional(st.sampled_from(["nm0424060", "https://www.imdb.com/name/nm0424060/"])),
        "musicbrainz_id": optional(st.just("b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d")),
        "wikidata_id": optional(st.sampled_from(["Q34436", "https://www.wikidata.org/wiki/Q42"])),
        **{f"link_{n}": optional(web_links) for n in range(1, 6)},
    }
)


def account_state(supporter: Supporter) -> dict:
    supporter.refresh_from_db()
    signature = supporter.signatures.get()
    return model_to_dict(supporter) | {"comment": signature.comment}


@given(data=profile_forms)
@fuzz
def test_the_profile_form_never_fails_and_changes_nothing_when_invalid(client, member, data):
    with rolled_back():
        RUN["profile"] += 1
        before, rows = account_state(member), counts()
        response = client.post("/en/account/", data)
        if has_nul(data):
            assert response.status_code == 400
        elif response.status_code == 200:
            assert shows_form_error(response), shown(data)
        else:
            assert response.status_code == 302, (response.status_code, shown(data))
        if response.status_code != 302:
            assert account_state(member) == before, shown(data)
            assert counts() == rows
        else:
            STORED["profile"] += 1
            assert len(Supporter.objects.get(pk=member.pk).links) <= 5
            assert set(grew(rows, counts())) <= {"AuditEvent", "Verification", "ConsentRecord"}
        assert_no_duplicate_people()


@pytest.fixture
def unverified_member(member) -> Supporter:
    Supporter.objects.filter(pk=member.pk).update(verified_at=None, verification_method="")
    member.refresh_from_db()
    return member


@given(page_url=mostly(web_links))
@fuzz
def test_the_link_back_request_never_fails_and_stores_only_valid_addresses(
    client, unverified_member, page_url
):
    with rolled_back():
        RUN["verification link-back"] += 1
        before = counts()
        response = client.post("/en/account/verify/link/", {"page_url": page_url})
        added = grew(before, counts())
        if has_nul({"page_url": page_url}):
            assert response.status_code == 400
        elif response.status_code == 200:
            assert shows_form_error(response), page_url[:80]
        else:
            assert response.status_code == 302, response.status_code
        if response.status_code != 302:
            assert not added, added
        else:
            STORED["verification link-back"] += bool(added)
            assert added.get("Verification", 0) <= 1 and set(added) <= {
                "Verification",
                "AuditEvent",
            }


review_forms = filled_in(
    {
        "message": st.one_of(plain.filter(str.strip), hostile),
        "evidence_links": st.lists(web_links, max_size=3).map("\n".join),
    }
)


@given(data=review_forms)
@fuzz
def test_the_review_request_never_fails_and_stores_nothing_invalid(client, unverified_member, data):
    with rolled_back():
        RUN["verification review request"] += 1
        before = counts()
        response = client.post("/en/account/verify/review/", data)
        added = grew(before, counts())
        if has_nul(data):
            assert response.status_code == 400
        else:
            assert response.status_code in (200, 302), (response.status_code, shown(data))
        if response.status_code != 302:
            assert not added, added
        else:
            STORED["verification review request"] += bool(added)
            assert added.get("Verification", 0) <= 1 and set(added) <= {
                "Verification",
                "AuditEvent",
            }


places = st.one_of(
    st.sampled_from(["example.org", "https://example.org/portfolio/", "shop.example/art/"]),
    st.from_regex(r"\Ahttps://[a-z]{1,12}\.example/[a-z/]{0,20}\Z"),
)


declarations = filled_in(
    {
        "locations": st.lists(places, min_size=1, max_size=4).map("\n".join),
        "licensing_url": optional(web_links),
        "confirm": st.just("on"),
    }
)


@given(data=declarations, another=mostly(places))
@fuzz
def test_the_opt_out_declaration_never_fails_and_stores_nothing_invalid(
    client, member, data, another
):
    with rolled_back():
        RUN["opt-out declaration and added place"] += 1
        before = counts()
        response = client.post("/en/account/opt-out/", data)
        if has_nul(data):
            assert response.status_code == 400
        else:
            assert response.status_code in (200, 302), (response.status_code, shown(data))
        declarations = OptOutDeclaration.objects.filter(supporter=member).count()
        if response.status_code != 302:
            assert not grew(before, counts()), shown(data)
            return
        assert declarations == 1
        STORED["opt-out declaration and added place"] += 1
        places_before = OptOutLocation.objects.count()
        added = client.post("/en/account/opt-out/add/", {"url": another})
        assert added.status_code in (200, 302, 400), added.status_code
        if added.status_code != 302:
            assert OptOutLocation.objects.count() == places_before
        assert OptOutLocation.objects.count() <= places_before + 1


# --- Unsubscribing, logging in by code, signing up ------------------------------------------


@given(
    mangle=st.one_of(st.just("keep"), st.just("flip"), junk), one_click=mostly(st.just("One-Click"))
)
@fuzz
def test_the_unsubscribe_link_never_fails_and_only_its_own_token_works(
    client, campaign, mangle, one_click
):
    with rolled_back():
        RUN["unsubscribe"] += 1
        signature = SignatureFactory(campaign=campaign, confirmed=True, wants_updates=True)
        real = make_unsubscribe_token(signature)
        if mangle == "keep":
            token = real
        elif mangle == "flip":
            token = real[:-1] + ("A" if real[-1] != "A" else "B")
        else:
            token = mangle
        response = client.post(
            f"/en/updates/unsubscribe/{quote(token, safe='')}/", {"List-Unsubscribe": one_click}
        )
        assert response.status_code in (200, 400, 404, 414), response.status_code
        signature.refresh_from_db()
        if token != real or "\x00" in one_click:  # a NUL byte is refused before the view
            assert response.status_code in (400, 404, 414), response.status_code
            assert signature.wants_updates and signature.updates_unsubscribed_at is None
        else:
            STORED["unsubscribe"] += 1
            assert response.status_code == 200 and not signature.wants_updates


@given(email=mostly(st.one_of(emails, st.just("Nina@example.org"))), code=junk)
@fuzz
def test_logging_in_by_code_never_fails_and_a_guessed_code_never_logs_in(
    client, member, email, code
):
    with rolled_back():
        RUN["login by code"] += 1
        client.logout()
        before = counts()
        asked = client.post("/en/accounts/login/code/", {"email": email})
        assert asked.status_code in (200, 302, 400), asked.status_code
        confirmed = client.post("/en/accounts/login/code/confirm/", {"code": code})
        assert confirmed.status_code in (200, 302, 400), confirmed.status_code
        assert "_auth_user_id" not in client.session, f"logged in with {code!r}"
        assert set(grew(before, counts())) <= {"OutboundEmail"}


@given(email=mostly(emails), again=retyped)
@fuzz
def test_signing_up_never_fails_and_never_makes_two_accounts(client, campaign, email, again):
    with rolled_back():
        RUN["account sign-up"] += 1
        before = counts()
        for retype in [str, *again]:
            client.logout()
            response = client.post("/en/accounts/signup/", {"email": retype(email)})
            assert response.status_code in (200, 302, 400), response.status_code
        added = grew(before, counts())
        STORED["account sign-up"] += bool(added.get("User"))
        assert added.get("User", 0) <= 1 and added.get("EmailAddress", 0) <= 1, added
        assert_no_duplicate_people()


# --- The CSV import ------------------------------------------------------------------------

HEADINGS = {
    "email": ["email", "E-mail", "Email Address"],
    "full_name": ["full_name", "Name", "Full Name"],
    "field_of_work": ["field_of_work", "field"],
    "country": ["country", "Country"],
    "known_for": ["known_for"],
    "link": ["link", "website"],
    "language": ["language"],
    "comment": ["comment"],
    "wants_updates": ["wants_updates", "consent"],
    "name_display": ["name_display"],
    "signed_at": ["signed_at", "date"],
}
CELLS = {
    "email": st.sampled_from([*SIGNER_EMAILS, "bo@example.org", "cy@example.org"]),
    "full_name": names,
    "field_of_work": st.sampled_from([*FieldOfWork.values, "Writer", "Écrivain·e"]),
    "country": st.sampled_from(["FR", "gb", "France", "Allemagne", "Japan"]),
    "known_for": optional(texts),
    "link": optional(web_links),
    "language": optional(st.sampled_from(["en", "fr", "French", "français"])),
    "comment": optional(texts),
    "wants_updates": optional(st.sampled_from(["yes", "no", "oui", "non", "x", "1"])),
    "name_display": optional(st.sampled_from(["full", "initial", "hidden"])),
    "signed_at": optional(
        st.sampled_from(["2026-03-14", "2026-03-14T10:00:00+01:00", "0001-01-01"])
    ),
}


@st.composite
def csv_files(draw) -> tuple[bytes, list[dict[str, str]]]:
    """A CSV file as an organiser might upload it (some columns optional, headings in any of
    their accepted forms, comma or semicolon), now and then with a line of raw junk."""
    optional_columns = draw(st.lists(st.sampled_from(parse.OPTIONAL_COLUMNS), unique=True))
    columns = [*parse.REQUIRED_COLUMNS, *optional_columns]
    columns = draw(st.permutations(columns))
    headings = [draw(st.sampled_from(HEADINGS[name])) for name in columns]
    delimiter = draw(st.sampled_from([",", ";"]))
    rows = draw(st.lists(filled_in({name: CELLS[name] for name in columns}), max_size=8))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headings)
    for row in rows:
        writer.writerow([row[name] for name in columns])
        if draw(st.integers(0, 9)) == 0:
            buffer.write(draw(spliced) + "\r\n")
    return buffer.getvalue().encode("utf-8"), rows


def run_import(campaign, text: str, *, ask_confirmation: bool) -> ImportJob:
    job = importer.start_import(
        campaign=campaign,
        file_name="fuzz.csv",
        text=text,
        source_label="Fuzzed file",
        ask_confirmation=ask_confirmation,
        run=False,
    )
    steps = 0
    while not job.is_finished:
        job = importer.import_step(job_id=job.pk, text=text, max_rows=3)
        steps += 1
        assert steps < 100, "the import does not finish"
    return job


def run_command(path, *, ask_confirmation: bool) -> int:
    """``manage.py import_signatures``: its exit status (0, or 2 when rows were refused)."""
    options = ["--ask-confirmation"] if ask_confirmation else []
    try:
        call_command("import_signatures", str(path), *options, stdout=io.StringIO())
    except CommandError as error:
        return error.returncode
    return 0


@given(upload=csv_files(), ask_confirmation=st.booleans())
@settings(parent=fuzz, max_examples=IMPORT_EXAMPLES)
def test_the_import_never_crashes_reports_bad_rows_takes_good_ones_and_is_idempotent(
    campaign, tmp_path, upload, ask_confirmation
):
    raw, _rows = upload
    with rolled_back():
        RUN["CSV import (service, then command)"] += 1
        before = counts()
        try:
            text = parse.decode_csv(raw)
            parse.read_header(text)
        except parse.ImportFileError:
            assert "\x00" in raw.decode("utf-8", "replace") or not raw.strip()
            return
        job = run_import(campaign, text, ask_confirmation=ask_confirmation)
        if job.status == ImportJob.Status.FAILED:
            assert job.failure and counts() == before, job.failure
            return
        assert job.status == ImportJob.Status.DONE
        assert job.processed_rows == job.total_rows
        outcomes = (
            job.created_count + job.updated_count + job.unchanged_count + job.error_count
            + job.duplicate_count + job.withdrawn_count
        )  # fmt: skip
        assert outcomes == job.processed_rows, vars(job)
        errors = ImportReportLine.objects.filter(job=job, outcome=ImportReportLine.Outcome.ERROR)
        assert errors.values("line").distinct().count() == job.error_count
        for line in errors:
            assert line.line >= 2 and line.field in parse.COLUMNS and line.reason, vars(line)
        STORED["CSV import (service, then command)"] += bool(job.created_count)
        _assert_good_rows_are_in(campaign, text)
        assert_no_duplicate_people()

        # The same file again, from the command line: nothing changes.
        after_first = counts()
        path = tmp_path / "again.csv"
        path.write_bytes(raw)
        status = run_command(path, ask_confirmation=ask_confirmation)
        again = ImportJob.objects.latest("id")
        assert (again.created_count, again.updated_count) == (0, 0), vars(again)
        assert (again.error_count, again.duplicate_count) == (job.error_count, job.duplicate_count)
        assert status == (2 if again.error_count + again.duplicate_count else 0)
        assert grew(after_first, counts()) == {"AuditEvent": 1}


def _assert_good_rows_are_in(campaign, text: str) -> None:
    """Every row that passes the row form, and is the first valid one of its address, signed
    (a refused row before it does not count: it claims no address)."""
    header = parse.read_header(text)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=header.delimiter)
    next(reader)
    claimed: set[str] = set()
    for line, cells in enumerate(reader, start=2):
        values = {name: cell for name, cell in zip(header.columns, cells, strict=False) if name}
        row = parse.parse_row(values, line=line) if cells else None
        if not isinstance(row, parse.ImportRow) or row.key in claimed:
            continue
        claimed.add(row.key)
        assert Signature.objects.filter(campaign=campaign, supporter__email_key=row.key).exists(), (
            f"line {line} is valid but was not imported"
        )


def test_a_good_row_is_not_lost_behind_a_refused_row_with_the_same_address(campaign):
    text = (
        "email,full_name,field_of_work,country\n"
        "ada@example.org,Ada Lovelace,writer,Atlantis\n"
        "ada@example.org,Ada Lovelace,writer,GB\n"
    )
    job = run_import(campaign, text, ask_confirmation=False)

    assert (job.error_count, job.created_count) == (1, 1)
    assert Signature.objects.filter(supporter__email_key="ada@example.org").exists()
