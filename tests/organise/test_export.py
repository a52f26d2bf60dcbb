"""The signatories' CSV export: the list's filters, escaped formulas, email addresses only for
people allowed to see them, an audit event each time, and a stream whose memory stays flat."""

from __future__ import annotations

import csv
import datetime
import io
import tracemalloc

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.models import AuditEvent
from organise.roles import Action
from organise.transfer import exports
from signatures.models import Signature, Supporter
from tests.factories import SignatureFactory, SupporterFactory

from .conftest import log_in, make_person

pytestmark = pytest.mark.django_db

URL = "/organise/export/signatories.csv"


def read(response) -> tuple[str, list[dict[str, str]]]:
    """The raw text and the rows (as dicts by heading) of a streamed CSV response."""
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="signatories-')
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def signatories(campaign):
    """A confirmed musician with formulas in every free-text field, a pending writer and an
    imported actor."""
    trap = SupporterFactory(
        email="trap@example.org",
        full_name='=HYPERLINK("http://evil.example")',
        known_for="+33 6 12 34 56 78",
        link="https://example.org/trap",
        field_of_work="musician",
        country="FR",
    )
    SignatureFactory(
        campaign=campaign,
        supporter=trap,
        confirmed=True,
        comment="@SUM(A1:A9)",
        wants_updates=True,
    )
    writer = SupporterFactory(email="writer@example.org", full_name="Wren Writer")
    SignatureFactory(campaign=campaign, supporter=writer)
    actor = SupporterFactory(
        email="actor@example.org", full_name="Aïcha Actrice", field_of_work="actor", country="MA"
    )
    SignatureFactory(
        campaign=campaign,
        supporter=actor,
        confirmed=True,
        source="import",
        source_detail="-Paper, Lyon",
    )
    return {"trap": trap, "writer": writer, "actor": actor}


def test_an_organiser_exports_every_signatory_with_emails_and_formulas_escaped(
    organiser_client, signatories
):
    text, rows = read(organiser_client.get(URL))

    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads accents"
    assert list(rows[0]) == [
        "Public id",
        "Name",
        "Name display",
        "Field of work",
        "Country",
        "Known for",
        "Link",
        "Verified",
        "Status",
        "Review",
        "Source",
        "Source details",
        "Signed at",
        "Confirmed at",
        "Wants updates",
        "Comment",
        "Comment hidden",
        "Email",
    ]
    by_email = {row["Email"]: row for row in rows}
    assert set(by_email) == {"trap@example.org", "writer@example.org", "actor@example.org"}
    trap = by_email["trap@example.org"]
    assert trap["Name"] == '\'=HYPERLINK("http://evil.example")'
    assert trap["Known for"] == "'+33 6 12 34 56 78"
    assert trap["Comment"] == "'@SUM(A1:A9)"
    assert trap["Public id"] == signatories["trap"].public_id
    assert (trap["Field of work"], trap["Country"], trap["Status"]) == (
        "Musician",
        "France",
        "Confirmed",
    )
    assert trap["Wants updates"] == "yes" and trap["Verified"] == "no"
    actor = by_email["actor@example.org"]
    assert actor["Name"] == "Aïcha Actrice"
    assert (actor["Source"], actor["Source details"]) == ("Imported", "'-Paper, Lyon")
    assert '"\'=HYPERLINK(""http://evil.example"")"' in text, "every cell quoted"

    event = AuditEvent.objects.get(action="signatories.exported")
    assert event.actor == organiser_client.user
    assert event.data == {"filters": {}, "emails_included": True}


def test_the_export_follows_the_signatory_lists_filters(organiser_client, signatories):
    _text, rows = read(organiser_client.get(URL, {"status": "confirmed", "source": "import"}))
    assert [row["Email"] for row in rows] == ["actor@example.org"]

    _text, rows = read(organiser_client.get(URL, {"field_of_work": "musician", "country": "FR"}))
    assert [row["Email"] for row in rows] == ["trap@example.org"]

    _text, rows = read(organiser_client.get(URL, {"q": "writer@example.org"}))
    assert [row["Name"] for row in rows] == ["Wren Writer"]

    _text, rows = read(organiser_client.get(URL, {"status": "no-such-status", "q": "aicha"}))
    assert [row["Name"] for row in rows] == ["Aïcha Actrice"], "a bad filter is ignored"

    events = AuditEvent.objects.filter(action="signatories.exported").order_by("id")
    assert [event.data["filters"] for event in events] == [
        {"status": "confirmed", "source": "import"},
        {"field_of_work": "musician", "country": "FR"},
        {"query": "writer@example.org"},
        {"query": "aicha"},
    ]


def test_signed_dates_filter_the_export(organiser_client, campaign, signatories):
    old = SignatureFactory(campaign=campaign, confirmed=True)
    Signature.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2025, 1, 10, 12))
    )
    _text, rows = read(organiser_client.get(URL, {"signed_to": "2025-01-31"}))
    assert [row["Email"] for row in rows] == [old.supporter.email]
    assert rows[0]["Signed at"] == "2025-01-10T12:00:00+00:00"


def test_a_superuser_gets_email_addresses_too(client_as, signatories):
    _text, rows = read(client_as("superuser").get(URL))
    assert {row["Email"] for row in rows} == {
        "trap@example.org",
        "writer@example.org",
        "actor@example.org",
    }


