"""Consent records: one per purpose given, in the signing transaction, and a withdrawal row
when the updates are stopped."""

from __future__ import annotations

import pytest
from django.conf import settings

from consent import wording
from consent.models import ConsentRecord
from signatures.forms import UPDATES_CONSENT, SignForm
from signatures.services import withdraw_updates_consent

pytestmark = pytest.mark.django_db

Purpose = ConsentRecord.Purpose


def _given(signature) -> dict[str, ConsentRecord]:
    records = signature.consent_records.filter(action=ConsentRecord.Action.GIVEN)
    return {record.purpose: record for record in records}


def test_signing_records_each_purpose_with_its_wording_version_time_and_method(campaign, sign_up):
    signature = sign_up(confirm=False)
    given = _given(signature)
    assert set(given) == {Purpose.SIGNING, Purpose.LISTING, Purpose.UPDATES}
    assert given[Purpose.SIGNING].wording == "I have read the appeal and add my name to it."
    assert given[Purpose.LISTING].choice == "full"
    assert given[Purpose.LISTING].wording == "How your name is shown: My full name"
    assert given[Purpose.UPDATES].wording == signature.updates_consent_text
    for record in given.values():
        assert record.supporter == signature.supporter
        assert record.wording_version == settings.CONSENT_VERSION
        assert record.language == "en"
        assert record.method == ConsentRecord.Method.FORM
        assert record.recorded_at == signature.consent_recorded_at


def test_no_updates_record_without_the_box_ticked_and_the_wording_follows_the_language(
    campaign, sign_up
):
    signature = sign_up(confirm=False, language="fr", wants_updates="", name_display="hidden")
    given = _given(signature)
    assert set(given) == {Purpose.SIGNING, Purpose.LISTING}
    assert given[Purpose.SIGNING].wording == "J’ai lu l’appel et j’y ajoute mon nom."
    assert given[Purpose.LISTING].wording.startswith("Affichage de votre nom: ")
    assert given[Purpose.SIGNING].language == "fr"
    assert given[Purpose.LISTING].choice == "hidden"


def test_the_records_keep_the_forms_own_sentences():
    form = SignForm()
    assert str(form.fields["agree"].label) == str(wording.SIGNING)
    assert str(form.fields["name_display"].label) == str(wording.LISTING)
    assert str(UPDATES_CONSENT) == str(wording.UPDATES)


def test_unsubscribing_records_a_withdrawal_once(campaign, sign_up):
    signature = sign_up()
    for _twice in range(2):
        withdraw_updates_consent(signature_id=signature.pk, method=ConsentRecord.Method.EMAIL_LINK)
    signature.refresh_from_db()
    assert signature.updates_unsubscribed_at is not None
    withdrawals = signature.consent_records.filter(action=ConsentRecord.Action.WITHDRAWN)
    assert [(r.purpose, r.method) for r in withdrawals] == [
        (Purpose.UPDATES, ConsentRecord.Method.EMAIL_LINK)
    ]
    assert withdrawals[0].recorded_at == signature.updates_unsubscribed_at


def test_asking_for_updates_again_clears_the_unsubscribe(campaign, sign_up):
    signature = sign_up(confirm=False)
    withdraw_updates_consent(signature_id=signature.pk, method=ConsentRecord.Method.ACCOUNT)
    signature = sign_up(confirm=False)
    assert signature.updates_unsubscribed_at is None
    updates = signature.consent_records.filter(purpose=Purpose.UPDATES)
    assert [r.action for r in updates] == ["given", "withdrawn", "given"]


def test_the_emailed_unsubscribe_link_records_the_withdrawal(campaign, sign_up):
    from django.test import Client

    from updates.tokens import make_unsubscribe_token

    signature = sign_up()
    path = f"/en/updates/unsubscribe/{make_unsubscribe_token(signature)}/"
    mail_client = Client(enforce_csrf_checks=True)
    for _twice in range(2):
        assert mail_client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    signature.refresh_from_db()
    withdrawals = signature.consent_records.filter(action=ConsentRecord.Action.WITHDRAWN)
    assert [(r.purpose, r.method) for r in withdrawals] == [
        (Purpose.UPDATES, ConsentRecord.Method.EMAIL_LINK)
    ]
    assert withdrawals[0].recorded_at == signature.updates_unsubscribed_at


def test_an_import_records_its_consents_as_given_by_import_without_our_wording(campaign, tmp_path):
    from django.core.management import call_command

    from signatures.models import Signature

    csv = tmp_path / "paper.csv"
    csv.write_text(
        "email,full_name,field_of_work,country,wants_updates\n"
        "kim@example.org,Kim Lee,composer,KR,yes\n"
    )
    call_command("import_signatures", str(csv), "--source", "Paper forms", stdout=None)
    signature = Signature.objects.get(supporter__email="kim@example.org")
    given = _given(signature)
    assert set(given) == {Purpose.SIGNING, Purpose.LISTING, Purpose.UPDATES}
    for record in given.values():
        assert record.method == ConsentRecord.Method.IMPORT
        assert record.wording_version == signature.consent_version
    assert given[Purpose.SIGNING].wording == ""
    assert given[Purpose.UPDATES].wording == signature.updates_consent_text != ""


def test_changing_how_the_name_is_shown_records_the_new_choice(campaign, sign_up):
    from signatures.services import ProfileChanges, update_profile

    signature = sign_up()
    supporter = signature.supporter
    update_profile(
        supporter=supporter,
        changes=ProfileChanges(values={"name_display": "initial"}),
        actor=supporter.user,
    )
    listing = signature.consent_records.filter(purpose=Purpose.LISTING)
    assert [(r.choice, r.method) for r in listing] == [
        ("full", ConsentRecord.Method.FORM),
        ("initial", ConsentRecord.Method.ACCOUNT),
    ]
    assert listing.last().wording.endswith("My first name and the initial of my last name")
