"""The abuse pages of the back office: Organisers only; limits and lists edited there apply at
once and are audited."""

from __future__ import annotations

import pytest

from abuse.models import ListEntry, RateLimit
from campaign import safeguards
from campaign.models import AuditEvent

from .conftest import SIGNER

pytestmark = pytest.mark.django_db

PAGES = [
    "/organise/abuse/",
    "/organise/abuse/lists/",
    "/organise/abuse/spikes/",
    "/organise/abuse/invalidations/",
]


@pytest.mark.parametrize("role", ["Moderator", "Viewer"])
def test_moderators_and_viewers_are_refused(client_as, campaign, role):
    who = client_as(role)
    for path in PAGES:
        assert who.get(path).status_code == 403, path
    assert who.post("/organise/abuse/switches/", {"read_only": "on"}).status_code == 403
    assert who.post("/organise/abuse/lists/", {"kind": "domain"}).status_code == 403
    assert "Safeguards" not in who.get("/organise/").content.decode()


def test_organisers_see_every_page_and_the_menu(client_as, campaign):
    organiser = client_as("Organiser")
    for path in PAGES:
        assert organiser.get(path).status_code == 200, path
    menu = organiser.get("/organise/").content.decode()
    for label in ("Safeguards", "Block lists", "Spike alerts", "Bulk invalidation"):
        assert f">{label}</a>" in menu


def limits_post(**changes) -> dict:
    data = {}
    for scope in ("sign", "resend", "login_code", "verification"):
        for per in ("ip", "email"):
            limit = safeguards.default_limit(scope, per)
            data[f"{scope}__{per}__limit"] = limit.limit
            data[f"{scope}__{per}__minutes"] = limit.window_seconds // 60
    data.update(changes)
    return data


def test_changing_a_limit_applies_at_once_and_is_audited(
    client_as, campaign, client, django_capture_on_commit_callbacks
):
    organiser = client_as("Organiser")
    page = organiser.get("/organise/abuse/").content.decode()
    assert 'name="sign__ip__limit"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser.post(
            "/organise/abuse/limits/", limits_post(sign__ip__limit=1, sign__ip__minutes=5)
        )
    assert response.status_code == 302
    assert RateLimit.objects.get().limit == 1  # only what changed is stored
    event = AuditEvent.objects.get(action="abuse.rate_limits_changed")
    assert event.data["sign:ip"]["after"] == [1, 300]

    client.logout()
    assert client.post("/en/sign/", SIGNER, REMOTE_ADDR="192.0.2.1").status_code == 302
    second = {**SIGNER, "email": "b@example.org"}
    assert client.post("/en/sign/", second, REMOTE_ADDR="192.0.2.1").status_code == 429


def test_a_bad_limit_is_refused_with_a_message(client_as, campaign):
    organiser = client_as("Organiser")
    response = organiser.post("/organise/abuse/limits/", limits_post(sign__ip__minutes=0))
    assert response.status_code == 400
    assert 'class="field__error"' in response.content.decode()
    assert not RateLimit.objects.exists()


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("ip_range", "203.0.113.77/24", "203.0.113.0/24"),
        ("ip_range", "2001:DB8::1/32", "2001:db8::/32"),
        ("domain", "@Spam.Example.", "spam.example"),
        ("domain", "googlemail.com", "gmail.com"),
        ("email", "Ada.Lovelace+x@gmail.com", "adalovelace@gmail.com"),
    ],
)
def test_list_entries_are_stored_normalised(client_as, campaign, kind, typed, stored):
    organiser = client_as("Organiser")
    response = organiser.post(
        "/organise/abuse/lists/", {"kind": kind, "verdict": "block", "value": typed}
    )
    assert response.status_code == 302
    entry = ListEntry.objects.get()
    assert (entry.kind, entry.value, entry.created_by) == (kind, stored, organiser.user)
    assert stored in organiser.get("/organise/abuse/lists/").content.decode()
    assert AuditEvent.objects.filter(action="abuse.list_entry_added").count() == 1


@pytest.mark.parametrize(
    ("kind", "typed"),
    [("ip_range", "203.0.113"), ("domain", "localhost"), ("email", "not-an-address")],
)
def test_a_bad_list_entry_is_refused(client_as, campaign, kind, typed):
    organiser = client_as("Organiser")
    response = organiser.post(
        "/organise/abuse/lists/", {"kind": kind, "verdict": "block", "value": typed}
    )
    assert response.status_code == 400
    assert typed in response.content.decode()  # what was typed is kept
    assert not ListEntry.objects.exists()


def test_an_entry_can_be_removed_once(client_as, campaign):
    organiser = client_as("Organiser")
    organiser.post(
        "/organise/abuse/lists/", {"kind": "domain", "verdict": "block", "value": "x.ex"}
    )
    again = organiser.post(
        "/organise/abuse/lists/", {"kind": "domain", "verdict": "allow", "value": "X.EX"}
    )
    assert again.status_code == 400  # one verdict per value
    entry = ListEntry.objects.get()
    assert organiser.post(f"/organise/abuse/lists/{entry.pk}/remove/").status_code == 302
    assert organiser.post(f"/organise/abuse/lists/{entry.pk}/remove/").status_code == 404
    assert AuditEvent.objects.filter(action="abuse.list_entry_removed").count() == 1
