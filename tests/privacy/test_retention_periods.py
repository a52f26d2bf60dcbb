"""Retention of withdrawn signatures, import files and reports, dry-run files and spike
evidence, with the clock moved forward: what goes, what stays, a second run that changes
nothing, the beat schedule that runs it, and the privacy page that states the periods."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from abuse import tasks as abuse_tasks
from abuse.models import SigningContext, SpikeAlert
from abuse.retention import delete_old_spike_evidence
from campaign.models import AuditEvent, OutboundEmail
from organise import tasks as organise_tasks
from organise.models import ImportJob, ImportReportLine
from organise.transfer import job as importer
from organise.transfer.parse import ImportFileError
from signatures import tasks
from signatures.models import Signature, Supporter
from signatures.services.retention import delete_withdrawn_signatures
from tests.factories import SignatureFactory, SupporterFactory, UserFactory

from .conftest import EMAIL, rows_mentioning

pytestmark = pytest.mark.django_db

CSV = "full_name,email,field_of_work,country\nAda Ink,ada@example.org,writer,FR\nBad,,writer,FR\n"


def _withdraw(signature: Signature) -> None:
    from signatures.services import withdraw_signature_of

    withdraw_signature_of(signature_id=signature.pk)


# --- Withdrawn signatures ------------------------------------------------------------------


def test_withdrawn_signatures_go_after_the_period_with_their_signer(campaign, sign_up, clock):
    zoe = sign_up()
    _withdraw(zoe)
    kept = sign_up(email="kept@example.org", full_name="Kept Confirmed")
    clock.travel(days=29, hours=23)
    tasks.delete_withdrawn_signatures.delay()
    assert Signature.objects.filter(pk=zoe.pk).exists()

    clock.travel(hours=2)
    tasks.delete_withdrawn_signatures.delay()
    assert not Signature.objects.filter(pk=zoe.pk).exists()
    assert not Supporter.objects.filter(email=EMAIL).exists()
    assert rows_mentioning(EMAIL, "Quillfeather") == []
    assert Signature.objects.get(pk=kept.pk).status == Signature.Status.CONFIRMED
    assert OutboundEmail.objects.filter(recipient="kept@example.org").exists()
    event = AuditEvent.objects.get(action="retention.withdrawn_deleted")
    assert event.data == {"signatures": 1, "supporters": 1}

    assert delete_withdrawn_signatures().signatures == 0  # a second run changes nothing
    assert AuditEvent.objects.filter(action="retention.withdrawn_deleted").count() == 1


def test_a_signer_with_another_signature_stays_and_the_period_follows_the_setting(
    campaign, clock, settings
):
    from tests.factories import CampaignFactory

    settings.WITHDRAWN_RETENTION_DAYS = 5
    supporter = SupporterFactory(user=UserFactory())
    signature = SignatureFactory(campaign=campaign, supporter=supporter, confirmed=True)
    other = SignatureFactory(campaign=CampaignFactory(slug="second-appeal"), supporter=supporter)
    pending = SignatureFactory(campaign=campaign)  # not withdrawn: not this rule's business
    _withdraw(signature)
    clock.travel(days=4)
    assert delete_withdrawn_signatures().signatures == 0
    clock.travel(days=2)
    result = delete_withdrawn_signatures()
    assert (result.signatures, result.supporters) == (1, 0)
    assert Supporter.objects.get(pk=supporter.pk).user_id is not None
    assert set(Signature.objects.values_list("pk", flat=True)) == {other.pk, pending.pk}


def test_the_account_confirming_gave_goes_with_the_signer(campaign, sign_up, clock):
    from django.contrib.auth import get_user_model

    zoe = sign_up()
    user_id = Supporter.objects.get(pk=zoe.supporter_id).user_id
    assert user_id is not None
    _withdraw(zoe)
    clock.travel(days=31)
    assert delete_withdrawn_signatures().supporters == 1
    assert not get_user_model().objects.filter(pk=user_id).exists()


# --- Imports -------------------------------------------------------------------------------


def _import(campaign, *, dry_run: bool = False, finish: bool = True) -> ImportJob:
    job = importer.start_import(
        campaign=campaign,
        file_name="paper.csv",
        text=CSV,
        source_label="Fair",
        run=False,
        dry_run=dry_run,
    )
    if finish:
        while importer.continue_import(job_id=job.pk, seconds=60):
            pass
    return ImportJob.objects.get(pk=job.pk)


def test_import_files_dry_run_files_and_reports_go_after_their_periods(campaign, clock):
    done = _import(campaign)
    dry = _import(campaign, dry_run=True)
    stalled = _import(campaign, finish=False)
    assert done.csv_text == "" and dry.csv_text == CSV and stalled.csv_text == CSV
    assert ImportReportLine.objects.filter(job=done).exists()
    assert ImportReportLine.objects.filter(job=dry).exists()

    clock.travel(days=6, hours=23)
    assert importer.forget_old_import_files() == importer.ImportFilesForgotten(0, 0, 0)
    clock.travel(hours=2)  # the dry run's file goes after 7 days: it can no longer run
    assert importer.forget_old_import_files().dry_run_files == 1
    dry.refresh_from_db()
    assert dry.csv_text == "" and dry.status == ImportJob.Status.DONE
    with pytest.raises(ImportFileError):
        importer.run_for_real(job=dry, actor=None)

    clock.travel(days=7)  # 14 days: the import that never finished stops and loses its file
    organise_tasks.forget_old_import_files.delay()
    stalled.refresh_from_db()
    assert stalled.csv_text == "" and stalled.status == ImportJob.Status.FAILED
    assert "14" in stalled.failure
    assert ImportReportLine.objects.filter(job=done).exists()

    clock.travel(days=76)  # 90 days: the reports, which name addresses, go; the jobs stay
    assert importer.forget_old_import_files().report_lines == 2
    assert not ImportReportLine.objects.exists()
    assert ImportJob.objects.count() == 3
    assert importer.forget_old_import_files() == importer.ImportFilesForgotten(0, 0, 0)


# --- Spike evidence -------------------------------------------------------------------------


def test_spike_evidence_goes_after_the_period_and_held_signatures_stay_held(campaign, clock):
    signature = SignatureFactory(campaign=campaign, status="pending")
    now = timezone.now()
    alert = SpikeAlert.objects.create(
        kind=SpikeAlert.Kind.DOMAIN,
        key="burst.example",
        first_seen_at=now,
        last_seen_at=now,
        window_seconds=600,
        sample_names=["Ada Ink"],
        signature_count=1,
        held_count=1,
    )
    SigningContext.objects.create(
        signature=signature, email_domain="burst.example", spike_alert=alert
    )
    Signature.objects.filter(pk=signature.pk).update(hold_reason="Burst from burst.example")
    recent = SpikeAlert.objects.create(
        kind=SpikeAlert.Kind.DOMAIN,
        key="later.example",
        first_seen_at=now,
        last_seen_at=now + timezone.timedelta(days=2),
        window_seconds=600,
    )
    clock.travel(days=89)
    assert delete_old_spike_evidence() == 0
    clock.travel(days=1, minutes=1)
    abuse_tasks.delete_old_spike_evidence.delay()
    assert list(SpikeAlert.objects.all()) == [recent]
    assert SigningContext.objects.get(pk=signature.pk).spike_alert is None
    assert Signature.objects.get(pk=signature.pk).hold_reason == "Burst from burst.example"
    assert delete_old_spike_evidence() == 0


# --- Beat and the privacy page ----------------------------------------------------------------


def test_beat_runs_every_retention_task():
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "signatures.tasks.delete_withdrawn_signatures",
        "organise.tasks.forget_old_import_files",
        "abuse.tasks.delete_old_spike_evidence",
    } <= scheduled


@pytest.mark.parametrize("language,path", [("en", "/en/privacy/"), ("fr", "/fr/confidentialite/")])
def test_the_privacy_page_states_the_new_periods(client, campaign, settings, language, path):
    settings.WITHDRAWN_RETENTION_DAYS = 41
    settings.IMPORT_FILE_RETENTION_DAYS = 42
    settings.IMPORT_DRY_RUN_RETENTION_DAYS = 43
    settings.IMPORT_REPORT_RETENTION_DAYS = 44
    settings.SPIKE_EVIDENCE_RETENTION_DAYS = 45
    html = client.get(path).content.decode()
    for days in (41, 42, 43, 44, 45):
        assert re.search(rf"\b{days} (days|jours)\b", html), days
    if language == "fr":
        assert "Une signature retirée est supprimée 41 jours après son retrait" in html
