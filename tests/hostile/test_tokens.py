"""Every signed link, attacked: tampered with, expired, replayed.

The site's own links are Django ``signing`` tokens without a table: confirm (expires after
``SIGNATURE_CONFIRM_DAYS``, dies with a withdrawal), withdraw and unsubscribe (never expire).
django-allauth adds the login code (kept in the session) and the address-confirmation link of
its sign-up; the link-back proof is an HMAC a supporter puts on their own page; pagination
cursors are opaque but unsigned. Whatever is done to a link, the answer is a page that says
the link does not work (4xx), never a 500, and nothing changes: not the signature, not the
outbox, not the audit trail.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from unittest import mock
from urllib.parse import quote

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import signing
from django.test import Client
from django.utils import timezone

from campaign.models import AuditEvent, OutboundEmail
from consent.models import ConsentRecord
from signatures import tokens
from signatures.models import Signature
from signatures.services import delete_supporter, link_back_token, withdraw_signature_of
from tests.backoffice import make_person
from tests.factories import SignatureFactory, SupporterFactory
from updates import tokens as update_tokens

from .conftest import signatory

pytestmark = pytest.mark.django_db

CASES: Counter[str] = Counter()
DAY = 86_400


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(
        f"\n[hostile] {sum(CASES.values())} token cases "
        f"({', '.join(f'{kind}: {n}' for kind, n in sorted(CASES.items()))})"
    )


@contextmanager
def issued_ago(seconds: float):
    """Make tokens as if it were ``seconds`` ago (``signing`` time-stamps with time.time())."""
    with mock.patch("time.time", return_value=time.time() - seconds):
        yield


@contextmanager
def later(seconds: float):
    """Time travel: ``seconds`` from now, for code that reads time.time()."""
    real = time.time
    with mock.patch("time.time", side_effect=lambda: real() + seconds):
        yield


# --- The site's signed links ---------------------------------------------------------------


class Kind:
    """One kind of link: how it is made, where it goes, how it is used."""

    def __init__(self, name: str, make: Callable, path: str, method: str, salt: str) -> None:
        self.name, self.make, self.path, self.method, self.salt = name, make, path, method, salt

    def use(self, client: Client, token: str):
        url = self.path.format(quote(token, safe=""))
        if self.method == "post":
            return client.post(url, {"List-Unsubscribe": "One-Click"})
        return client.get(url)


KINDS = {
    kind.name: kind
    for kind in [
        Kind(
            "confirm", tokens.make_confirm_token, "/en/sign/confirm/{}/", "get", tokens.CONFIRM_SALT
        ),
        Kind(
            "withdraw",
            tokens.make_withdraw_token,
            "/en/sign/withdraw/{}/",
            "post",
            tokens.WITHDRAW_SALT,
        ),
        Kind(
            "unsubscribe",
            update_tokens.make_unsubscribe_token,
            "/en/updates/unsubscribe/{}/",
            "post",
            update_tokens.UNSUBSCRIBE_SALT,
        ),
    ]
}
INVALID_PAGE = "This link does not work"


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


def _payload_of(token: str) -> str:
    return token.split(":", 1)[0]


TAMPERINGS: dict[str, Callable[[Kind, Signature, Signature], str]] = {
    "signature flipped": lambda k, s, o: k.make(s)[:-1] + _flip(k.make(s)[-1]),
    "payload flipped": lambda k, s, o: _flip(k.make(s)[0]) + k.make(s)[1:],
    "truncated": lambda k, s, o: k.make(s)[:-6],
    "signature cut off": lambda k, s, o: k.make(s).rsplit(":", 1)[0],
    "another signature's payload": lambda k, s, o: (
        _payload_of(k.make(o)) + k.make(s)[len(_payload_of(k.make(s))) :]
    ),
    "signed by another site": lambda k, s, o: signing.dumps(
        [s.pk], salt=k.salt, key="another-site's-secret"
    ),
    "unsigned payload": lambda k, s, o: (
        base64.urlsafe_b64encode(json.dumps([s.pk]).encode()).decode().rstrip("=")
    ),
    "garbage": lambda k, s, o: "not-a-token",
    "one character": lambda k, s, o: "-",
    "unicode": lambda k, s, o: "é" + k.make(s),
    "three thousand characters": lambda k, s, o: k.make(s) * 40,
    **{
        f"a {name} link": (lambda kind: lambda k, s, o: kind.make(s))(KINDS[name]) for name in KINDS
    },
}
# Genuinely signed (someone holding the secret), with the right salt, but nonsense inside.
ODD_PAYLOADS = [[True], [2**70], [-1], [0], ["1"], [], {}, "x", [1.5], None, [[1]], [1, 2, 3]]


def state_of(signature: Signature) -> tuple:
    """What a link could change: the signature's row and the rows a change would add."""
    row = Signature.objects.filter(pk=signature.pk).values(
        "status", "confirmed_at", "withdrawn_at", "wants_updates", "updates_unsubscribed_at"
    )
    tables = (OutboundEmail, AuditEvent, ConsentRecord)
    return (list(row), *(table.objects.count() for table in tables))


