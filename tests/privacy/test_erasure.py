"""Erasure, by organisers on request and by the person themself: nothing that identifies the
person is left anywhere, the count is kept (anonymously) or drops as chosen, and the audit
trail says what happened without saying who."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from campaign.models import AuditEvent, Campaign
from consent.models import ConsentRecord
from optouts.models import OptOutDeclaration, OptOutLocation
from signatures import services
from signatures.models import Signature, Supporter
from signatures.services import privacy
from tests.organise.conftest import log_in

from .conftest import EMAIL, NAME, rows_mentioning, supporter_named

pytestmark = pytest.mark.django_db

# Everything that would point at Zoë: her name, address, site, what she is known for, her words.
IDENTIFYING = (NAME, EMAIL, "zoe-quill.example", "Lantern Atlas", "Ask before you take")


@pytest.fixture
def zoe(campaign, sign_up, person, django_capture_on_commit_callbacks):
    """Zoë used every part of the site: signed and confirmed (so she has an account and is
    logged in somewhere), asked for verification and got it, declared an AI-training opt-out,
    had her profile changed in the admin; and an impostor was held because of her name."""
    sign_up()
    supporter = supporter_named()
    organiser = person("Organiser")
    verification = services.request_review(
        supporter=supporter,
        message=f"I am {NAME}; my site says so.",
        links=["https://zoe-quill.example/about"],
    )
    services.decide_verification(verification=verification, approve=True, actor=organiser)
    declaration = OptOutDeclaration.objects.create(
        supporter=supporter,
        declared_at=timezone.now(),
        licensing_url="https://zoe-quill.example/licensing",
    )
    OptOutLocation.objects.create(declaration=declaration, url="https://zoe-quill.example/")
    LogEntry.objects.create(
        user=organiser,
        content_type=ContentType.objects.get_for_model(Supporter),
        object_id=str(supporter.pk),
        object_repr=str(supporter),
        action_flag=CHANGE,
        change_message="[]",
    )
    sign_up(
        confirm=False,
        full_name="Zoe Quillfeather",
        email="impostor@example.net",
        known_for="",
        link="",
        comment="",
    )
    supporter.refresh_from_db()
    log_in(Client(), supporter.user, second_factor=False)
    return supporter


def _erase(client, supporter, **fields):
    data = {"erase-reason": "Asked by email on 3 March.", "erase-signature": "keep"}
    data["erase-confirm"] = "on"
    data.update(fields)
    return client.post(f"/organise/privacy/{supporter.pk}/erase/", data)


def _refresh_counts():
    services.refresh_signature_counts()
    return Campaign.objects.get().signature_count


def test_the_zoe_fixture_really_spreads_her_details_everywhere(zoe):
    found = rows_mentioning(*IDENTIFYING)
    for table in (
        "signatures.Supporter", "signatures.Signature", "signatures.Verification",
        "campaign.AuditEvent", "campaign.OutboundEmail", "optouts.OptOutDeclaration",
        "admin.LogEntry", "auth.User", "account.EmailAddress", "session",
    ):  # fmt: skip
        assert any(line.startswith(table) for line in found), table
    assert zoe.is_verified and zoe.user is not None


def test_organiser_erasure_leaves_nothing_identifying_and_keeps_the_count(zoe, organiser_client):
    before = _refresh_counts()
    assert before == 1
    response = _erase(organiser_client, zoe)
    assert response.status_code == 302
    assert rows_mentioning(*IDENTIFYING) == []
    assert _refresh_counts() == before
    anonymous = Supporter.objects.get(pk=zoe.pk)
    assert privacy.is_erased(anonymous)
    assert anonymous.public_id != zoe.public_id and not anonymous.shows_publicly
    assert anonymous.user is None and not anonymous.is_verified
    signature = anonymous.signatures.get()
    assert signature.is_counted and not signature.wants_updates
    assert signature.confirmed_at.time() == timezone.datetime.min.time()
    assert not get_user_model().objects.filter(pk=zoe.user_id).exists()
    assert not OptOutDeclaration.objects.exists()
    assert not anonymous.verifications.exists()
    # Hidden from every public list and page.
    client = Client()
    assert NAME not in client.get("/en/supporters/").content.decode()
    assert client.get(f"/en/supporters/{zoe.slug}/").status_code == 404
    assert client.get(f"/en/supporters/supporter-{anonymous.public_id}/").status_code == 404


def test_the_audit_trail_keeps_what_happened_not_who(zoe, organiser_client):
    earlier = list(AuditEvent.objects.filter(supporter=zoe).values_list("pk", "action"))
    assert earlier
    _erase(organiser_client, zoe)
    for pk, action in earlier:
        event = AuditEvent.objects.get(pk=pk)
        assert event.action == action and event.supporter is None
        assert event.reason in ("", privacy.ERASURE_REASON)
    erased = AuditEvent.objects.get(action="supporter.erased")
    assert erased.actor == organiser_client.user and erased.supporter is None
    assert erased.reason == "Asked by email on 3 March."
    assert erased.data["signatures_kept_anonymous"] == 1 and erased.data["by_self"] is False
    held = Signature.objects.get(supporter__email="impostor@example.net")
    assert held.hold_reason == "Name confusable with erased"


def test_consent_records_stay_without_the_person(zoe, organiser_client):
    kinds = set(zoe.consent_records.values_list("purpose", "action"))
    _erase(organiser_client, zoe)
    records = ConsentRecord.objects.filter(signature__supporter_id=zoe.pk)
    assert set(records.values_list("purpose", "action")) == kinds
    assert not records.filter(supporter__isnull=False).exists()


def test_erasure_with_withdrawal_lowers_the_count_and_keeps_no_row(zoe, organiser_client):
    assert _refresh_counts() == 1
    _erase(organiser_client, zoe, **{"erase-signature": "withdraw"})
    assert rows_mentioning(*IDENTIFYING) == []
    assert not Supporter.objects.filter(pk=zoe.pk).exists()
    assert _refresh_counts() == 0
    assert AuditEvent.objects.get(action="supporter.erased").data["counted_signatures_deleted"] == 1


def test_the_person_deleting_their_own_account_leaves_nothing_either(zoe):
    client = log_in(Client(), zoe.user, second_factor=False)
    assert _refresh_counts() == 1
    response = client.post("/en/account/delete/")
    assert "Your data is deleted" in response.content.decode()
    assert rows_mentioning(*IDENTIFYING) == []
    assert _refresh_counts() == 0
    event = AuditEvent.objects.get(action="supporter.erased")
    assert event.actor is None and event.data["by_self"] is True


@pytest.mark.parametrize(
    "reason,error",
    [
        ("", "Say why"),
        (f"{NAME} wrote to us", "Leave the person"),
        (f"From {EMAIL.upper()}", "Leave the person"),
    ],
)
def test_a_reason_that_is_missing_or_names_the_person_is_refused(
    zoe, organiser_client, reason, error
):
    response = _erase(organiser_client, zoe, **{"erase-reason": reason})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Supporter.objects.get(pk=zoe.pk).email == EMAIL
    assert not AuditEvent.objects.filter(action="supporter.erased").exists()


def test_erasure_needs_the_confirmation_box(zoe, organiser_client):
    response = _erase(organiser_client, zoe, **{"erase-confirm": ""})
    assert response.status_code == 400
    assert Supporter.objects.get(pk=zoe.pk).full_name == NAME


def test_finding_a_person_by_exact_address_and_previewing_the_erasure(zoe, organiser_client):
    response = organiser_client.post("/organise/privacy/", {"email": EMAIL.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/organise/privacy/{zoe.pk}/"
    page = organiser_client.get(response["Location"]).content.decode()
    assert NAME in page and EMAIL in page
    assert "anonymous mark" in page and "goes down by 1" in page
    missing = organiser_client.post("/organise/privacy/", {"email": "nobody@example.org"})
    assert "No one signed with this address" in missing.content.decode()


def test_an_erased_person_cannot_be_found_or_erased_twice(zoe, organiser_client):
    _erase(organiser_client, zoe)
    assert organiser_client.get(f"/organise/privacy/{zoe.pk}/").status_code == 404
    assert _erase(organiser_client, zoe).status_code == 404
    assert AuditEvent.objects.filter(action="supporter.erased").count() == 1


def test_other_records_lose_the_name_but_namesakes_and_the_campaign_keep_theirs(
    zoe, organiser_client, campaign
):
    from abuse.models import SpikeAlert
    from tests.factories import LaunchSupporterFactory, SignatureFactory, SupporterFactory

    namesake = SupporterFactory(full_name=NAME, email="other.zoe@example.net")
    SignatureFactory(campaign=campaign, supporter=namesake)
    LaunchSupporterFactory(campaign=campaign, name=NAME)
    spike = SpikeAlert.objects.create(
        kind=SpikeAlert.Kind.DOMAIN,
        key="example.org",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
        window_seconds=600,
        sample_names=[NAME, "Hannah Quillfeatherson"],
    )
    _erase(organiser_client, zoe)
    spike.refresh_from_db()
    assert spike.sample_names == [privacy.ERASED, "Hannah Quillfeatherson"]
    namesake.refresh_from_db()
    assert namesake.full_name == NAME
    assert campaign.launch_supporters.get().name == NAME
