"""Keyset pages over rows tied on their moment (issue 15): an import gives thousands of rows one
``signed_at``. The cursor is compared as a row, ``(moment, id) < (cursor moment, cursor id)``,
so a page starts at its cursor among the ties instead of reading them all again: one query a
page, and (PostgreSQL) an index scan whose condition is the row comparison, removing nothing."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign import keyset
from signatures.models import Signature, Supporter
from signatures.selectors import DirectoryFilters, directory_page

pytestmark = pytest.mark.django_db

TIED = 5_000
MOMENT = datetime.datetime(2026, 3, 14, 12, 0, tzinfo=datetime.UTC)
ROW_COMPARISON = '("signatures_signature"."{field}", "signatures_signature"."id") <'


@pytest.fixture
def tied(launched_campaign) -> list[int]:
    """``TIED`` counted signatures made, confirmed and listed at one moment (as an import
    writes them); their ids."""
    supporters = Supporter.objects.bulk_create(
        Supporter(
            email=f"tied{n}@example.org",
            email_key=f"tied{n}@example.org",
            full_name=f"Tied Signer{n}",
            field_of_work="writer",
            country="FR",
            slug=f"tied-signer{n}",
            public_id=f"tied{n:08d}",
        )
        for n in range(TIED)
    )
    signatures = Signature.objects.bulk_create(
        Signature(
            campaign=launched_campaign,
            supporter=supporter,
            status=Signature.Status.CONFIRMED,
            confirmed_at=MOMENT,
            agreed_at=MOMENT,
            consent_recorded_at=MOMENT,
            source=Signature.Source.IMPORT,
        )
        for supporter in supporters
    )
    Signature.objects.filter(campaign=launched_campaign).update(created_at=MOMENT)
    return sorted((s.pk for s in signatures), reverse=True)


def deep_page_sql(queryset, tied: list[int]) -> str:
    """The query of the page after the 4,000th of the tied rows, as the database ran it."""
    cursor = keyset.encode_cursor(MOMENT, tied[3999])
    with CaptureQueriesContext(connection) as captured:
        keyset.page(queryset, cursor=cursor, size=250)
    return captured.captured_queries[-1]["sql"]


def walk(first_page, next_page) -> tuple[list[int], int]:
    """Every id, page after page, and how many queries it took."""
    seen, pages = [], 0
    with CaptureQueriesContext(connection) as captured:
        current = first_page()
        while True:
            pages += 1
            seen += [row.pk for row in current.entries]
            if not current.next_cursor:
                break
            current = next_page(current.next_cursor)
    assert len(captured.captured_queries) == pages  # one query a page, at any depth
    return seen, pages


def test_the_back_office_pages_through_5000_tied_rows(launched_campaign, tied):
    queryset = Signature.objects.filter(campaign=launched_campaign)

    seen, pages = walk(
        lambda: keyset.page(queryset, size=250),
        lambda cursor: keyset.page(queryset, cursor=cursor, size=250),
    )

    assert seen == tied and pages == TIED // 250
    assert ROW_COMPARISON.format(field="created_at") in deep_page_sql(queryset, tied)


def test_the_directory_pages_through_5000_tied_rows(launched_campaign, tied):
    def page(cursor=""):
        return directory_page(
            campaign=launched_campaign, filters=DirectoryFilters(), cursor=cursor, size=250
        )

    seen, pages = walk(page, page)

    assert seen == tied and pages == TIED // 250


def test_oldest_first_pages_through_ties_too(launched_campaign, tied):
    queryset = Signature.objects.filter(campaign=launched_campaign)

    seen, _pages = walk(
        lambda: keyset.page(queryset, size=1000, newest_first=False),
        lambda cursor: keyset.page(queryset, cursor=cursor, size=1000, newest_first=False),
    )

    assert seen == sorted(tied)


def test_postgresql_seeks_to_the_cursor_among_the_ties(launched_campaign, tied):
    from tests.conftest import need_service

    need_service("PostgreSQL (query plans)", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signatures_signature")
    sql = deep_page_sql(Signature.objects.filter(campaign=launched_campaign), tied)

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "signature_recent" in plan, plan
    condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "ROW(created_at, id) < ROW(" in condition, plan
    assert "Rows Removed by Filter" not in plan, plan  # the 4,000 ties before are not read
