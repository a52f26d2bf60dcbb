"""The review queues and the signatory pages: what each role sees, filters, pages, and the
same few queries whatever the page's size."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from campaign.audit import audit
from signatures.models import NameDisplay, Signature, Verification
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db

VERIFICATIONS = "/organise/verifications/"
HELD = "/organise/held/"
SIGNATORIES = "/organise/signatories/"


def signed(campaign, *, days_ago: float = 0, signature: dict | None = None, **supporter):
    """A signature of ``campaign`` made ``days_ago``; confirmed unless told otherwise."""
    fields = {"confirmed": True, **(signature or {})}
    made = SignatureFactory(campaign=campaign, supporter=SupporterFactory(**supporter), **fields)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    Signature.objects.filter(pk=made.pk).update(created_at=when)
    made.refresh_from_db()
    return made


def held(campaign, *, days_ago: float = 0, reason: str = "Name confusable with Famous Artist"):
    return signed(
        campaign,
        days_ago=days_ago,
        signature={"moderation": Signature.Moderation.HELD, "hold_reason": reason},
    )


def review_request(*, days_ago: float = 0, links=None, message="Here is my work.", **supporter):
    verification = Verification.objects.create(
        supporter=SupporterFactory(**supporter),
        method=Verification.Method.REVIEW,
        evidence={
            "message": message,
            "links": links if links is not None else ["https://artist.example/works"],
            "identifiers": {"wikidata_id": "Q229990"},
        },
    )
    when = timezone.now() - datetime.timedelta(days=days_ago)
    Verification.objects.filter(pk=verification.pk).update(created_at=when)
    return verification


def row_names(html: str) -> list[str]:
    """The names in the list's rows, in order (links to a signatory page)."""
    return re.findall(r'href="/organise/signatories/\d+/[^"]*">([^<]+)</a>', html)


# --- Verification requests ------------------------------------------------------------------


def test_the_verification_queue_shows_pending_requests_oldest_first_with_their_evidence(
    client_as, campaign
):
    newer = review_request(full_name="Newer Request", days_ago=1)
    older = review_request(
        full_name="Older Request",
        days_ago=3,
        links=["https://older.example/cv", "javascript:alert(1)"],
    )
    decided = review_request(full_name="Already Decided", days_ago=5)
    Verification.objects.filter(pk=decided.pk).update(status=Verification.Status.VERIFIED)

    html = client_as("Moderator").get(VERIFICATIONS).content.decode()

    assert html.index("Older Request") < html.index("Newer Request")
    assert "Already Decided" not in html
    assert "2 requests wait for a decision" in html
    assert (
        '<a href="https://older.example/cv" target="_blank" '
        'rel="noopener noreferrer nofollow">' in html
    )
    assert 'href="javascript:' not in html  # shown as text, never as a link
    assert 'href="https://www.wikidata.org/wiki/Q229990"' in html
    assert f'action="/organise/verifications/{older.pk}/decide/"' in html
    assert f'action="/organise/verifications/{newer.pk}/decide/"' in html
    assert 'value="approve"' in html and 'value="refuse"' in html


def test_viewers_see_the_verification_queue_without_decision_forms(client_as, campaign):
    verification = review_request(full_name="Waiting Artist")
    viewer = client_as("Viewer")

    for url in (VERIFICATIONS, f"{VERIFICATIONS}{verification.pk}/"):
        html = viewer.get(url).content.decode()
        assert "Waiting Artist" in html
        assert "/decide/" not in html
        assert 'value="approve"' not in html


def test_the_verification_queue_filters_by_name_and_method(client_as, campaign):
    review_request(full_name="Ada Lovelace")
    review_request(full_name="Grace Hopper")
    client = client_as("Moderator")

    html = client.get(VERIFICATIONS, {"q": "lovelace"}).content.decode()
    assert "Ada Lovelace" in html and "Grace Hopper" not in html

    html = client.get(VERIFICATIONS, {"method": "link_back"}).content.decode()
    assert "No request matches these filters." in html


