"""Declaring, checking, adding and withdrawing: what is stored, what is checked, what is
audited, and who may publish."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from campaign.models import AuditEvent
from optouts import services
from optouts.locations import normalize_location
from optouts.models import OptOutDeclaration, OptOutLocation
from optouts.tasks import check_location as check_location_task
from signatures.services import link_back_token
from tests.optouts.conftest import proof_for

pytestmark = pytest.mark.django_db


def actions(supporter) -> list[str]:
    return list(
        AuditEvent.objects.filter(supporter=supporter)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_an_unverified_supporter_cannot_declare(unverified):
    with pytest.raises(services.OptOutError) as raised:
        services.declare(supporter=unverified, locations=["https://uma.example/"])

    assert "verified" in str(raised.value.message)
    assert not OptOutDeclaration.objects.exists()
    assert not OptOutLocation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="optout.").exists()


def test_a_declaration_is_recorded_with_its_date_and_audited(artist, django_user_model):
    before = timezone.now()
    declaration = services.declare(
        supporter=artist,
        locations=["nina.example", "https://nina.example/shop/", "NINA.example/"],
        licensing_url="https://agent.example/",
        actor=artist.user,
    )

    assert declaration.is_active and declaration.withdrawn_at is None
    assert before <= declaration.declared_at <= timezone.now()
    assert [loc.url for loc in declaration.locations.order_by("id")] == [
        "https://nina.example/",
        "https://nina.example/shop/",
    ]
    assert set(declaration.locations.values_list("status", flat=True)) == {"pending"}
    assert actions(artist) == ["optout.declared", "optout.location_added", "optout.location_added"]
    event = AuditEvent.objects.get(action="optout.declared")
    assert event.actor == artist.user
    assert event.data["declaration"] == declaration.uid


def test_the_check_runs_after_commit_not_in_the_request(
    artist, pages, django_capture_on_commit_callbacks
):
    url = pages.page("/", proof_for(artist))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        declaration = services.declare(supporter=artist, locations=[url])

    assert pages.requests == []  # nothing fetched while the transaction was open
    assert declaration.locations.get().status == "pending"
    for callback in callbacks:
        callback()
    location = declaration.locations.get()
    assert location.status == "ok" and location.check_result == "found_rel_me"
    assert location.checked_at is not None
    assert pages.requests == ["/"]


def test_a_place_carrying_the_token_is_published(artist, pages, declare):
    token = link_back_token(artist)
    url = pages.page(
        "/gallery/",
        f'<head><meta name="stealing-isnt-innovation-verification" content="{token}"></head>',
    )

    location = declare(artist, [url]).locations.get()

    assert (location.status, location.check_result) == ("ok", "found_token")
    assert "optout.location_checked" in actions(artist)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<p>No link here</p>", "no_link"),
        (
            '<meta name="stealing-isnt-innovation-verification" content="someone-else">',
            "wrong_token",
        ),
    ],
)
def test_a_place_without_the_proof_is_refused_and_says_why(artist, pages, declare, html, reason):
    url = pages.page("/x/", html)

    location = declare(artist, [url]).locations.get()

    assert (location.status, location.check_result) == ("failed", reason)
    assert AuditEvent.objects.get(action="optout.location_refused").reason == reason


def test_a_private_address_is_never_fetched(artist, pages, declare, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = []
    url = pages.page("/", proof_for(artist))

    location = declare(artist, [url]).locations.get()

    assert (location.status, location.check_result) == ("failed", "private_address")
    assert pages.requests == []


def test_running_the_check_twice_fetches_and_records_once(artist, pages, declare):
    url = pages.page("/", proof_for(artist))
    location = declare(artist, [url]).locations.get()

    services.check_location(location_id=location.pk)
    check_location_task.delay(location.pk)

    assert pages.requests == ["/"]
    assert actions(artist).count("optout.location_checked") == 1


def test_one_declaration_in_force_at_a_time(artist):
    services.declare(supporter=artist, locations=["https://nina.example/"])

    with pytest.raises(services.OptOutError):
        services.declare(supporter=artist, locations=["https://other.example/"])
    with pytest.raises(IntegrityError):
        OptOutDeclaration.objects.create(supporter=artist, declared_at=timezone.now())


def test_withdrawal_keeps_both_dates_and_is_audited_once(artist):
    declaration = services.declare(supporter=artist, locations=["https://nina.example/"])
    declared_at = declaration.declared_at

    services.withdraw(declaration=declaration, actor=artist.user)
    services.withdraw(declaration=declaration, actor=artist.user)

    declaration.refresh_from_db()
    assert declaration.status == "withdrawn"
    assert declaration.declared_at == declared_at
    assert declaration.withdrawn_at is not None and declaration.withdrawn_at >= declared_at
    assert actions(artist).count("optout.withdrawn") == 1
    # A new declaration may follow; the withdrawn one is kept.
    again = services.declare(supporter=artist, locations=["https://nina.example/"])
    assert again.pk != declaration.pk
    assert OptOutDeclaration.objects.filter(supporter=artist).count() == 2


def test_no_place_can_be_added_to_a_withdrawn_declaration(artist):
    declaration = services.declare(supporter=artist, locations=["https://nina.example/"])
    services.withdraw(declaration=declaration)

    with pytest.raises(services.OptOutError):
        services.add_location(declaration=declaration, url="https://more.example/")
    assert declaration.locations.count() == 1


def test_adding_a_place_checks_it_and_adding_it_again_rechecks_only_a_failure(
    artist, pages, django_capture_on_commit_callbacks
):
    url = pages.page("/new/", "<p>not yet</p>")
    declaration = services.declare(supporter=artist, locations=["https://nina.example/"])
    with django_capture_on_commit_callbacks(execute=True):
        first = services.add_location(declaration=declaration, url=url, actor=artist.user)
    first.refresh_from_db()
    assert first.status == "failed"

    pages.page("/new/", proof_for(artist))  # the artist fixes the page
    with django_capture_on_commit_callbacks(execute=True):
        services.add_location(declaration=declaration, url=url, actor=artist.user)
    first.refresh_from_db()
    assert first.status == "ok"
    with django_capture_on_commit_callbacks(execute=True):
        services.add_location(declaration=declaration, url=url, actor=artist.user)

    assert declaration.locations.filter(url=url).count() == 1
    assert pages.requests == ["/new/", "/new/"]
    assert actions(artist).count("optout.location_rechecked") == 1


def test_a_declaration_lists_at_most_the_configured_number_of_places(artist, settings):
    settings.OPTOUT_MAX_LOCATIONS = 3
    with pytest.raises(services.OptOutError):
        services.declare(
            supporter=artist, locations=[f"https://site{n}.example/" for n in range(4)]
        )
    declaration = services.declare(
        supporter=artist, locations=[f"https://site{n}.example/" for n in range(3)]
    )

    with pytest.raises(services.OptOutError):
        services.add_location(declaration=declaration, url="https://one-more.example/")
    assert declaration.locations.count() == 3


def test_an_unverified_supporter_cannot_add_places_either(artist, unverified):
    declaration = services.declare(supporter=artist, locations=["https://nina.example/"])
    artist.verified_at = None
    artist.save(update_fields=["verified_at"])
    declaration.supporter.refresh_from_db()

    with pytest.raises(services.OptOutError):
        services.add_location(declaration=declaration, url="https://more.example/")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("nina.example", "https://nina.example/"),
        ("  NINA.Example/Portfolio/ ", "https://nina.example/Portfolio/"),
        ("https://nina.example:443/a b/", "https://nina.example/a%20b/"),
        ("bücher.example/shop", "https://xn--bcher-kva.example/shop"),
        ("https://nina.example/odd*name$", "https://nina.example/odd%2Aname%24"),
        ("https://nina.example:8443/", "https://nina.example:8443/"),
    ],
)
def test_places_are_stored_in_one_canonical_form(typed, stored):
    assert normalize_location(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "http://nina.example/",  # only https, outside tests
        "ftp://nina.example/",
        "https://nina.example/gallery?page=2",
        "https://nina.example/#works",
        "https://user:pw@nina.example/",
        "not a site",
        "https://nina.example/\u202eevil",
        "https://" + "a" * 600 + ".example/",
    ],
)
def test_addresses_that_are_not_places_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_location(typed)
