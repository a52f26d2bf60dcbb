"""Verified-artist badges: link-back proof from a page served on 127.0.0.1, organisers'
review, and the impersonation guard for famous names."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from campaign.audit import audit
from campaign.models import AuditEvent, Campaign, LaunchSupporter
from signatures import services
from signatures.models import Signature, Verification
from tests.backoffice import log_in_admin
from tests.factories import CampaignFactory, SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


class PageServer:
    """Serves ``pages[path] = (status, headers, body)`` on 127.0.0.1; records each request."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                server.requests.append(self.path)
                time.sleep(server.delay)
                status, headers, body = server.pages.get(self.path, (404, {}, b"missing"))
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8"} | headers
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, path: str, html: str, status: int = 200, **headers: str) -> str:
        self.pages[path] = (status, headers, html.encode())
        return self.base + path


@pytest.fixture
def pages(settings):
    settings.LINKCHECK_ALLOW_HTTP = True
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.LINKCHECK_TIMEOUT = 1
    server = PageServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.fixture
def artist(campaign):
    supporter = SupporterFactory(full_name="Nina Painter", field_of_work="visual-artist")
    SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    return supporter


def check(artist, url: str, capture) -> Verification:
    with capture(execute=True):
        services.request_link_back_check(supporter=artist, page_url=url)
    return artist.verifications.get()


def test_a_rel_me_link_back_verifies_and_the_badge_appears(
    client, artist, pages, django_capture_on_commit_callbacks
):
    url = pages.page(
        "/about", f'<p>Find me on <a rel="me" href="{services.profile_permalink(artist)}">x</a>'
    )

    verification = check(artist, url, django_capture_on_commit_callbacks)

    assert verification.status == Verification.Status.VERIFIED
    assert verification.decided_by is None
    artist.refresh_from_db()
    assert artist.is_verified and artist.verification_method == "link_back"
    html = client.get(f"/en/supporters/{artist.slug}/").content.decode()
    assert "Verified artist" in html
    assert "by a link back from a page the artist controls" in html
    assert AuditEvent.objects.filter(action="verification.approved", supporter=artist).exists()


def test_the_meta_token_verifies(artist, pages, django_capture_on_commit_callbacks):
    token = services.link_back_token(artist)
    url = pages.page(
        "/home",
        f'<head><meta name="stealing-isnt-innovation-verification" content="{token}"></head>',
    )
    assert check(artist, url, django_capture_on_commit_callbacks).status == "verified"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda p, a: p.page(
                "/x", '<meta name="stealing-isnt-innovation-verification" content="not-the-token">'
            ),
            "wrong_token",
        ),
        (lambda p, a: p.page("/x", "<p>Nothing here</p>"), "no_link"),
        (lambda p, a: p.page("/x", "", 302, Location="/x"), "redirect_loop"),
        (lambda p, a: p.page("/x", "<p>" + "a" * 1_100_000), "too_large"),
    ],
    ids=["wrong-token", "no-link", "redirect-loop", "oversize"],
)
def test_a_failed_check_tells_the_supporter_why(
    client, artist, pages, django_capture_on_commit_callbacks, setup, reason
):
    verification = check(artist, setup(pages, artist), django_capture_on_commit_callbacks)

    assert verification.status == Verification.Status.REFUSED
    assert verification.reason == reason
    artist.refresh_from_db()
    assert not artist.is_verified
    client.force_login(services.ensure_account(supporter=artist) or artist.user)
    html = client.get("/en/account/").content.decode()
    assert "Refused" in html
    assert "Verified artist" not in client.get(f"/en/supporters/{artist.slug}/").content.decode()


