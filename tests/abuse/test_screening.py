"""Quiet screening: a signature that trips the block list (address range, email domain, the
disposable-domains list, an exact address) or duplicates a confirmed one by canonical email is
stored and then rejected in the background task. The signer sees exactly what anyone else sees,
gets the same email, and never counts or shows. An allow entry overrides every block."""

from __future__ import annotations

import re

import pytest

from abuse import services
from abuse.models import ListEntry, SigningContext
from abuse.services import add_list_entry
from campaign.models import AuditEvent, Campaign
from signatures.models import Signature
from tests.factories import SignatureFactory, SupporterFactory
from tests.signatures.conftest import link_in

from .conftest import emails_to, signature_of

pytestmark = pytest.mark.django_db

NORMAL = {"email": "grace@example.org", "ip": "192.0.2.10", "full_name": "Grace Hopper"}


def block(kind: str, value: str) -> ListEntry:
    return add_list_entry(actor=None, kind=kind, verdict="block", value=value)


def allow(kind: str, value: str) -> ListEntry:
    return add_list_entry(actor=None, kind=kind, verdict="allow", value=value)


def _without_tokens(text: str, email: str, name: str) -> str:
    text = re.sub(r"/sign/(confirm|withdraw)/[^/\s\"<]+/", "/sign/\\1/TOKEN/", text)
    # The ledger receipt: each signer's own commitment, secret and signature reference.
    text = re.sub(r"\b[0-9a-f]{64}\b", "HEX", text)
    text = re.sub(r"signature:\d+", "signature:REF", text)
    return text.replace(email, "EMAIL").replace(name, "NAME")