def test_email_addresses_follow_the_personal_data_permission(client, signatories):
    """Only Organisers may export, and they see addresses; a role made later with the export
    but without personal data gets the file without the column (and cannot search by email)."""
    exporters = Group.objects.create(name="Exporters")
    exporters.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="organise",
            codename__in=[Action.VIEW.value, Action.EXPORT.value],
        )
    )
    person = make_person("Exporters")
    log_in(client, person)

    text, rows = read(client.get(URL))

    assert len(rows) == 3
    assert "Email" not in rows[0] and "@example.org" not in text
    _text, rows = read(client.get(URL, {"q": "trap@example.org"}))
    assert rows == [], "an address is not a search term for them"
    event = AuditEvent.objects.filter(action="signatories.exported").first()
    assert event.data["emails_included"] is False


@pytest.mark.parametrize("role", ["Moderator", "Viewer"])
def test_people_who_may_not_export_are_refused(client_as, signatories, role):
    response = client_as(role).get(URL)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="signatories.exported").exists()


def test_the_import_page_links_to_the_export_of_imported_signatories(organiser_client):
    html = organiser_client.get("/organise/imports/").content.decode()
    assert f'href="{URL}?source=import"' in html


class Sql(str):
    """An SQL expression for ``_insert_select`` (any other value is a parameter)."""


def _insert_select(model, values: dict, source: str, *, before=(), after=()) -> None:
    """``INSERT INTO <model> <source>``, ``source`` being a SELECT with ``{select}`` where the
    column values go, and its own parameters ``before`` and ``after`` them: rows generated by
    the database itself.
    Columns not in ``values`` take the field's default, so a field added later needs nothing
    here."""
    now = timezone.now()
    columns, expressions, arguments = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = values.get(field.name, now if automatic else field.get_default())
        columns.append(connection.ops.quote_name(field.column))
        if isinstance(value, Sql):
            expressions.append(value)
        else:
            expressions.append("%s")
            arguments.append(field.get_db_prep_save(value, connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"{source.format(select=', '.join(expressions))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*before, *arguments, *after])


def _seed(campaign, count: int, *, batch: int = 1000) -> None:
    """``count`` confirmed signatures, one in a thousand with a formula, newest first in
    batches of ``batch`` that share a signing time. The database writes them itself
    (``INSERT … SELECT`` over a counter): the ORM's bulk_create would take longer than the
    export it is there to test. Then ANALYZE, as autovacuum would after such an insert."""
    counter = (
        "WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < %s) "
    )
    _insert_select(
        Supporter,
        {
            "email": Sql("'bulk' || n || '@example.org'"),
            "email_key": Sql("'bulk' || n || '@example.org'"),
            "full_name": Sql("'Bulk Artist ' || n"),
            "search_name": Sql("'bulk artist ' || n"),
            "slug": Sql("'bulk-artist-' || n"),
            "public_id": Sql("'b' || n"),
            "known_for": Sql("CASE WHEN n - (n / 1000) * 1000 = 0 THEN '=1+1' ELSE '' END"),
            "field_of_work": "writer",
            "country": "FR",
        },
        counter + "SELECT {select} FROM counter",  # noqa: S608 (built from the model)
        before=(count,),
    )
    ids = Supporter.objects.filter(email_key__startswith="bulk").order_by("pk")
    first, last = ids.first().pk, ids.last().pk
    now = timezone.now()
    for number, start in enumerate(range(first, last + 1, batch)):
        signed = now - datetime.timedelta(minutes=number)
        _insert_select(
            Signature,
            {
                "campaign": campaign.pk,
                "supporter": Sql("id"),
                "status": "confirmed",
                "created_at": signed,
                "confirmed_at": signed,
                "language": "en",
                "agreed_at": signed,
                "consent_version": "bulk",
                "consent_recorded_at": signed,
            },
            "SELECT {select} FROM signatures_supporter WHERE id >= %s AND id < %s",
            after=(start, start + batch),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signatures_signature")
        cursor.execute("ANALYZE signatures_supporter")
    assert Signature.objects.filter(campaign=campaign).count() == count


def test_100000_rows_stream_in_chunks_with_flat_memory(organiser_client, campaign):
    """In the normal suite, about 15 s on SQLite or PostgreSQL. 100,000 rows are read 2,000
    at a time by keyset: no query fetches them all, none uses OFFSET. Memory is traced over
    ten chunks in the middle of the stream (tracing all of it would take minutes): what is
    still held after them is about one chunk, where keeping the rows would hold 20,000."""
    total, traced = 100_000, range(20, 30)
    _seed(campaign, total)
    response = organiser_client.get(URL)
    assert response.streaming

    rows = formulas = 0
    try:
        with CaptureQueriesContext(connection) as queries:
            for index, chunk in enumerate(response.streaming_content):
                if index == traced.start:
                    tracemalloc.start()
                text = chunk.decode("utf-8")
                rows += text.count("\n")
                formulas += text.count('"\'=1+1"')
                if index == traced.stop:
                    held, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
    finally:
        tracemalloc.stop()

    assert rows == total + 1, "every row and the headings"
    assert formulas == total // 1000, "escaped"
    selects = [q["sql"] for q in queries.captured_queries if "signatures_signature" in q["sql"]]
    assert len(selects) == total // exports.CHUNK_SIZE
    assert all(f"LIMIT {exports.CHUNK_SIZE + 1}" in sql for sql in selects)
    assert not any("OFFSET" in sql for sql in selects)
    megabytes = f"{held / 1e6:.1f} MB held, {peak / 1e6:.1f} MB at the peak"
    assert held < 5_000_000, megabytes
    assert peak < 15_000_000, megabytes
