"""Plans PostgreSQL can use for the queries a surge repeats (docs/performance.md): they must be
able to start where they are needed, not read everything before. Sequential scans are switched
off so that the plan shows what the indexes allow, whatever the size of the test tables; the
benchmark (``make bench``) checks the plans PostgreSQL actually picks on 100,000 supporters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatures.selectors import DirectoryFilters, directory_page
from signatures.services import ensure_account
from tests.conftest import need_service
from tests.factories import SignatureFactory, SupporterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    need_service("PostgreSQL (query plans)", connection.vendor == "postgresql")


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def last_query(action) -> str:
    with CaptureQueriesContext(connection) as captured:
        action()
    return captured.captured_queries[-1]["sql"]


def test_a_deep_directory_page_starts_at_its_cursor(launched_campaign):
    for _ in range(40):
        SignatureFactory(campaign=launched_campaign, confirmed=True)
    first = directory_page(campaign=launched_campaign, filters=DirectoryFilters(), size=10)

    sql = last_query(
        lambda: directory_page(
            campaign=launched_campaign,
            filters=DirectoryFilters(),
            cursor=first.next_cursor,
            size=10,
        )
    )
    plan = plan_of(sql)

    assert "signature_directory" in plan
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "confirmed_at" in index_condition, plan


def test_confirming_finds_the_account_address_by_index(launched_campaign):
    supporter = SupporterFactory(email="Mixed.Case@example.org")
    sql = next(
        q
        for q in _queries(lambda: ensure_account(supporter=supporter))
        if "account_emailaddress" in q and q.startswith("SELECT")
    )
    plan = plan_of(sql)
    assert "account_emailaddress_upper_email" in plan, plan


def _queries(action) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [q["sql"] for q in captured.captured_queries]


def test_a_search_finds_the_names_by_index_then_their_signatures_in_order(launched_campaign):
    for n in range(30):
        name = f"Ada Lovelace {n}" if n % 3 == 0 else f"Grace Hopper {n}"
        SignatureFactory(
            campaign=launched_campaign, supporter=SupporterFactory(full_name=name), confirmed=True
        )
    with CaptureQueriesContext(connection) as captured:
        page = directory_page(
            campaign=launched_campaign, filters=DirectoryFilters(query="lovelace"), size=5
        )
    names, signatures = (query["sql"] for query in captured.captured_queries)

    assert len(page.entries) == 5
    assert "supporter_search_name_trgm" in plan_of(names)
    # The signatures' query tests no name: it takes the ids the first one found.
    assert "search_name" not in signatures
    assert "signature_directory" in plan_of(signatures)