@pytest.fixture
def visit(client, django_capture_on_commit_callbacks):
    """GET a page, running what it queues after commit (as a worker would)."""

    def get(path: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(path)

    return get


def journey(visit, sign, *, email: str, ip: str, full_name: str = "Ada Lovelace") -> dict:
    """Sign, confirm by the emailed link, and return what the person saw and received (their
    name, address and link tokens blanked, as they differ from one person to the next)."""
    signed = sign(email=email, ip=ip, full_name=full_name)
    check_page = visit(signed["Location"])
    message = emails_to(email)[0]
    thanks = visit(link_in(message, "confirm"))
    return {
        "status": signed.status_code,
        "location": signed["Location"],
        "check_page": _without_tokens(check_page.content.decode(), email, full_name),
        "email": (
            message.kind,
            message.subject,
            _without_tokens(message.text_body, email, full_name),
        ),
        "thanks": _without_tokens(thanks.content.decode(), email, full_name),
    }


def assert_silently_rejected(client, visit, campaign, sign, *, email, ip, rule):
    blocked = journey(visit, sign, email=email, ip=ip)
    normal = journey(visit, sign, **NORMAL)

    # The same pages and the same email as a normal signer.
    assert blocked == normal
    # Stored, confirmed, and rejected with the rule's name, by the site itself.
    signature = signature_of(email)
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.moderation == Signature.Moderation.REJECTED
    assert rule in signature.hold_reason
    event = AuditEvent.objects.get(action="abuse.signature_rejected", supporter=signature.supporter)
    assert event.actor is None and rule in event.reason
    # Never counted, never shown.
    assert Campaign.objects.get(pk=campaign.pk).signature_count == 1  # the normal signer only
    assert signature.supporter.full_name not in client.get("/en/supporters/").content.decode()
    profile = client.get(f"/en/supporters/{signature.supporter.slug}/")
    assert profile.status_code == 404
    assert signature_of(NORMAL["email"]).is_counted


@pytest.mark.parametrize(
    ("entry", "email", "ip", "rule"),
    [
        (("ip_range", "203.0.113.0/24"), "ada@example.org", "203.0.113.77", "203.0.113.0/24"),
        (("ip_range", "2001:db8::/32"), "ada@example.org", "2001:db8:5::1", "2001:db8::/32"),
        (("domain", "spam.example"), "ada@mail.spam.example", "198.51.100.1", "spam.example"),
        (("email", "ada.lovelace@gmail.com"), "adalovelace+x@gmail.com", "198.51.100.1", "address"),
        (None, "ada@mailinator.com", "198.51.100.1", "Disposable email domain mailinator.com"),
    ],
    ids=["ip-range", "ipv6-range", "domain", "exact-email", "disposable"],
)
def test_a_blocked_signature_is_rejected_without_a_word(
    client, visit, campaign, sign, entry, email, ip, rule
):
    if entry:
        block(*entry)
    assert_silently_rejected(client, visit, campaign, sign, email=email, ip=ip, rule=rule)


@pytest.mark.parametrize(
    ("blocks", "allows", "email", "ip"),
    [
        (
            [("ip_range", "203.0.113.0/24")],
            [("email", "ada@example.org")],
            "ada@example.org",
            "203.0.113.7",
        ),
        (
            [("domain", "example.org")],
            [("email", "ada@example.org")],
            "Ada@Example.org",
            "192.0.2.1",
        ),
        ([], [("domain", "mailinator.com")], "ada@mailinator.com", "192.0.2.1"),
        (
            [("email", "ada@example.org")],
            [("ip_range", "192.0.2.0/28")],
            "ada@example.org",
            "192.0.2.1",
        ),
    ],
    ids=["email-over-range", "email-over-domain", "domain-over-disposable", "range-over-email"],
)
def test_an_allow_entry_overrides_every_block(client, campaign, sign, blocks, allows, email, ip):
    for entry in blocks:
        block(*entry)
    for entry in allows:
        allow(*entry)
    sign(email=email, ip=ip)
    signature = Signature.objects.get()
    assert signature.moderation == Signature.Moderation.OK
    assert not AuditEvent.objects.filter(action="abuse.signature_rejected").exists()


def test_the_signing_context_is_kept_beside_the_signature(campaign, sign):
    sign(email="Ada.Lovelace+petition@GoogleMail.com", ip="203.0.113.77")
    context = SigningContext.objects.get()
    assert context.signature.supporter.email == "Ada.Lovelace+petition@googlemail.com"
    assert context.canonical_email == "adalovelace@gmail.com"
    assert context.email_domain == "googlemail.com"
    assert (context.ip, context.ip_range) == ("203.0.113.77", "203.0.113.0/24")
    assert context.screened_at is not None and context.verdict == ""


def test_a_duplicate_of_a_confirmed_signature_never_counts(visit, campaign, sign):
    original = journey(visit, sign, email="ada.lovelace@gmail.com", ip="192.0.2.1")
    again = journey(visit, sign, email="AdaLovelace+again@googlemail.com", ip="198.51.100.9")

    assert original["thanks"] == again["thanks"]  # the same page, nothing said
    first = signature_of("ada.lovelace@gmail.com")
    second = signature_of("AdaLovelace+again@googlemail.com")
    assert first.is_counted
    assert second.moderation == Signature.Moderation.REJECTED
    assert f"Duplicate of signature {first.pk}" in second.hold_reason
    assert Campaign.objects.get(pk=campaign.pk).signature_count == 1


def test_two_pending_spellings_the_first_confirmed_counts(visit, campaign, sign):
    sign(email="ada.lovelace@gmail.com", ip="192.0.2.1")
    sign(email="adalovelace@gmail.com", ip="192.0.2.2")
    later, earlier = emails_to("adalovelace@gmail.com")[0], emails_to("ada.lovelace@gmail.com")[0]
    visit(link_in(later, "confirm"))  # the second spelling confirms first
    visit(link_in(earlier, "confirm"))
    assert signature_of("adalovelace@gmail.com").is_counted
    assert signature_of("ada.lovelace@gmail.com").moderation == Signature.Moderation.REJECTED
    assert Campaign.objects.get(pk=campaign.pk).signature_count == 1


def test_different_people_at_unknown_domains_are_never_merged(campaign, sign):
    sign(email="ada+1@example.org", ip="192.0.2.1")
    sign(email="ada@example.org", ip="192.0.2.2")
    assert set(Signature.objects.values_list("moderation", flat=True)) == {"ok"}


def test_screening_twice_changes_nothing_twice(campaign, sign):
    block("domain", "spam.example")
    sign(email="ada@spam.example")
    signature = signature_of("ada@spam.example")
    for _ in range(2):
        services.screen_signature(signature_id=signature.pk)
    assert AuditEvent.objects.filter(action="abuse.signature_rejected").count() == 1


def test_an_organisers_decision_stands_when_screening_runs_again(campaign, sign):
    block("domain", "spam.example")
    sign(email="ada@spam.example")
    signature = signature_of("ada@spam.example")
    Signature.objects.filter(pk=signature.pk).update(moderation="ok", hold_reason="")  # released
    services.screen_signature(signature_id=signature.pk)
    assert signature_of("ada@spam.example").moderation == Signature.Moderation.OK


def test_a_list_entry_applies_only_to_later_signatures(campaign, sign):
    sign(email="ada@spam.example")
    block("domain", "spam.example")
    services.screen_signature(signature_id=signature_of("ada@spam.example").pk)
    assert signature_of("ada@spam.example").moderation == Signature.Moderation.OK


def test_with_the_queue_down_the_context_is_kept_and_screened_later(campaign, sign, monkeypatch):
    from abuse import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.screen_signature, "delay", broker_down)
    block("ip_range", "203.0.113.0/24")
    response = sign(email="ada@example.org", ip="203.0.113.7")
    assert response.status_code == 302  # the signer never notices
    signature = signature_of("ada@example.org")
    context = SigningContext.objects.get()
    assert context.ip == "203.0.113.7" and context.screened_at is None
    assert signature.moderation == Signature.Moderation.OK

    assert services.screen_stragglers(older_than_seconds=0) == 1
    assert signature_of("ada@example.org").moderation == Signature.Moderation.REJECTED
    assert services.screen_stragglers(older_than_seconds=0) == 0


def test_a_signature_made_without_a_request_is_screened_by_its_email(campaign):
    block("domain", "spam.example")
    signature = SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(email="bot@spam.example")
    )
    services.screen_signature(signature_id=signature.pk)
    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.REJECTED
    assert SigningContext.objects.get().ip is None
