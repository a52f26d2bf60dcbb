"""CSV import: the service (rows, report, idempotence, consent, confirmation emails, the public
count, the audit trail) and the back office (upload → task → progress page → report)."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaign.models import AuditEvent, Campaign, LaunchSupporter, OutboundEmail
from organise.models import ImportJob, ImportReportLine
from organise.tasks import run_import
from organise.transfer import job as importer
from organise.transfer import parse
from signatures.models import Signature, Supporter
from tests.factories import SignatureFactory, SupporterFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
MIXED = (DATA / "mixed.csv").read_text(encoding="utf-8")
LABEL = "Paper forms, Lyon book fair"
Outcome = ImportReportLine.Outcome

# What the first import of mixed.csv reports, line by line: (line, outcome, column).
FIRST_REPORT = [
    (4, Outcome.ERROR, "email"),
    (5, Outcome.ERROR, "field_of_work"),
    (6, Outcome.ERROR, "full_name"),
    (7, Outcome.DUPLICATE, "email"),
    (8, Outcome.ERROR, "full_name"),
    (9, Outcome.UPDATED, "known_for"),
    (10, Outcome.WITHDRAWN, ""),
    (11, Outcome.UPDATED, ""),
    (13, Outcome.ERROR, "comment"),
]
REFUSED = [entry for entry in FIRST_REPORT if entry[1] in (Outcome.ERROR, Outcome.DUPLICATE)]


@pytest.fixture
def existing(campaign):
    """People the file names who are already known: Gil confirmed on the site (his profile is
    his own), Wanda withdrew, Hana has not confirmed yet."""
    gil = SupporterFactory(
        email="Gil@example.org",
        full_name="Gil Existing",
        field_of_work="writer",
        user=UserFactory(),
    )
    SignatureFactory(campaign=campaign, supporter=gil, confirmed=True)
    wanda = SupporterFactory(email="wanda@example.org", full_name="Wanda Withdrawn")
    SignatureFactory(
        campaign=campaign, supporter=wanda, status="withdrawn", withdrawn_at=timezone.now()
    )
    hana = SupporterFactory(
        email="hana@example.org",
        full_name="Hana Pending",
        field_of_work="photographer",
        country="JP",
    )
    SignatureFactory(campaign=campaign, supporter=hana)
    return {"gil": gil, "wanda": wanda, "hana": hana}


def run(campaign, text: str = MIXED, **options) -> ImportJob:
    """Import ``text`` to the end, in this process, as the task does."""
    options.setdefault("source_label", LABEL)
    job = importer.start_import(
        campaign=campaign, file_name="mixed.csv", text=text, run=False, **options
    )
    while importer.continue_import(job_id=job.pk, seconds=60):
        pass
    return ImportJob.objects.get(pk=job.pk)


def report(job: ImportJob) -> list[tuple]:
    return [(line.line, line.outcome, line.field) for line in job.report_lines.all()]


def reasons(job: ImportJob) -> dict[int, str]:
    return {line.line: line.reason for line in job.report_lines.all()}


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "rows": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
        "duplicates": job.duplicate_count,
        "withdrawn": job.withdrawn_count,
    }


def snapshot() -> list:
    """Everything an import may write about people and signatures."""
    supporters = list(Supporter.objects.order_by("pk").values())
    signatures = list(Signature.objects.order_by("pk").values())
    for row in supporters + signatures:
        row.pop("updated_at", None)
    return [supporters, signatures]


def test_first_import_creates_updates_and_reports_each_bad_row(
    campaign, existing, django_capture_on_commit_callbacks
):
    organiser = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = run(campaign, actor=organiser)

    assert job.status == ImportJob.Status.DONE
    assert counts(job) == {
        "rows": 12,
        "created": 3,
        "updated": 2,
        "unchanged": 0,
        "errors": 5,
        "duplicates": 1,
        "withdrawn": 1,
    }
    assert report(job) == FIRST_REPORT
    why = reasons(job)
    assert why[4] == "An email address cannot contain spaces."
    assert "“sculptor” is not a field of work" in why[5]
    assert why[6] == "This field is required."
    assert "line 2" in why[7]
    assert "formula" in why[8] and "formula" in why[13]
    assert "withdrew" in why[10]
    assert why[11] == "The pending signature is now confirmed."

    ada = Supporter.objects.get(email_key="ada@example.org")
    assert (ada.full_name, ada.field_of_work, ada.country.code) == ("Ada Lovelace", "writer", "GB")
    assert ada.link == "https://example.org/ada"
    signature = ada.signatures.get()
    signed = timezone.make_aware(datetime.datetime(2026, 3, 14))
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at == signed and signature.created_at == signed
    assert signature.source == Signature.Source.IMPORT and signature.source_detail == LABEL
    assert signature.wants_updates is True
    assert f"import {job.pk}" in signature.updates_consent_text
    assert LABEL in signature.updates_consent_text
    assert signature.consent_version == f"import:{job.pk}"
    assert signature.comment == "Consent matters"

    bruno = Supporter.objects.get(email_key="bruno@example.org")
    assert (bruno.field_of_work, bruno.country.code, bruno.name_display) == (
        "musician",
        "FR",
        "initial",
    )
    bruno_signature = bruno.signatures.get()
    assert bruno_signature.language == "fr" and bruno_signature.wants_updates is False
    assert bruno_signature.updates_consent_text == ""

    ivy = Supporter.objects.get(email_key="ivy@example.org")
    assert ivy.country.code == "TW"
    assert ivy.signatures.get().comment == 'Art, not "data".\nTwice over.'

    assert not Supporter.objects.filter(email_key__in=["fred@example.org", "jo@example.org"])
    assert not Supporter.objects.filter(full_name__startswith="=").exists()

    gil = Supporter.objects.get(pk=existing["gil"].pk)
    assert gil.known_for == "Films", "an empty field is filled in"
    assert gil.field_of_work == "writer", "a profile of the person's own keeps its values"
    wanda = Signature.objects.get(supporter=existing["wanda"])
    assert wanda.status == Signature.Status.WITHDRAWN
    assert Signature.objects.get(supporter=existing["hana"]).status == Signature.Status.CONFIRMED

    assert not OutboundEmail.objects.exists(), "imported signatures count without any email"
    campaign.refresh_from_db()
    assert campaign.signature_count == 5
    event = AuditEvent.objects.get(action="signatures.imported")
    assert event.actor == organiser
    assert event.data["file"] == "mixed.csv" and event.data["label"] == LABEL
    assert event.data["created"] == 3 and event.data["errors"] == 5
    assert AuditEvent.objects.count() == 1, "one event for the import, not one per row"
    assert ImportJob.objects.get(pk=job.pk).csv_text == "", "the file is not kept"


def test_the_same_file_again_changes_nothing(campaign, existing):
    run(campaign)
    before = snapshot()

    again = run(campaign)

    assert snapshot() == before
    assert counts(again) == {
        "rows": 12,
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "errors": 5,
        "duplicates": 1,
        "withdrawn": 1,
    }
    assert [entry for entry in report(again) if entry[1] != Outcome.WITHDRAWN] == REFUSED


def test_a_dry_run_writes_nothing_and_reports_what_the_import_does(campaign, existing):
    before = snapshot()

    dry = run(campaign, dry_run=True)

    assert snapshot() == before
    assert not AuditEvent.objects.exists()
    assert dry.status == ImportJob.Status.DONE and dry.csv_text, "kept to run it for real"
    real = run(campaign)
    assert counts(dry) == counts(real)
    assert [
        (line.line, line.outcome, line.field, line.reason) for line in dry.report_lines.all()
    ] == [(line.line, line.outcome, line.field, line.reason) for line in real.report_lines.all()]


def test_asking_for_confirmation_queues_one_email_per_new_signature(campaign, existing):
    job = run(campaign, ask_confirmation=True)

    created = Signature.objects.filter(source=Signature.Source.IMPORT)
    assert {s.status for s in created} == {Signature.Status.PENDING}
    assert sorted(created.values_list("supporter__email_key", flat=True)) == [
        "ada@example.org",
        "bruno@example.org",
        "ivy@example.org",
    ]
    emails = OutboundEmail.objects.filter(kind="confirm_signature")
    assert sorted(emails.values_list("recipient", "language")) == [
        ("ada@example.org", "en"),
        ("bruno@example.org", "fr"),
        ("ivy@example.org", "en"),
    ]
    assert job.emails_queued == 3
    assert Signature.objects.get(supporter=existing["hana"]).status == Signature.Status.PENDING
    campaign.refresh_from_db()
    assert campaign.signature_count == 0

    run(campaign, ask_confirmation=True)
    assert OutboundEmail.objects.count() == 3, "a second run sends nothing more"


def test_the_report_speaks_the_organisers_language(campaign):
    job = run(campaign, language="fr")
    assert reasons(job)[4] == "Une adresse e-mail ne peut pas contenir d’espaces."


def test_a_name_that_could_pass_for_a_protected_one_is_held(campaign):
    LaunchSupporter.objects.create(campaign=campaign, position=1, name="Famous Artist")
    text = "email,full_name,field_of_work,country\nfake@example.org,Famous Artist,actor,FR\n"

    job = run(campaign, text=text)

    signature = Signature.objects.get(supporter__email_key="fake@example.org")
    assert signature.moderation == Signature.Moderation.HELD
    assert job.created_count == 1 and job.held_count == 1
    assert report(job) == [(2, Outcome.HELD, "full_name")]


def test_semicolons_a_byte_order_mark_and_blank_lines(campaign):
    data = (
        "\ufeffE-mail;Name;Field of work;Country\r\n"
        "\r\n"
        "zoe@example.org;Zoé Ünal;Écrivain, écrivaine;Turquie\r\n"
    )
    text = parse.decode_csv(data.encode("utf-8"))

    job = run(campaign, text=text)

    assert counts(job)["created"] == 1 and job.total_rows == 1
    zoe = Supporter.objects.get(email_key="zoe@example.org")
    assert (zoe.full_name, zoe.field_of_work, zoe.country.code) == ("Zoé Ünal", "writer", "TR")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"email,full_name,country\nx@example.org,X Y,FR\n", "lacks these columns: field_of_work"),
        ("email,full_name\n".encode("utf-16"), "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_a_file_that_does_not_fit_is_refused_whole(data, message):
    with pytest.raises(parse.ImportFileError) as refused:
        parse.read_header(parse.decode_csv(data))
    assert message in str(refused.value.message)


def test_chunks_resume_where_they_stopped_and_a_second_task_does_nothing(campaign, existing):
    job = importer.start_import(
        campaign=campaign, file_name="mixed.csv", text=MIXED, source_label=LABEL, run=False
    )
    importer.import_step(job_id=job.pk, text=MIXED)  # the scan
    for _ in range(2):
        step = importer.import_step(job_id=job.pk, text=MIXED, max_rows=4)
    assert step.processed_rows == 8 and step.status == ImportJob.Status.RUNNING

    run_import(job.pk)  # the task goes on from there
    run_import(job.pk)  # and again: the job is finished, nothing happens

    job.refresh_from_db()
    assert report(job) == FIRST_REPORT
    assert job.created_count == 3 and job.processed_rows == 12
    assert Supporter.objects.count() == 6
    assert AuditEvent.objects.filter(action="signatures.imported").count() == 1


# --- The back office -------------------------------------------------------------------------


def upload(client, content: bytes = MIXED.encode(), name: str = "mixed.csv", **fields):
    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "source_label": LABEL,
        **fields,
    }
    return client.post("/organise/imports/", data)


def test_upload_task_progress_page_and_report(
    organiser_client, existing, django_capture_on_commit_callbacks
):
    page = organiser_client.get("/organise/imports/")
    assert page.status_code == 200
    assert 'type="file"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(organiser_client)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/organise/imports/{job.pk}/"
    assert job.status == ImportJob.Status.DONE and job.created_by == organiser_client.user
    detail = organiser_client.get(response["Location"])
    html = detail.content.decode()
    assert 'http-equiv="refresh"' not in html, "a finished import stops refreshing"
    assert 'value="100"' in html and "Finished" in html
    assert "12 of 12 rows done" in html
    assert "“sculptor” is not a field of work" in html
    assert "The same address is on line 2" in html
    assert Supporter.objects.filter(email_key="ada@example.org").exists()

    csv_response = organiser_client.get(f"/organise/imports/{job.pk}/report.csv")
    body = b"".join(csv_response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["Line", "Email", "Outcome", "Column", "Reason"]
    assert [(int(r[0]), r[3]) for r in rows[1:]] == [(line, f) for line, _o, f in FIRST_REPORT]
    assert rows[1][1] == "'=cmd|' /C calc'!A0", "a formula in the report is escaped"

    listing = organiser_client.get("/organise/imports/").content.decode()
    assert "mixed.csv" in listing and LABEL in listing


def test_the_progress_page_refreshes_itself_until_the_import_is_done(organiser_client, campaign):
    job = importer.start_import(
        campaign=campaign, file_name="mixed.csv", text=MIXED, source_label=LABEL, run=False
    )
    waiting = organiser_client.get(f"/organise/imports/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert "Waiting to start" in waiting

    importer.import_step(job_id=job.pk, text=MIXED)
    importer.import_step(job_id=job.pk, text=MIXED, max_rows=6)
    running = organiser_client.get(f"/organise/imports/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in running
    assert '<progress class="bo-progress" max="100" value="50"' in running
    assert "6 of 12 rows done (50 %)" in running
    assert 'href="?refresh=off"' in running

    quiet = organiser_client.get(f"/organise/imports/{job.pk}/?refresh=off").content.decode()
    assert 'http-equiv="refresh"' not in quiet, "refreshing can be turned off"
    assert "6 of 12 rows done (50 %)" in quiet


def test_a_stalled_import_can_be_resumed(
    organiser_client, campaign, django_capture_on_commit_callbacks
):
    job = importer.start_import(
        campaign=campaign, file_name="mixed.csv", text=MIXED, source_label=LABEL, run=False
    )
    ImportJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    page = organiser_client.get(f"/organise/imports/{job.pk}/").content.decode()
    assert "Go on with the import" in page and 'http-equiv="refresh"' not in page

    assert organiser_client.get(f"/organise/imports/{job.pk}/resume/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(f"/organise/imports/{job.pk}/resume/")

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 6


def test_a_dry_run_from_the_back_office_then_for_real(
    organiser_client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(organiser_client, dry_run="on", ask_confirmation="on")
    dry = ImportJob.objects.get()
    assert dry.dry_run and dry.status == ImportJob.Status.DONE
    html = organiser_client.get(response["Location"]).content.decode()
    assert "Dry run of mixed.csv" in html and "Import this file for real" in html
    assert not Supporter.objects.exists() and not OutboundEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(f"/organise/imports/{dry.pk}/run/")

    real = ImportJob.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == f"/organise/imports/{real.pk}/"
    assert not real.dry_run and real.ask_confirmation and real.created_count == 6
    assert OutboundEmail.objects.filter(kind="confirm_signature").count() == 6


def test_upload_mistakes_are_shown_and_what_was_typed_is_kept(organiser_client, settings):
    response = upload(organiser_client, content=b"email,name\nx@example.org,X\n")
    html = response.content.decode()
    assert response.status_code == 400
    assert "lacks these columns: field_of_work, country" in html
    assert f'value="{LABEL}"' in html
    assert not ImportJob.objects.exists()

    response = upload(organiser_client, content="email,nom\n".encode("utf-16"))
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()

    settings.IMPORT_MAX_BYTES = 100
    response = upload(organiser_client)
    assert response.status_code == 400 and "can be imported. Split it." in response.content.decode()

    response = organiser_client.post("/organise/imports/", {"source_label": ""})
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_an_upload_with_semicolons_and_a_bom(
    organiser_client, campaign, django_capture_on_commit_callbacks
):
    content = "\ufeffemail;full_name;field_of_work;country\nzoe@example.org;Zoé Ünal;writer;TR\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(organiser_client, content=content.encode("utf-8"), dry_run="")
    assert Supporter.objects.get(email_key="zoe@example.org").full_name == "Zoé Ünal"


@pytest.mark.parametrize("role", ["Moderator", "Viewer"])
def test_only_people_allowed_to_import_reach_the_import(client_as, campaign, role):
    client = client_as(role)
    job = importer.start_import(
        campaign=campaign, file_name="mixed.csv", text=MIXED, source_label=LABEL, run=False
    )
    assert client.get("/organise/imports/").status_code == 403
    assert upload(client).status_code == 403
    assert client.get(f"/organise/imports/{job.pk}/").status_code == 403
    assert client.get(f"/organise/imports/{job.pk}/report.csv").status_code == 403
    assert client.post(f"/organise/imports/{job.pk}/run/").status_code == 403
    assert ImportJob.objects.count() == 1


def test_the_list_of_imports_costs_the_same_whatever_its_length(
    organiser_client, campaign, django_assert_max_num_queries
):
    for n in range(30):
        ImportJob.objects.create(
            campaign=campaign, file_name=f"f{n}.csv", source_label=LABEL, csv_text=MIXED
        )
    with django_assert_max_num_queries(10):
        response = organiser_client.get("/organise/imports/")
    assert response.content.decode().count("f2") >= 1
    assert Campaign.objects.count() == 1
