"""The outbox: emails delivered per second by one Celery worker, against raw smtplib."""

from __future__ import annotations

import datetime
import smtplib
import time
from collections import Counter

from . import report
from .context import (
    OUTBOX_MIN_RATIO,
    Bench,
    CpuMeter,
    mail_records,
    server_cpu_ms,
)
from .pyspy import finish_profiler, start_profiler
from .stack import (
    wait_until,
)

# --- The outbox ---------------------------------------------------------------------------------


def outbox_scenario(bench: Bench) -> None:
    """Emails delivered per second by one Celery worker, against a raw smtplib loop to the
    same SMTP server, for the same messages."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.db import transaction

    from campaign.models import OutboundEmail
    from campaign.services import queue_batch_delivery

    n = bench.args.outbox_emails
    template = (
        OutboundEmail.objects.filter(kind="confirm_signature", status="sent")
        .exclude(text_body="(seeded)")
        .order_by("-id")
        .first()
    )
    if template is None:
        bench.say("  no real confirmation email to copy: outbox scenario skipped")
        return
    stamp = int(time.time())

    # Baseline: a raw smtplib loop, one connection, the same message.
    message = EmailMultiAlternatives(
        subject=template.subject,
        body=template.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=["raw@example.org"],
        headers={"Message-ID": template.message_id},
    )
    if template.html_body:
        message.attach_alternative(template.html_body, "text/html")
    data = message.message().as_bytes(linesep="\r\n")  # as Django's SMTP backend sends it
    bench.say(f"Outbox: {n:,} messages by a raw smtplib loop, then by one Celery worker")
    for name, per_message in (
        ("outbox: raw smtplib loop, 1 connection", False),
        ("outbox: raw smtplib, 1 connection per message", True),
    ):
        latencies = []
        started = time.perf_counter()
        smtp = None if per_message else smtplib.SMTP("127.0.0.1", bench.smtp_port)
        for i in range(n):
            t0 = time.perf_counter()
            if per_message:
                with smtplib.SMTP("127.0.0.1", bench.smtp_port) as conn:
                    conn.sendmail(
                        settings.DEFAULT_FROM_EMAIL, [f"raw-{stamp}-{i}@example.org"], data
                    )
            else:
                smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [f"raw-{stamp}-{i}@example.org"], data)
            latencies.append((time.perf_counter() - t0) * 1000)
        if smtp is not None:
            smtp.quit()
        row = report.latency_figures(
            name,
            unit="emails/s",
            latencies_ms=latencies,
            errors=0,
            seconds=time.perf_counter() - started,
        )
        bench.rows.append(row)
        bench.say(f"  {name}: {row.rate:,.0f} emails/s")

    # The outbox: rows queued as enqueue_email leaves them, then handed to the worker as its
    # commit hook does (queue_batch_delivery: one debounced delivery run, not a task per row).
    prefix = f"outbox-{stamp}-"
    now = datetime.datetime.now(tz=datetime.UTC)
    with transaction.atomic():
        OutboundEmail.objects.bulk_create(
            [
                OutboundEmail(
                    recipient=f"{prefix}{i}@example.org",
                    language=template.language,
                    kind=template.kind,
                    subject=template.subject,
                    text_body=template.text_body,
                    html_body=template.html_body,
                    headers={},
                    message_id=f"<{prefix}{i}@bench.invalid>",
                    dedup_key=f"{prefix}{i}",
                    next_attempt_at=now,
                )
                for i in range(n)
            ]
        )
    profiler = start_profiler(bench, "celery worker", "outbox") if bench.args.profile else None
    meter = CpuMeter(bench)
    meter.start()
    published = time.time()
    queue_batch_delivery()
    publish_seconds = time.time() - published

    def arrived() -> list[dict] | None:
        records = [r for r in mail_records() if r["to"] and r["to"][0].startswith(prefix)]
        return records if len(records) >= n else None

    try:
        records = wait_until(
            arrived, timeout=max(60, n / 10), what="the outbox to deliver", interval=0.5
        )
    except TimeoutError:
        records = [r for r in mail_records() if r["to"] and r["to"][0].startswith(prefix)]
    cpu = meter.stop()
    if profiler is not None:
        finish_profiler(bench, profiler, "outbox", "the Celery worker delivering the outbox")
    times = sorted(r["t"] for r in records)
    seconds = (times[-1] - published) if times else float("nan")
    row = report.Figures(
        name="outbox: one Celery worker",
        unit="emails/s",
        count=len(records),
        errors=n - len(records),
        seconds=seconds,
        baseline="outbox: raw smtplib loop, 1 connection",
    )
    row.extra.update({"publish_seconds": round(publish_seconds, 2), "cpu": cpu})
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    bench.rows.append(row)
    report.apply_baselines(bench.rows)
    report.check_target(row, min_ratio=OUTBOX_MIN_RATIO)
    per_connection = next(
        r for r in bench.rows if r.name == "outbox: raw smtplib, 1 connection per message"
    )
    per_connection.baseline = "outbox: raw smtplib loop, 1 connection"
    report.apply_baselines(bench.rows)
    doubled = [k for k, v in Counter(r["message_id"] for r in records).items() if v > 1]
    bench.check(
        "outbox: every message delivered exactly once",
        len(records) == n and not doubled,
        f"{len(records):,} of {n:,}",
    )
    bench.say(
        f"  one worker: {row.rate:,.0f} emails/s (published in {publish_seconds:.1f} s); CPU {cpu}"
    )
