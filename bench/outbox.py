"""The outbox: emails delivered per second by one Celery worker, against raw smtplib."""

from __future__ import annotations

import datetime
import smtplib
import time
from collections import Counter

from . import report
from .context import (
    OUTBOX_MIN_RATIO,
    PAIRED_ROUNDS,
    Bench,
    CpuMeter,
    mail_records,
    server_cpu_ms,
)
from .pyspy import finish_profiler, start_profiler
from .stack import (
    wait_until,
)

RAW_LOOP = "outbox: raw smtplib loop, 1 connection"
RAW_PER_MESSAGE = "outbox: raw smtplib, 1 connection per message"
WORKER = "outbox: one Celery worker"

# --- The outbox ---------------------------------------------------------------------------------


def outbox_scenario(bench: Bench) -> None:
    """Emails delivered per second by one Celery worker, against a raw smtplib loop to the
    same SMTP server, for the same messages. The target compares the two in interleaved
    rounds (raw loop, worker, raw loop, worker…), so that other work on the machine weighs on
    both alike, as for the pages."""
    from campaign.models import OutboundEmail

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
    data = raw_message(template)
    per_round = max(1, n // PAIRED_ROUNDS)
    bench.say(
        f"Outbox: {per_round * PAIRED_ROUNDS:,} messages by a raw smtplib loop and by one Celery "
        f"worker, in {PAIRED_ROUNDS} interleaved rounds"
    )
    per_message = raw_loop(bench, data, count=n, tag=f"{stamp}-c", per_message=True)
    profiler = start_profiler(bench, "celery worker", "outbox") if bench.args.profile else None
    raw_rounds, worker_rounds, records = [], [], []
    for round_ in range(PAIRED_ROUNDS):
        raw_rounds.append(raw_loop(bench, data, count=per_round, tag=f"{stamp}-{round_}"))
        figures, arrived = worker_round(bench, template, per_round, f"outbox-{stamp}-{round_}-")
        worker_rounds.append(figures)
        records += arrived
    if profiler is not None:
        finish_profiler(bench, profiler, "outbox", "the Celery worker delivering the outbox")

    raw = report.merge_figures(raw_rounds)
    row = report.merge_figures(worker_rounds)
    row.baseline = RAW_LOOP
    row.extra.update(
        {
            "cpu": [part.extra["cpu"] for part in worker_rounds],
            "publish_seconds": [part.extra["publish_seconds"] for part in worker_rounds],
            "rounds": [
                {"worker": w.rate, "raw": r.rate}
                for w, r in zip(worker_rounds, raw_rounds, strict=True)
            ],
        }
    )
    per_message.baseline = RAW_LOOP
    bench.rows += [raw, per_message, row]
    report.apply_baselines(bench.rows)
    report.check_target(row, min_ratio=OUTBOX_MIN_RATIO)
    expected = per_round * PAIRED_ROUNDS
    doubled = [k for k, v in Counter(r["message_id"] for r in records).items() if v > 1]
    bench.check(
        "outbox: every message delivered exactly once",
        len(records) == expected and not doubled,
        f"{len(records):,} of {expected:,}",
    )
    for figures in (raw, per_message, row):
        bench.say(f"  {figures.name}: {figures.rate:,.0f} emails/s")
    others = [part.extra["cpu"]["others_share"] for part in worker_rounds]
    bench.say(
        f"  ratio {row.ratio:.2f}; worker CPU {row.cpu_ms:.1f} ms per email; others' share of "
        f"the machine in the worker's rounds: {', '.join(f'{share:.0%}' for share in others)}"
    )


def raw_message(template) -> bytes:
    """``template`` as Django's SMTP backend would send it, built once."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        subject=template.subject,
        body=template.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=["raw@example.org"],
        headers={"Message-ID": template.message_id},
    )
    if template.html_body:
        message.attach_alternative(template.html_body, "text/html")
    return message.message().as_bytes(linesep="\r\n")


def raw_loop(
    bench: Bench, data: bytes, *, count: int, tag: str, per_message: bool = False
) -> report.Figures:
    """``count`` messages by smtplib alone, over one connection (or one per message)."""
    from django.conf import settings

    latencies = []
    started = time.perf_counter()
    smtp = None if per_message else smtplib.SMTP("127.0.0.1", bench.smtp_port)
    for i in range(count):
        t0 = time.perf_counter()
        recipients = [f"raw-{tag}-{i}@example.org"]
        if per_message:
            with smtplib.SMTP("127.0.0.1", bench.smtp_port) as conn:
                conn.sendmail(settings.DEFAULT_FROM_EMAIL, recipients, data)
        else:
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, recipients, data)
        latencies.append((time.perf_counter() - t0) * 1000)
    if smtp is not None:
        smtp.quit()
    return report.latency_figures(
        RAW_PER_MESSAGE if per_message else RAW_LOOP,
        unit="emails/s",
        latencies_ms=latencies,
        errors=0,
        seconds=time.perf_counter() - started,
    )


def worker_round(
    bench: Bench, template, count: int, prefix: str
) -> tuple[report.Figures, list[dict]]:
    """``count`` rows queued as enqueue_email leaves them (bulk-created), handed to the worker
    as its commit hook does (``queue_batch_delivery``: one debounced delivery run, not a task
    per row); timed from the hand-off to the last message at the SMTP server."""
    from django.db import transaction

    from campaign.models import OutboundEmail
    from campaign.outbox import queue_batch_delivery

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
                for i in range(count)
            ]
        )
    meter = CpuMeter(bench)
    meter.start()
    published = time.time()
    queue_batch_delivery()
    publish_seconds = time.time() - published

    def delivered() -> list[dict]:
        return [r for r in mail_records() if r["to"] and r["to"][0].startswith(prefix)]

    def all_delivered() -> list[dict] | None:
        records = delivered()
        return records if len(records) >= count else None

    try:
        records = wait_until(
            all_delivered, timeout=max(60, count / 10), what="the outbox to deliver", interval=0.5
        )
    except TimeoutError:
        records = delivered()
    cpu = meter.stop()
    times = sorted(r["t"] for r in records)
    figures = report.Figures(
        name=WORKER,
        unit="emails/s",
        count=len(records),
        errors=count - len(records),
        seconds=(times[-1] - published) if times else float("nan"),
    )
    figures.cpu_ms = server_cpu_ms(cpu, figures.count)
    figures.extra.update({"publish_seconds": round(publish_seconds, 3), "cpu": cpu})
    return figures, records
