"""Imported signatures get the screening signatures made on the site get (issue 15): each has a
signing context (source "import", the import, the organiser), so that the block lists, the
duplicate rule (same canonical address) and the impersonation guard cover them; and a chunk
costs one impersonation check, not one per row."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abuse.models import ListEntry, SigningContext
from abuse.services import record_signing_context
from campaign.models import LaunchSupporter
from organise.transfer import apply
from organise.transfer import job as importer
from organise.transfer.parse import ImportRow, parse_row
from signatures.models import Signature
from tests.factories import SignatureFactory, SupporterFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,field_of_work,country\n"
# The public ledger's statements: its log, its entries, a signature's commitment.
LEDGER = re.compile(r'"ledger_(log|entry)"|SET "ledger_')


def run(campaign, text: str, **options):
    options.setdefault("source_label", "Paper forms")
    job = importer.start_import(
        campaign=campaign, file_name="list.csv", text=HEADER + text, run=False, **options
    )
    while importer.continue_import(job_id=job.pk, seconds=60):
        pass
    job.refresh_from_db()
    return job


def signature_of(email: str) -> Signature:
    return Signature.objects.select_related("supporter").get(supporter__email=email)


def test_an_imported_signature_has_a_signing_context(campaign, django_capture_on_commit_callbacks):
    organiser = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = run(campaign, "ada.love@gmail.com,Ada Lovelace,writer,GB\n", actor=organiser)

    context = SigningContext.objects.get(signature=signature_of("ada.love@gmail.com"))
    assert context.source == Signature.Source.IMPORT
    assert context.import_reference == f"import:{job.pk}"
    assert context.organiser == organiser
    assert context.canonical_email == "adalove@gmail.com"
    assert context.email_domain == "gmail.com"
    assert context.ip is None
    assert context.screened_at is not None  # screened once the chunk committed


def test_the_block_list_applies_to_imported_rows(campaign, django_capture_on_commit_callbacks):
    ListEntry.objects.create(kind="domain", verdict="block", value="spam.example")
    with django_capture_on_commit_callbacks(execute=True):
        run(
            campaign, "eve@spam.example,Eve Spammer,writer,GB\nbob@example.org,Bob Ross,writer,US\n"
        )

    assert signature_of("eve@spam.example").moderation == Signature.Moderation.REJECTED
    assert signature_of("eve@spam.example").hold_reason == "Blocked email domain spam.example"
    assert signature_of("bob@example.org").moderation == Signature.Moderation.OK


def test_an_imported_duplicate_of_a_site_signature_does_not_count_twice(
    campaign, django_capture_on_commit_callbacks
):
    """The same Gmail mailbox signed on the site, then appears with dots in a list."""
    first = SignatureFactory(
        campaign=campaign, supporter=SupporterFactory(email="adalove@gmail.com"), confirmed=True
    )
    record_signing_context(signature_id=first.pk, ip="198.51.100.7")  # as signing does
    with django_capture_on_commit_callbacks(execute=True):
        run(campaign, "ada.love+paper@gmail.com,Ada Lovelace,writer,GB\n")

    copy = signature_of("ada.love+paper@gmail.com")
    assert copy.moderation == Signature.Moderation.REJECTED
    assert copy.hold_reason == f"Duplicate of signature {first.pk} (same canonical email)"


def test_an_import_from_one_domain_is_no_spike(
    campaign, settings, django_capture_on_commit_callbacks
):
    from abuse import spikes

    settings.ABUSE_SPIKE_DOMAIN_THRESHOLD = 2
    with django_capture_on_commit_callbacks(execute=True):
        run(campaign, "".join(f"p{n}@paper.example,Person Number{n},writer,FR\n" for n in range(3)))

    assert spikes.detect_spikes() == []
    assert Signature.objects.filter(moderation="ok").count() == 3


def test_a_dry_run_leaves_no_context(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run(campaign, "ada@example.org,Ada Lovelace,writer,GB\n", dry_run=True)

    assert not SigningContext.objects.exists()


def test_imported_impostors_are_held_against_names_from_the_file_and_the_site(campaign):
    LaunchSupporter.objects.create(campaign=campaign, name="Björk Guðmundsdóttir")
    SupporterFactory(full_name="Zadie Smith", verified_at=timezone.now())
    job = run(
        campaign,
        "a@example.org,Bjork Gudmundsdottir,musician,IS\n"
        "b@example.org,Zadie  SMITH,writer,GB\n"
        "c@example.org,Ordinary Person,writer,GB\n",
    )

    assert job.created_count == 3
    held = set(
        Signature.objects.filter(moderation="held").values_list("supporter__email", flat=True)
    )
    assert held == {"a@example.org", "b@example.org"}


# --- What a chunk costs ------------------------------------------------------------------------


def rows(n: int, start: int = 0) -> list[ImportRow]:
    parsed = [
        parse_row(
            {
                "email": f"p{i}@example.org",
                "full_name": f"Person Number{i}",
                "field_of_work": "writer",
                "country": "FR",
            },
            line=i + 2,  # fmt: skip
        )
        for i in range(start, start + n)
    ]
    assert all(isinstance(row, ImportRow) for row in parsed)
    return parsed


def looks_up(word: str, sql: str) -> bool:
    """Whether ``sql`` is a SELECT whose FROM or WHERE names ``word``."""
    return sql.startswith("SELECT") and word in sql.partition(" FROM ")[2]


def chunk_queries(campaign, n: int, start: int) -> list[str]:
    job = importer.start_import(
        campaign=campaign, file_name="x.csv", text=HEADER, source_label="x", run=False
    )
    tally = apply.Tally(job=job)
    with CaptureQueriesContext(connection) as captured:
        apply.write_rows(job, rows(n, start), tally)
    assert tally.created == n
    # The public ledger's own statements (another app's budget) are left out.
    return [q["sql"] for q in captured.captured_queries if not LEDGER.search(q["sql"])]


# Per new row: the supporter, the signature, its consent records, and the savepoint around
# the row (two statements). Per chunk: its savepoint (two statements), the lock of the known
# supporters (and of their signatures, when there are any), the impersonation check (launch
# names, protected names: two queries, where it was two per row), the signing contexts (the
# signatures' addresses, one insert).
PER_ROW = 5
PER_CHUNK = 7


def test_a_chunk_checks_impersonation_once_whatever_its_size(campaign):
    LaunchSupporter.objects.create(campaign=campaign, name="Björk Guðmundsdóttir")
    SupporterFactory(full_name="Zadie Smith", verified_at=timezone.now())
    chunk_queries(campaign, 1, start=1000)  # the campaign's ledger log is created once
    small = chunk_queries(campaign, 10, start=0)
    large = chunk_queries(campaign, 40, start=100)

    print(f"\nimport chunk queries: 10 rows → {len(small)}, 40 rows → {len(large)}")
    for queries in (small, large):
        assert sum(looks_up("name_skeleton", sql) for sql in queries) == 1
        assert sum(looks_up("launchsupporter", sql) for sql in queries) <= 1
    assert len(large) - len(small) == 30 * PER_ROW
    assert len(small) <= 10 * PER_ROW + PER_CHUNK