def test_a_page_that_never_answers_times_out(
    artist, pages, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_TIMEOUT = 0.3
    pages.delay = 1.5
    url = pages.page("/slow", "<p>too late</p>")
    assert check(artist, url, django_capture_on_commit_callbacks).reason == "timeout"


def test_private_addresses_are_refused_without_an_allowlist(
    artist, pages, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_ALLOWED_NETWORKS = []
    url = pages.page("/about", f'<a rel="me" href="{services.profile_permalink(artist)}">x</a>')

    verification = check(artist, url, django_capture_on_commit_callbacks)

    assert verification.reason == "private_address"
    assert pages.requests == []


def test_running_the_check_twice_decides_once(artist, pages, django_capture_on_commit_callbacks):
    url = pages.page("/about", f'<a rel="me" href="{services.profile_permalink(artist)}">x</a>')
    verification = check(artist, url, django_capture_on_commit_callbacks)
    services.check_link_back(verification_id=verification.pk)
    assert AuditEvent.objects.filter(action="verification.approved").count() == 1
    assert len(pages.requests) == 1


def test_one_check_at_a_time(artist):
    services.request_link_back_check(supporter=artist, page_url="https://a.example/")
    with pytest.raises(services.VerificationError):
        services.request_link_back_check(supporter=artist, page_url="https://b.example/")


def test_the_account_page_explains_how_to_prove_it(client, artist):
    services.ensure_account(supporter=artist)
    client.force_login(artist.user)
    html = client.get("/en/account/").content.decode()
    assert services.link_back_token(artist) in html
    assert services.profile_permalink(artist) in html


# --- Review by organisers ------------------------------------------------------------------


@pytest.fixture
def organiser(django_user_model):
    return django_user_model.objects.create_superuser("org", "org@example.org", "pw-123456")


def test_organisers_approve_a_review_request_in_the_admin(client, artist, organiser):
    verification = services.request_review(
        supporter=artist, message="My label can confirm.", links=["https://label.example/"]
    )
    log_in_admin(client, organiser)

    client.post(
        "/admin/signatures/verification/",
        {"action": "approve", "_selected_action": [verification.pk]},
    )

    verification.refresh_from_db()
    assert verification.status == Verification.Status.VERIFIED
    assert verification.decided_by == organiser
    artist.refresh_from_db()
    assert artist.verification_method == "review"
    event = AuditEvent.objects.get(action="verification.approved")
    assert event.actor == organiser
    assert event.data["evidence"]["links"] == ["https://label.example/"]


def test_a_decided_request_cannot_be_decided_again(artist, organiser):
    verification = services.request_review(supporter=artist, message="Me.", links=[])
    services.decide_verification(verification=verification, approve=False, actor=organiser)
    with pytest.raises(services.VerificationError):
        services.decide_verification(verification=verification, approve=True, actor=organiser)


def test_audit_events_cannot_be_changed_or_deleted(artist):
    event = audit(action="test.event", supporter=artist)
    event.reason = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


# --- The impersonation guard -------------------------------------------------------------


@pytest.fixture
def launched(launched_campaign):
    return launched_campaign


def sign_as(client, name: str, email: str, capture) -> Signature:
    with capture(execute=True):
        client.post(
            "/en/sign/",
            {
                "full_name": name,
                "email": email,
                "field_of_work": "actor",
                "country": "US",
                "name_display": "full",
                "agree": "on",
            },
        )
    return Signature.objects.get(supporter__email=email)


@pytest.mark.parametrize(
    "name",
    [
        "Scarlett Johansson",
        "Scarlett J\u043ehansson",  # Cyrillic o
        "Sc\u0430rlett Johansson",  # Cyrillic a
        "scarlett  JOHANSSON",
        "Scarlétt Johansson",  # an accent where there is none
        "Cate Blanchétt",
        "Joseph Gordon Levitt",
        "R E M",
    ],
)
def test_names_confusable_with_a_launch_supporter_are_held(
    client, launched, name, django_capture_on_commit_callbacks
):
    signature = sign_as(client, name, "someone@example.org", django_capture_on_commit_callbacks)
    assert signature.moderation == Signature.Moderation.HELD
    assert AuditEvent.objects.filter(action="signature.held").exists()


def test_a_launch_supporter_added_while_people_sign_is_protected_at_once(
    client, launched, django_capture_on_commit_callbacks
):
    # The folded launch names are kept per process; a changed list is folded again.
    capture = django_capture_on_commit_callbacks
    before = sign_as(client, "grace  HOPPER", "early@example.org", capture)
    LaunchSupporter.objects.create(
        campaign=launched, position=99, name="Grace Hopper", field_of_work="writer"
    )
    after = sign_as(client, "Gr\u0430ce Hopper", "late@example.org", capture)

    assert before.moderation == Signature.Moderation.OK
    assert after.moderation == Signature.Moderation.HELD
    assert after.hold_reason == "Name confusable with Grace Hopper"


def test_a_famous_name_with_invisible_characters_is_refused_outright(
    client, launched, django_capture_on_commit_callbacks
):
    response = client.post(
        "/en/sign/",
        {
            "full_name": "Scarlett Johans\u200bson",
            "email": "z@example.org",
            "field_of_work": "actor",
            "country": "US",
            "name_display": "full",
            "agree": "on",
        },
    )
    assert "Remove the invisible characters" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_held_signature_is_never_shown_until_organisers_decide(
    client, launched, organiser, django_capture_on_commit_callbacks
):
    signature = sign_as(
        client, "Scarlett J\u043ehansson", "fake@example.org", django_capture_on_commit_callbacks
    )
    confirm_path = "/en/sign/confirm/" + services.signing.tokens.make_confirm_token(signature) + "/"
    with django_capture_on_commit_callbacks(execute=True):
        thanks = client.get(confirm_path).content.decode()

    assert "organisers will review your signature" in thanks
    for path in ["/en/", "/en/supporters/", "/en/supporters/?q=scarlett"]:
        assert "Johansson" not in client.get(path).content.decode().split("Among the first")[0]
    assert Campaign.objects.get().signature_count == 0

    review = services.request_review(
        supporter=signature.supporter, message="It is really me.", links=[]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_verification(verification=review, approve=True, actor=organiser)

    signature.refresh_from_db()
    assert signature.moderation == Signature.Moderation.OK
    assert "Scarlett J\u043ehansson" in client.get("/en/supporters/").content.decode()
    assert Campaign.objects.get().signature_count == 1


def test_names_confusable_with_a_verified_supporter_are_held(
    client, campaign, django_capture_on_commit_callbacks
):
    real = SupporterFactory(full_name="Nina Painter", verified_at=timezone.now())
    SignatureFactory(campaign=campaign, supporter=real, confirmed=True)
    signature = sign_as(
        client, "N\u0456na Painter", "copy@example.org", django_capture_on_commit_callbacks
    )
    assert signature.moderation == Signature.Moderation.HELD


def test_ordinary_names_are_not_held(client, launched, django_capture_on_commit_callbacks):
    for name, email in [("Kate Blanchard", "k@example.org"), ("Billy Morgan", "b@example.org")]:
        signature = sign_as(client, name, email, django_capture_on_commit_callbacks)
        assert signature.moderation == Signature.Moderation.OK


def test_a_bad_page_address_is_refused_next_to_its_field(client, artist):
    services.ensure_account(supporter=artist)
    client.force_login(artist.user)

    response = client.post("/en/account/verify/link/", {"page_url": "javascript:alert(1)"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_page_url_error"' in html
    assert 'value="javascript:alert(1)"' in html
    assert not artist.verifications.exists()


def test_an_empty_review_request_is_refused(client, artist):
    services.ensure_account(supporter=artist)
    client.force_login(artist.user)
    response = client.post("/en/account/verify/review/", {"message": "  "})
    assert 'id="id_message_error"' in response.content.decode()
    assert not artist.verifications.exists()