def test_a_verification_request_has_its_own_page(client_as, campaign):
    verification = review_request(full_name="Detailed Artist", message="My albums are listed.")
    SignatureFactory(campaign=campaign, supporter=verification.supporter, confirmed=True)
    client = client_as("Organiser")

    response = client.get(f"{VERIFICATIONS}{verification.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "My albums are listed." in html
    assert verification.supporter.email in html  # organisers see addresses
    assert client.get(f"{VERIFICATIONS}999999/").status_code == 404


def test_the_verification_queue_costs_the_same_queries_for_3_or_30_requests(
    client_as, campaign, django_assert_max_num_queries
):
    client = client_as("Moderator")
    for n in range(3):
        review_request(full_name=f"Few {n}")
    with django_assert_max_num_queries(12) as few:
        assert client.get(VERIFICATIONS).status_code == 200
    for n in range(27):
        review_request(full_name=f"Many {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(VERIFICATIONS).status_code == 200


# --- Held signatures ------------------------------------------------------------------------


def test_the_held_queue_lists_held_signatures_oldest_first_with_the_reason(client_as, campaign):
    recent = held(campaign, days_ago=1, reason="Name confusable with Recent Star")
    old = held(campaign, days_ago=4, reason="Name confusable with Old Star")
    signed(campaign, full_name="Not Held At All")

    html = client_as("Moderator").get(HELD).content.decode()

    assert row_names(html) == [old.supporter.full_name, recent.supporter.full_name]
    assert "Name confusable with Old Star" in html
    assert "2 signatures are held for review" in html
    assert 'name="signature"' in html  # the bulk checkboxes
    assert f'id="row-{old.pk}"' in html  # each row's own decision form
    assert "Not Held At All" not in html


def test_viewers_see_the_held_queue_without_actions_or_addresses(client_as, campaign):
    signature = held(campaign)
    html = client_as("Viewer").get(HELD).content.decode()

    assert signature.supporter.full_name in html
    assert signature.supporter.email not in html
    assert 'name="signature"' not in html
    assert "/moderate/" not in html
    assert "/held/bulk/" not in html


def test_the_held_queue_filters_and_pages(client_as, campaign):
    for n in range(52):
        held(campaign, days_ago=60 - n)
    poet = held(campaign, days_ago=0.5)
    Signature.objects.filter(pk=poet.pk).update(status=Signature.Status.PENDING)
    client = client_as("Moderator")

    first = client.get(HELD).content.decode()
    assert len(row_names(first)) == 50
    after = re.search(r'href="\?after=([^"]+)" rel="next"', first).group(1)
    second = client.get(HELD, {"after": after}).content.decode()
    assert len(row_names(second)) == 3
    assert not set(row_names(first)) & set(row_names(second))

    pending = client.get(HELD, {"status": "pending"}).content.decode()
    assert row_names(pending) == [poet.supporter.full_name]


def test_the_held_queue_costs_the_same_queries_for_3_or_30_rows(
    client_as, campaign, django_assert_max_num_queries
):
    client = client_as("Organiser")
    for _n in range(3):
        held(campaign)
    with django_assert_max_num_queries(12) as few:
        assert client.get(HELD).status_code == 200
    for _n in range(27):
        held(campaign)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(HELD).status_code == 200


# --- All signatories ------------------------------------------------------------------------


def test_the_signatory_list_combines_its_filters(client_as, campaign):
    wanted = signed(campaign, full_name="Wanted Writer", field_of_work="writer", country="FR")
    signed(campaign, full_name="Wrong Country", field_of_work="writer", country="BE")
    signed(campaign, full_name="Wrong Field", field_of_work="musician", country="FR")
    signed(
        campaign,
        full_name="Wrong Status",
        field_of_work="writer",
        country="FR",
        signature={"confirmed": False},
    )
    signed(campaign, full_name="Too Old", field_of_work="writer", country="FR", days_ago=40)
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()

    html = (
        client_as("Viewer")
        .get(
            SIGNATORIES,
            {
                "status": "confirmed",
                "field_of_work": "writer",
                "country": "FR",
                "signed_from": since,
            },
        )
        .content.decode()
    )

    assert row_names(html) == [wanted.supporter.full_name]


def test_the_signatory_list_searches_names_and_for_organisers_addresses(client_as, campaign):
    signature = signed(campaign, full_name="Searchable Person", email="findme@example.org")
    signed(campaign, full_name="Someone Else")

    by_name = client_as("Viewer").get(SIGNATORIES, {"q": "searchable"}).content.decode()
    assert row_names(by_name) == ["Searchable Person"]
    by_address = client_as("Viewer").get(SIGNATORIES, {"q": "findme@example.org"})
    assert row_names(by_address.content.decode()) == []
    by_address = client_as("Organiser").get(SIGNATORIES, {"q": "findme@example.org"})
    assert row_names(by_address.content.decode()) == [signature.supporter.full_name]


def test_email_addresses_show_only_to_people_allowed_to_see_them(client_as, campaign):
    signature = signed(campaign, full_name="Private Address", email="private@example.org")
    detail = f"{SIGNATORIES}{signature.pk}/"

    for role in ("Viewer", "Moderator"):
        client = client_as(role)
        assert "private@example.org" not in client.get(SIGNATORIES).content.decode()
        assert "private@example.org" not in client.get(detail).content.decode()
    organiser = client_as("Organiser")
    assert "private@example.org" in organiser.get(SIGNATORIES).content.decode()
    assert "private@example.org" in organiser.get(detail).content.decode()


def test_viewers_see_only_the_public_name_moderators_the_full_one(client_as, campaign):
    signed(campaign, full_name="Jeanne Discrete", name_display=NameDisplay.INITIAL)

    assert "Jeanne D." in client_as("Viewer").get(SIGNATORIES).content.decode()
    assert "Jeanne Discrete" not in client_as("Viewer").get(SIGNATORIES).content.decode()
    assert "Jeanne Discrete" in client_as("Moderator").get(SIGNATORIES).content.decode()


def test_viewers_see_no_bulk_actions_or_row_checkboxes(client_as, campaign):
    signed(campaign)
    viewer_html = client_as("Viewer").get(SIGNATORIES).content.decode()
    moderator_html = client_as("Moderator").get(SIGNATORIES).content.decode()

    assert 'name="signature"' in moderator_html
    assert 'action="/organise/signatories/bulk/' in moderator_html
    assert 'name="signature"' not in viewer_html
    assert "/organise/signatories/bulk/" not in viewer_html


def test_the_signatory_list_pages_by_keyset(client_as, campaign):
    for n in range(55):
        signed(campaign, full_name=f"Person Number{n:02d}", days_ago=n / 100)
    client = client_as("Viewer")

    first = client.get(SIGNATORIES, {"status": "confirmed"}).content.decode()
    names = row_names(first)
    assert len(names) == 50 and names[0] == "Person Number00"
    link = re.search(r'href="\?status=confirmed&amp;after=([^"]+)" rel="next"', first)
    second = client.get(SIGNATORIES, {"status": "confirmed", "after": link.group(1)})
    assert row_names(second.content.decode())[0] == "Person Number50"
    assert len(row_names(second.content.decode())) == 5


def test_a_forged_cursor_or_bad_filter_is_a_page_not_an_error(client_as, campaign):
    signed(campaign, full_name="Still Listed")
    client = client_as("Viewer")
    response = client.get(SIGNATORIES, {"after": "bm9uc2Vuc2U", "signed_from": "not-a-date"})
    assert response.status_code == 200
    assert "Still Listed" in response.content.decode()
    assert "Enter a valid date." in response.content.decode()
    assert 'value="not-a-date"' in response.content.decode()  # what was typed is kept


def test_the_signatory_list_costs_the_same_queries_for_3_or_30_rows(
    client_as, campaign, django_assert_max_num_queries
):
    client = client_as("Organiser")
    for _n in range(3):
        signed(campaign, signature={"comment": "A comment."})
    with django_assert_max_num_queries(12) as few:
        assert client.get(SIGNATORIES, {"country": "FR"}).status_code == 200
    for _n in range(27):
        signed(campaign, signature={"comment": "A comment."})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(SIGNATORIES, {"country": "FR"})
    assert len(row_names(response.content.decode())) == 30


# --- One signatory --------------------------------------------------------------------------


def test_a_signatory_page_shows_the_signature_its_signer_and_its_history(client_as, campaign):
    signature = held(campaign, reason="Name confusable with Someone Famous")
    Signature.objects.filter(pk=signature.pk).update(comment="I sign because.")
    audit(
        action="signature.held",
        supporter=signature.supporter,
        reason="Name confusable with Someone Famous",
        data={"signature": signature.pk},
    )

    html = client_as("Moderator").get(f"{SIGNATORIES}{signature.pk}/").content.decode()

    assert signature.supporter.full_name in html
    assert "Name confusable with Someone Famous" in html
    assert "I sign because." in html
    assert signature.supporter.public_id in html
    assert "Signature held for review" in html  # the audit event
    assert "The site (automatic)" in html
    assert 'value="release"' in html and 'value="reject_held"' in html
    assert 'value="reject"' not in html  # a held signature is released or rejected


def test_viewers_see_a_signatory_page_without_actions_or_history(client_as, campaign):
    signature = held(campaign)
    audit(action="signature.held", supporter=signature.supporter, reason="A secret reason")

    response = client_as("Viewer").get(f"{SIGNATORIES}{signature.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert signature.supporter.full_name in html
    assert "/moderate/" not in html
    assert 'name="action"' not in html
    assert "A secret reason" not in html  # the audit trail needs its own permission


def test_a_signatory_page_that_does_not_exist_is_a_404(client_as, campaign):
    assert client_as("Viewer").get(f"{SIGNATORIES}999999/").status_code == 404


def test_moderators_find_a_signatory_who_hid_their_name_by_it_and_viewers_do_not(
    client_as, campaign
):
    from tests.factories import SignatureFactory

    SignatureFactory(
        campaign=campaign,
        confirmed=True,
        supporter__full_name="Odile Quenneville",
        supporter__name_display="hidden",
    )
    moderator = client_as("Moderator")
    assert "Quenneville" in moderator.get("/organise/signatories/?q=quennev").content.decode()
    viewer = client_as("Viewer")
    assert "Quenneville" not in viewer.get("/organise/signatories/?q=quennev").content.decode()
