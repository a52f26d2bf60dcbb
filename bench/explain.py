"""The query plans of everything a surge runs, on the seeded data (PostgreSQL).

Each action (a public page, signing, confirming, the worker's outbox and counting queries) is
run in-process, inside a transaction that is rolled back, while its SQL is captured; each
captured statement is then run again under ``EXPLAIN (ANALYZE, BUFFERS)``, in a transaction
that is rolled back too. So the plans are those of the code as it is, not of queries copied by
hand, and nothing is left behind.

    python -m bench.run --explain-only     (on the benchmark database, after seeding)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
SCAN = re.compile(
    r"(Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan)"
    r"(?: Backward)?(?: using (\S+))? on (\S+)"
)
BIG_TABLES = {
    "signatures_signature",
    "signatures_supporter",
    "campaign_outboundemail",
    "auth_user",
    "account_emailaddress",
}


class _Rollback(Exception):
    pass


@dataclass
class Plan:
    sql: str
    text: str
    execution_ms: float
    scans: list[tuple[str, str, str]]  # (kind, index, table)

    @property
    def seq_scans_on_big_tables(self) -> list[str]:
        return [
            table
            for kind, _index, table in self.scans
            if kind == "Seq Scan" and table in BIG_TABLES
        ]


@dataclass
class ActionPlans:
    name: str
    plans: list[Plan] = field(default_factory=list)

    @property
    def total_ms(self) -> float:
        return sum(plan.execution_ms for plan in self.plans)


def captured_statements(action: Callable[[], object]) -> list[str]:
    """The SQL ``action`` runs, captured inside a transaction that is then rolled back."""
    with CaptureQueriesContext(connection) as captured:
        try:
            with transaction.atomic():
                action()
                raise _Rollback
        except _Rollback:
            pass
    return [q["sql"] for q in captured.captured_queries if EXPLAINABLE.match(q["sql"])]


def explain(sql: str) -> Plan:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of ``sql``, rolled back whatever it does."""
    lines: list[str] = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
            raise _Rollback
    except _Rollback:
        pass
    text = "\n".join(lines)
    match = re.search(r"Execution Time: ([\d.]+) ms", text)
    return Plan(
        sql=sql,
        text=text,
        execution_ms=float(match.group(1)) if match else 0.0,
        scans=[(m.group(1), m.group(2) or "", m.group(3)) for m in SCAN.finditer(text)],
    )


def plans_of(name: str, action: Callable[[], object]) -> ActionPlans:
    result = ActionPlans(name)
    seen = set()
    for sql in captured_statements(action):
        if sql in seen:
            continue
        seen.add(sql)
        result.plans.append(explain(sql))
    return result


def _get(client: Client, path: str) -> Callable[[], object]:
    def action():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    return action


def explain_surge(
    *, campaign, deep_cursor: str, profile_slug: str, search: str
) -> list[ActionPlans]:
    """Plans of every query of the pages and jobs a signing surge runs."""
    from campaign.models import OutboundEmail
    from campaign.outbox import delivery, release_expired_leases
    from signatures import services, tokens
    from signatures.models import Signature, Supporter

    # As the load balancer would send them: a known host, TLS ended before us.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

    def sign():
        response = client.post(
            "/en/sign/",
            {
                "full_name": "Explain Plan",
                "email": "explain-plan@example.org",
                "field_of_work": "writer",
                "country": "FR",
                "name_display": "full",
                "agree": "on",
            },
        )
        assert response.status_code == 302, response.status_code

    def confirm():
        supporter = Supporter.objects.create(
            email="explain-confirm@example.org",
            full_name="Explain Confirm",
            field_of_work="writer",
            country="FR",
        )
        now = timezone.now()
        signature = Signature.objects.create(
            campaign=campaign,
            supporter=supporter,
            language="en",
            agreed_at=now,
            consent_version="x",
            consent_recorded_at=now,
        )
        response = client.get(f"/en/sign/confirm/{tokens.make_confirm_token(signature)}/")
        assert response.status_code == 200, response.status_code

    def claim_and_record():
        now = timezone.now()
        OutboundEmail.objects.create(
            recipient="explain@example.org",
            language="en",
            kind="confirm_signature",
            subject="s",
            text_body="t",
            message_id="<explain@bench>",
            dedup_key="explain:1",
            next_attempt_at=now,
        )
        claimed, _held = delivery._claim(OutboundEmail.objects.all(), limit=100, now=now)
        delivery._record_sent(claimed)

    def sweep():
        now = timezone.now()
        release_expired_leases(now=now)
        OutboundEmail.objects.overdue(now).order_by().values("pk")[:1000].count()

    return [
        plans_of("home", _get(client, "/en/")),
        plans_of("directory, first page", _get(client, "/en/supporters/")),
        plans_of("directory, page 1,000", _get(client, f"/en/supporters/?after={deep_cursor}")),
        plans_of(
            "directory, field + country",
            _get(client, "/en/supporters/?field=musician&country=DE"),
        ),
        plans_of("directory, verified only", _get(client, "/en/supporters/?verified=on")),
        plans_of("directory, rare country", _get(client, "/en/supporters/?country=UY")),
        plans_of(f"directory, search {search!r}", _get(client, f"/en/supporters/?q={search}")),
        plans_of("profile", _get(client, f"/en/supporters/{profile_slug}/")),
        plans_of("sign (POST)", sign),
        plans_of("confirm", confirm),
        plans_of("worker: claim and record an email", claim_and_record),
        plans_of("worker: outbox sweep", sweep),
        plans_of("worker: count refresh", services.exact_signature_counts),
    ]


def summary_lines(actions: list[ActionPlans]) -> list[str]:
    lines = []
    for action in actions:
        lines.append(
            f"{action.name}: {len(action.plans)} queries, {action.total_ms:.2f} ms in PostgreSQL"
        )
        for plan in action.plans:
            scans = (
                ", ".join(
                    f"{kind}{' ' + index if index else ''} on {table}"
                    for kind, index, table in plan.scans
                )
                or "no table scan"
            )
            warn = "  <-- sequential scan of a big table" if plan.seq_scans_on_big_tables else ""
            lines.append(f"    {plan.execution_ms:8.3f} ms  {scans}{warn}")
    return lines


def full_report(actions: list[ActionPlans]) -> str:
    parts = []
    for action in actions:
        parts.append(f"=== {action.name} ===")
        for plan in action.plans:
            parts.append(plan.sql)
            parts.append(plan.text)
            parts.append("")
    return "\n".join(parts)