@pytest.fixture
def target(campaign) -> tuple[Signature, Signature]:
    """A pending signature that asked for updates (every link would change it), and another."""
    signature = SignatureFactory(campaign=campaign, wants_updates=True)
    other = SignatureFactory(campaign=campaign, wants_updates=True)
    return signature, other


def assert_refused(response, where: str, status: int = 400) -> None:
    assert response.status_code == status, f"{where}: {response.status_code}"
    assert INVALID_PAGE in response.content.decode(), where


@pytest.mark.parametrize(
    ("kind", "tampering"),
    [
        (kind, tampering)
        for kind in KINDS
        for tampering in TAMPERINGS
        if tampering != f"a {kind} link"
    ],
)
def test_a_tampered_link_is_refused_and_changes_nothing(client, target, kind, tampering):
    signature, other = target
    link = KINDS[kind]
    token = TAMPERINGS[tampering](link, signature, other)
    before = state_of(signature), state_of(other)
    CASES[f"{kind} tampered"] += 1

    response = link.use(client, token)

    assert_refused(response, f"{kind}, {tampering}")
    assert (state_of(signature), state_of(other)) == before
    if link.method == "post":  # the page before the button refuses it too
        assert_refused(client.get(link.path.format(quote(token, safe=""))), f"{kind} GET")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("payload", ODD_PAYLOADS, ids=repr)
def test_a_genuinely_signed_nonsense_payload_is_refused(client, target, kind, payload):
    signature, _other = target
    link = KINDS[kind]
    before = state_of(signature)
    CASES[f"{kind} odd payload"] += 1

    response = link.use(client, signing.dumps(payload, salt=link.salt))

    assert_refused(response, f"{kind} signing {payload!r}")
    assert state_of(signature) == before


# --- Expiry ----------------------------------------------------------------------------------


def test_a_confirmation_link_expires_and_offers_a_new_one(client, target, settings):
    signature, _other = target
    days = settings.SIGNATURE_CONFIRM_DAYS
    with issued_ago(days * DAY + 60):
        old = tokens.make_confirm_token(signature)
    with issued_ago(days * DAY - 60):
        recent = tokens.make_confirm_token(signature)
    before = state_of(signature)
    CASES["confirm expiry"] += 3

    expired = client.get(f"/en/sign/confirm/{old}/")
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    assert state_of(signature) == before
    tampered = client.get(f"/en/sign/confirm/{old[:-1]}{_flip(old[-1])}/")
    assert_refused(tampered, "an expired link, tampered")

    assert client.get(f"/en/sign/confirm/{recent}/").status_code == 200
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED


def test_an_expired_link_of_a_withdrawn_signature_sends_nothing(client, target):
    signature, _other = target
    with issued_ago(30 * DAY):
        old = tokens.make_confirm_token(signature)
    withdraw_signature_of(signature_id=signature.pk)
    before = state_of(signature)
    CASES["confirm expiry"] += 2

    assert client.get(f"/en/sign/confirm/{old}/").status_code in (400, 410)
    resent = client.post("/en/sign/new-link/", {"token": old})

    assert resent.status_code == 302
    assert state_of(signature) == before, "a withdrawn signature was sent a new link"


