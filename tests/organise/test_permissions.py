"""The permission matrix: every person (anonymous, supporter, viewer, moderator, organiser,
superuser) against every back-office URL and action, each allowed or refused as the roles say.

The URLs are read from ``organise.urls`` itself, so a view added later is in the matrix at once;
a view that forgets ``access.require`` fails ``test_every_backoffice_view_checks_a_permission``.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from organise.roles import ROLE_ACTIONS, Action, Role

from .conftest import log_in, make_person

pytestmark = pytest.mark.django_db

PEOPLE = ("anonymous", "supporter", "Viewer", "Moderator", "Organiser", "superuser")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def backoffice_urls() -> list[tuple[str, object]]:
    """Every /organise/ URL with its view; path parameters filled with an id that does not
    exist (a refused person must be refused before anything is looked up)."""
    resolver = get_resolver()
    found = []
    for route, view in _walk(resolver.url_patterns):
        if not route.startswith("organise/"):
            continue
        path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: _sample(m.group(1)), route)
        found.append(("/" + path, view))
    return found


def _sample(converter: str | None) -> str:
    return {"int": "999999", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
        converter or "str", "no-such-thing"
    )


def allowed_actions(person: str) -> frozenset[Action]:
    if person == "superuser":
        return frozenset(Action)
    if person in ("anonymous", "supporter"):
        return frozenset()
    return ROLE_ACTIONS[Role(person)]


URLS = backoffice_urls()


def test_the_matrix_covers_the_whole_back_office():
    names = {path for path, _view in URLS}
    assert "/organise/" in names
    assert len(URLS) >= 8, sorted(names)


@pytest.mark.parametrize("path,view", URLS, ids=[path for path, _ in URLS])
def test_every_backoffice_view_checks_a_permission(path, view):
    assert isinstance(getattr(view, "required_action", None), Action), (
        f"{path} does not wear organise.access.require"
    )


def _client_for(client, person):
    if person == "anonymous":
        return client
    if person == "superuser":
        user = make_person(superuser=True)
    elif person == "supporter":
        user = make_person("", totp=False)
        log_in(client, user, second_factor=False)
        return client
    else:
        user = make_person(person)
    return log_in(client, user)


@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_reaches_exactly_what_their_role_allows(client, campaign, person):
    who = _client_for(client, person)
    allowed = allowed_actions(person)
    outcomes = []
    for path, view in URLS:
        action = view.required_action
        for method in ("get", "post"):
            response = getattr(who, method)(path)
            status = response.status_code
            if person == "anonymous":
                ok = status == 302 and "/login/" in response["Location"]
                expected = "sent to log in"
            elif action in allowed:
                ok = status not in (401, 403) and not (
                    status == 302 and "/login/" in response.get("Location", "")
                )
                expected = "allowed"
            else:
                # Refused: 403, or 405 when the URL does not take this method at all.
                ok = status in (403, 405)
                expected = "refused"
            if not ok:
                outcomes.append(
                    f"{method.upper()} {path} ({action}): {status}, expected {expected}"
                )
    assert not outcomes, "\n".join(outcomes)


@pytest.mark.parametrize("person", PEOPLE)
def test_the_django_admin_is_for_superusers(client, campaign, person):
    response = _client_for(client, person).get("/admin/")
    if person == "superuser":
        assert response.status_code == 200
    elif person == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        # Refused by the admin itself: it sends non-staff to its login, which refuses them.
        follow = client.get(response["Location"]) if response.status_code == 302 else response
        assert follow.status_code == 403


@pytest.mark.parametrize("person", PEOPLE)
def test_the_menu_shows_only_what_the_person_may_open(client, campaign, person):
    if person == "anonymous":
        return
    response = _client_for(client, person).get("/organise/")
    if person == "supporter":
        assert response.status_code == 403
        return
    html = response.content.decode()
    from organise.navigation import NAVIGATION

    for item in NAVIGATION:
        shown = f">{item.label}</a>" in html
        assert shown == (item.action in allowed_actions(person)), item.url_name


def test_the_signatory_pages_link_to_the_export_and_privacy_requests_for_organisers_only(
    client, campaign
):
    from tests.factories import SignatureFactory

    signature = SignatureFactory(campaign=campaign, confirmed=True)
    for person, sees in (("Organiser", True), ("Moderator", False), ("Viewer", False)):
        who = log_in(client, make_person(person))
        listing = who.get("/organise/signatories/?field_of_work=actor").content.decode()
        detail = who.get(f"/organise/signatories/{signature.pk}/").content.decode()
        assert ("/organise/export/signatories.csv?field_of_work=actor" in listing) is sees, person
        assert ("Export or erase their data" in detail) is sees, person
