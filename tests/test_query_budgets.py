"""Query budgets of the pages a surge hits: each costs a fixed number of queries, however many
signatures there are and however deep the directory page (no N+1 anywhere).

Each budget is the count today; raising one is a decision to write down, not a number to bump.
Every test runs with few and with many rows, so a query per row cannot hide under a budget.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from signatures import tokens
from signatures.models import Signature
from signatures.selectors import DirectoryFilters, directory_page
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db

# The campaign with its lists (key messages, demands, launch supporters), the featured and the
# latest signatories; one more for the growth chart when the stats cache is cold.
HOME = 7
# The campaign and one page of signatures with their signers, at any depth, with any filter.
DIRECTORY = 2
# A search first finds the matching names (signatures/selectors.py, _search).
SEARCH = DIRECTORY + 1
PROFILE = 2
SIGN_PAGE = 1
# Signing and confirming are budgeted as production runs them: with this process's copy of the
# campaign and its launch supporters' names current (campaign/selectors.py), so the request
# reads neither. Writes (INSERT, UPDATE, DELETE) have their own budget: they are what
# PostgreSQL pays for most in a surge. Nothing is queued per signature but the email (the
# screening joins a waiting list in Redis after the commit, no query).
#
# A new address, in one transaction: the supporter looked up by address; written; the
# impersonation check (protected supporters with the same name skeleton); the signature; its
# consent records (one insert); the email (its dedup key is new by construction: no lookup, no
# savepoint); where the signature came from (the signing context, one insert or update).
SIGN_NEW = 9
SIGN_NEW_WRITES = 5
# The same address again: the supporter and signature found and locked, whether another of its
# signatures is confirmed, both updated, the impersonation check, the consent given again
# recorded, the signing context renewed; no email (too soon).
SIGN_AGAIN = 11
SIGN_AGAIN_WRITES = 4
# The signature locked, confirmed; its public ledger entry; the account created (address, user,
# email address, supporter); never the campaign row.
CONFIRM = 10
CONFIRM_WRITES = 5

SIGNATURE = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "field_of_work": "writer",
    "country": "GB",
    "known_for": "Notes on the Analytical Engine",
    "link": "https://ada.example",
    "comment": "Credit the sources.",
    "name_display": "full",
    "agree": "on",
    "wants_updates": "on",
}

_minutes = itertools.count()


def add_signatories(campaign, n: int) -> list[Signature]:
    """``n`` confirmed signatories of every kind the pages show: verified, featured, with
    links and identifiers, with initials only."""
    now = timezone.now()
    signatures = []
    for i in range(n):
        supporter = SupporterFactory(
            field_of_work=["writer", "actor", "musician"][i % 3],
            country=["FR", "GB", "US"][i % 3],
            known_for="Author" if i % 2 else "",
            name_display="initial" if i % 5 == 0 else "full",
            verified_at=now if i % 4 == 0 else None,
            verification_method="link_back" if i % 4 == 0 else "",
            is_featured=i % 7 == 0,
            featured_position=i,
            links=["https://example.org/a"] if i % 3 == 0 else [],
            isni="0000000121032683" if i % 6 == 0 else "",
            other_fields=["composer"] if i % 2 else [],
        )
        signature = SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
        Signature.objects.filter(pk=signature.pk).update(
            confirmed_at=now - datetime.timedelta(minutes=next(_minutes))
        )
        signatures.append(signature)
    return signatures


@pytest.fixture(params=[3, 70], ids=["few", "many"])
def signatories(request, launched_campaign):
    return add_signatories(launched_campaign, request.param)


def test_home(client, signatories, django_assert_max_num_queries):
    with django_assert_max_num_queries(HOME):
        assert client.get("/en/").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["", "?field=writer", "?country=FR", "?verified=on", "?q=artist", "?field=actor&q=numb"],
)
def test_directory_first_page(client, signatories, query, django_assert_max_num_queries):
    with django_assert_max_num_queries(SEARCH if "q=" in query else DIRECTORY):
        assert client.get(f"/en/supporters/{query}").status_code == 200


def test_directory_at_any_depth(
    client, launched_campaign, signatories, django_assert_max_num_queries
):
    cursor, pages = "", 0
    while True:
        page = directory_page(
            campaign=launched_campaign, filters=DirectoryFilters(), cursor=cursor, size=30
        )
        path = f"/en/supporters/?after={cursor}" if cursor else "/en/supporters/"
        with django_assert_max_num_queries(DIRECTORY):
            response = client.get(path)
        assert response.status_code == 200
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == (len(signatories) + 29) // 30


def test_profile(client, signatories, django_assert_max_num_queries):
    for signature in signatories[:6]:
        with django_assert_max_num_queries(PROFILE):
            response = client.get(f"/en/supporters/{signature.supporter.slug}/")
        assert response.status_code == 200


def test_sign_page(client, signatories, django_assert_max_num_queries):
    with django_assert_max_num_queries(SIGN_PAGE):
        assert client.get("/en/sign/").status_code == 200


@pytest.fixture
def campaign_copies(settings, launched_campaign, client):
    """This process keeps its copy of the campaign, as in production (the tests do not), and
    has made it: one page served first."""
    from campaign import selectors

    settings.CAMPAIGN_CACHE_SECONDS = 60
    selectors._copies.clear()
    assert client.get("/en/sign/").status_code == 200
    selectors.launch_supporter_names(campaign=launched_campaign)  # as the first signature does
    yield
    selectors._copies.clear()


def writes(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_sign_and_sign_again(
    client,
    signatories,
    campaign_copies,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_max_num_queries(SIGN_NEW) as captured,
    ):
        assert client.post("/en/sign/", SIGNATURE).status_code == 302
    assert len(writes(captured)) <= SIGN_NEW_WRITES, writes(captured)
    assert not any("campaign_campaign" in q["sql"] for q in captured.captured_queries)
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_max_num_queries(SIGN_AGAIN) as captured,
    ):
        assert client.post("/en/sign/", SIGNATURE).status_code == 302
    assert len(writes(captured)) <= SIGN_AGAIN_WRITES, writes(captured)


def test_signing_queues_no_task_but_the_email(
    client, signatories, campaign_copies, django_capture_on_commit_callbacks, settings
):
    """After the commit: the outbox's delivery run and a screening run (each debounced: one
    per burst of commits, not one per signature); nothing else."""
    from celery.signals import before_task_publish

    sent = []

    def record(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert client.post("/en/sign/", SIGNATURE).status_code == 302
    finally:
        before_task_publish.disconnect(record)
    assert len(callbacks) <= 2
    assert set(sent) <= {"campaign.tasks.deliver_outbox_batch", "abuse.tasks.screen_signature"}


def test_sign_with_a_mistake(client, signatories, django_assert_max_num_queries):
    with django_assert_max_num_queries(SIGN_PAGE):
        assert client.post("/en/sign/", {**SIGNATURE, "agree": ""}).status_code == 200


def test_confirm(
    client,
    launched_campaign,
    signatories,
    campaign_copies,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    pending = SignatureFactory(campaign=launched_campaign, supporter=SupporterFactory())
    link = f"/en/sign/confirm/{tokens.make_confirm_token(pending)}/"
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_max_num_queries(CONFIRM) as captured,
    ):
        assert client.get(link).status_code == 200
    assert not any("campaign_campaign" in q for q in writes(captured))
    assert len(writes(captured)) <= CONFIRM_WRITES, writes(captured)
    pending.refresh_from_db()
    assert pending.status == Signature.Status.CONFIRMED