@pytest.mark.parametrize("kind", ["withdraw", "unsubscribe"])
def test_withdrawal_and_unsubscribe_links_never_expire(client, target, kind):
    signature, _other = target
    Signature.objects.filter(pk=signature.pk).update(
        status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    with issued_ago(3 * 365 * DAY):
        token = KINDS[kind].make(signature)
    CASES[f"{kind} expiry"] += 1

    page = client.get(KINDS[kind].path.format(token))
    response = KINDS[kind].use(client, token)

    assert page.status_code == response.status_code == 200
    signature.refresh_from_db()
    if kind == "withdraw":
        assert signature.status == Signature.Status.WITHDRAWN
    else:
        assert not signature.wants_updates and signature.updates_unsubscribed_at


# --- Replay ----------------------------------------------------------------------------------


def test_confirming_twice_is_harmless(client, target):
    signature, _other = target
    link = f"/en/sign/confirm/{tokens.make_confirm_token(signature)}/"
    assert client.get(link).status_code == 200
    before = state_of(signature)
    CASES["confirm replay"] += 1

    again = client.get(link)

    assert again.status_code == 200
    assert "You had already confirmed this signature" in again.content.decode()
    assert state_of(signature) == before


@pytest.mark.parametrize("confirmed_first", [False, True], ids=["pending", "confirmed"])
def test_a_confirmation_link_is_refused_after_a_withdrawal(client, target, confirmed_first):
    signature, _other = target
    link = f"/en/sign/confirm/{tokens.make_confirm_token(signature)}/"
    if confirmed_first:
        assert client.get(link).status_code == 200
    withdraw = KINDS["withdraw"].use(client, tokens.make_withdraw_token(signature))
    assert withdraw.status_code == 200
    before = state_of(signature)
    CASES["confirm replay"] += 1

    assert_refused(client.get(link), "confirming a withdrawn signature")
    assert state_of(signature) == before
    assert Signature.objects.get(pk=signature.pk).status == Signature.Status.WITHDRAWN


def sign_again(client: Client, signature: Signature) -> str:
    """The signer signs again after withdrawing; returns the new confirmation link."""
    supporter = signature.supporter
    data = {
        "full_name": supporter.full_name,
        "email": supporter.email,
        "field_of_work": "writer",
        "country": "FR",
        "name_display": "full",
        "agree": "on",
    }
    Signature.objects.filter(pk=signature.pk).update(last_email_at=None)
    assert client.post("/en/sign/", data).status_code == 302
    body = OutboundEmail.objects.filter(recipient=supporter.email).latest("id").text_body
    return re.search(r"https?://[^/\s]+(/en/sign/confirm/\S+)", body).group(1)


def test_a_link_issued_before_a_withdrawal_stays_dead_after_signing_again(client, target):
    signature, _other = target
    old = f"/en/sign/confirm/{tokens.make_confirm_token(signature)}/"
    withdraw_signature_of(signature_id=signature.pk)
    new = sign_again(client, signature)
    before = state_of(signature)
    CASES["confirm replay"] += 2

    assert_refused(client.get(old), "the old link, the new signature pending")
    assert state_of(signature) == before

    assert client.get(new).status_code == 200
    confirmed = state_of(signature)
    assert Signature.objects.get(pk=signature.pk).status == Signature.Status.CONFIRMED
    assert_refused(client.get(old), "the old link, the new signature confirmed")
    assert state_of(signature) == confirmed


@pytest.mark.parametrize("kind", ["withdraw", "unsubscribe"])
def test_withdrawing_or_unsubscribing_twice_is_harmless(client, target, kind):
    signature, _other = target
    token = KINDS[kind].make(signature)
    assert KINDS[kind].use(client, token).status_code == 200
    before = state_of(signature)
    CASES[f"{kind} replay"] += 1

    again = KINDS[kind].use(client, token)

    assert again.status_code == 200
    assert state_of(signature) == before


@pytest.mark.parametrize("kind", KINDS)
def test_links_of_an_erased_signatory_are_refused(client, target, kind):
    signature, _other = target
    token = KINDS[kind].make(signature)
    delete_supporter(supporter=signature.supporter)
    CASES[f"{kind} after erasure"] += 1

    assert_refused(KINDS[kind].use(client, token), f"{kind} after erasure")
    assert not Signature.objects.filter(pk=signature.pk).exists()


# --- django-allauth's login code and address confirmation -------------------------------------


def login_code_for(client: Client, email: str) -> str:
    assert client.post("/en/accounts/login/code/", {"email": email}).status_code == 302
    body = OutboundEmail.objects.filter(recipient=email).latest("id").text_body
    return re.findall(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", body, flags=re.MULTILINE)[0]


def enter(client: Client, code: str):
    return client.post("/en/accounts/login/code/confirm/", {"code": code})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def member(campaign):
    return signatory(campaign, email="nina@example.org", full_name="Nina Painter")


def test_a_login_code_is_tried_three_times_at_most(client, member):
    code = login_code_for(client, member.email)
    CASES["login code guessed"] += 1
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert enter(client, guess).status_code in (200, 302)
    enter(client, code)
    assert not logged_in(client), "the right code worked after three wrong guesses"


def test_a_login_code_expires(client, member):
    code = login_code_for(client, member.email)
    CASES["login code expired"] += 1
    with later(allauth_settings.LOGIN_BY_CODE_TIMEOUT + 5):
        enter(client, code)
    assert not logged_in(client)


def test_a_login_code_works_once_and_in_its_own_session_only(client, member):
    code = login_code_for(client, member.email)
    CASES["login code replayed"] += 2

    stranger = Client()
    enter(stranger, code)
    assert not logged_in(stranger), "a code worked in another browser"

    enter(client, code)
    assert logged_in(client)
    client.logout()
    enter(client, code)
    assert not logged_in(client), "a used code worked again"


def test_an_address_confirmation_link_is_tamper_proof_expires_and_replays_harmlessly(
    client, campaign
):
    assert client.post("/en/accounts/signup/", {"email": "newcomer@example.org"}).status_code == 302
    body = OutboundEmail.objects.filter(recipient="newcomer@example.org").latest("id").text_body
    path = re.search(r"https?://[^/\s]+(/en/accounts/confirm-email/\S+)", body).group(1)
    key = path.rstrip("/").rsplit("/", 1)[1]
    address = EmailAddress.objects.get(email="newcomer@example.org")
    CASES["address confirmation"] += 4

    for forged in (key[:-1] + _flip(key[-1]), key[:-6], "garbage"):
        response = client.post(f"/en/accounts/confirm-email/{forged}/")
        assert response.status_code in (200, 302, 404)
        address.refresh_from_db()
        assert not address.verified, f"confirmed by {forged!r}"

    with later(allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS * DAY + 60):
        client.post(path)
    address.refresh_from_db()
    assert not address.verified, "an expired confirmation link worked"

    assert client.post(path).status_code in (200, 302)
    address.refresh_from_db()
    assert address.verified
    assert client.post(path).status_code in (200, 302, 404)  # again: harmless
    assert EmailAddress.objects.filter(email__iexact="newcomer@example.org").count() == 1


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_second_factor_code_works_once(client, campaign):
    organiser = make_person("Organiser", email="ines@coalition.example")
    code = totp_now(organiser.totp_secret)
    CASES["second factor replayed"] += 1
    passed = []
    for _attempt in range(2):
        client.logout()
        enter(client, login_code_for(client, organiser.email))
        assert not logged_in(client), "logged in without the second factor"
        client.post("/en/accounts/2fa/authenticate/", {"code": code})
        passed.append(logged_in(client))
    assert passed == [True, False]


# --- The link-back proof and the cursors ------------------------------------------------------


def test_the_link_back_proof_belongs_to_one_supporter_and_one_site(campaign, settings):
    one, two = SupporterFactory(), SupporterFactory()
    CASES["link-back proof"] += 2

    assert link_back_token(one) == link_back_token(one) != link_back_token(two)
    mine = link_back_token(one)
    settings.SECRET_KEY = "another-site's-secret-" + "x" * 40
    assert link_back_token(one) != mine


def _cursor(moment: str, pk: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment, pk]).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    _cursor("2026-01-01T00:00:00+00:00", 2**70),
    _cursor("2026-01-01T00:00:00+00:00", True),
    _cursor("0001-01-01T00:00:00+00:00", 1),
    _cursor("2026-01-01T00:00:00", 1),
    _cursor("9999-12-31T23:59:59-23:59", 1),
    _cursor("not a date", 1),
    "%%%",
    "e30",
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_forged_cursor_is_ignored_or_refused(client, organiser_client, cursor):
    CASES["forged cursors"] += 5
    for path in ("/en/supporters/", "/en/news/"):
        assert client.get(path, {"after": cursor}).status_code == 200, path
    for path in ("/organise/signatories/", "/organise/audit/"):
        assert organiser_client.get(path, {"after": cursor}).status_code == 200, path
    api = client.get("/api/v1/supporters", {"cursor": cursor})
    assert api.status_code in (200, 400, 422) and "json" in api["Content-Type"]
