"""Signing and confirming under load, the integrity checks, and py-spy while it runs."""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

from . import report
from .context import (
    SIGN_MAX_CPU_MS,
    SIGN_P95_MS,
    SIGNATURES_PER_SECOND,
    Bench,
    CpuMeter,
    figures_from,
    mail_records,
    run_load,
    server_cpu_ms,
)
from .pyspy import finish_profiler, start_profiler
from .stack import (
    wait_until,
)


def sign_scenario(bench: Bench, facts: dict) -> list[str]:
    from campaign.models import FieldOfWork

    bench.say(
        f"Signing for {bench.args.sign_seconds} s (concurrency {bench.args.sign_concurrency})"
    )
    prefix = f"surge-{int(time.time())}-"
    bench.notes["sign_prefix"] = prefix
    meter = CpuMeter(bench)
    meter.start()
    profilers = (
        [
            (start_profiler(bench, "gunicorn master", "sign"), "sign", "the gunicorn workers"),
            (
                start_profiler(bench, "celery worker", "sign-worker"),
                "sign-worker",
                "the Celery worker",
            ),
        ]
        if bench.args.profile
        else []
    )
    spec = {
        "kind": "sign",
        "email_prefix": prefix,
        "fields": [value for value, _label in FieldOfWork.choices],
        "countries": ["FR", "US", "GB", "DE", "CA", "BE", "ES", "IT", "JP", "BR"],
        "seconds": bench.args.sign_seconds,
        "concurrency": bench.args.sign_concurrency,
        "warmup_seconds": 0,
        "headers": {
            "X-Forwarded-Proto": "https",
            "Origin": "https://127.0.0.1:" + bench.web_url.rsplit(":", 1)[1],
            "User-Agent": "sii-bench",
        },
    }
    result = run_load(bench, "sign", spec)
    cpu = meter.stop(loader_cpu_seconds=result["cpu_seconds"])
    for profiler, name, whom in profilers:
        if profiler is not None:
            finish_profiler(bench, profiler, name, f"{whom} while people sign")
    row = figures_from("sign (POST /en/sign/)", result, unit="sig/s", baseline="baseline: /healthz")
    row.extra["cpu"] = cpu
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    bench.rows.append(row)
    report.apply_baselines(bench.rows)
    report.check_target(
        row, min_rate=SIGNATURES_PER_SECOND, max_p95=SIGN_P95_MS, max_cpu_ms=SIGN_MAX_CPU_MS
    )
    bench.say(
        f"  {row.count:,} accepted, {row.rate:,.1f}/s ({row.rate * 60:,.0f}/min), "
        f"p95 {row.p95:.0f} ms, {row.errors} errors"
    )
    bench.say(f"  CPU during signing: {cpu}")
    return result["accepted"]


def integrity_after_signing(bench: Bench, accepted: list[str]) -> dict[str, str]:
    """Every accepted signature stored (pending); every confirmation arrived exactly once.
    Returns {address: confirmation link}."""
    from campaign.models import OutboundEmail
    from signatures.models import Signature

    prefix = bench.notes["sign_prefix"]
    wanted = set(accepted)
    stored = set(
        Signature.objects.filter(supporter__email__startswith=prefix).values_list(
            "supporter__email", flat=True
        )
    )
    bench.check(
        "every accepted signature is stored",
        wanted <= stored,
        f"{len(wanted & stored):,} of {len(wanted):,}",
    )
    bench.check(
        "no signature stored without an answer",
        stored <= wanted,
        f"{len(stored - wanted)} stored but not acknowledged (requests cut by the load generator)"
        if stored - wanted
        else "",
    )
    started = time.perf_counter()

    def delivered() -> list[dict] | None:
        records = [r for r in mail_records() if any(to.startswith(prefix) for to in r["to"])]
        return records if len({to for r in records for to in r["to"]}) >= len(stored) else None

    try:
        records = wait_until(
            delivered, timeout=max(120, len(stored) / 20), what="the confirmations", interval=1
        )
    except TimeoutError:
        records = [r for r in mail_records() if any(to.startswith(prefix) for to in r["to"])]
    drain = time.perf_counter() - started
    bench.notes["confirmations_drained_after_signing_s"] = round(drain, 1)
    per_address = Counter(to for r in records for to in r["to"])
    missing = stored - set(per_address)
    doubled = [a for a, n in per_address.items() if n > 1]
    ids = Counter(r["message_id"] for r in records)
    bench.check(
        "every confirmation reached the SMTP server",
        not missing,
        f"{len(per_address):,} addresses, {len(missing)} missing, "
        f"the last {drain:.0f} s after signing stopped",
    )
    bench.check(
        "no confirmation arrived twice",
        not doubled and all(n == 1 for n in ids.values()),
        f"{len(doubled)} addresses twice",
    )
    statuses = Counter(
        OutboundEmail.objects.filter(recipient__startswith=prefix).values_list("status", flat=True)
    )
    bench.check("every outbox row is sent", set(statuses) == {"sent"}, dict(statuses).__repr__())
    return {r["to"][0]: r["confirm"] for r in records if r["confirm"]}


def confirm_scenario(bench: Bench, links: dict[str, str]) -> None:
    from campaign.models import Campaign
    from signatures.models import Signature
    from signatures.services import exact_signature_counts

    bench.say(f"Confirming {len(links):,} signatures by their emailed links")
    paths = [urlsplit(link).path for link in links.values()]
    meter = CpuMeter(bench)
    meter.start()
    result = run_load(
        bench,
        "confirm",
        {
            "kind": "visit",
            "urls": paths,
            "seconds": 600,
            "limit": len(paths),
            "warmup_seconds": 0,
            "concurrency": bench.args.sign_concurrency,
        },
    )
    row = figures_from("confirm (emailed link)", result, baseline="baseline: /healthz")
    cpu = meter.stop(loader_cpu_seconds=result["cpu_seconds"])
    row.extra["cpu"] = cpu
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    bench.rows.append(row)
    report.apply_baselines(bench.rows)
    bench.say(
        f"  {row.count:,} confirmed, {row.rate:,.1f}/s, p95 {row.p95:.0f} ms, {row.errors} errors"
    )
    prefix = bench.notes["sign_prefix"]
    confirmed = Signature.objects.filter(
        supporter__email__startswith=prefix, status="confirmed"
    ).count()
    bench.check(
        "every emailed link confirmed its signature",
        confirmed == len(links),
        f"{confirmed:,} of {len(links):,}",
    )
    campaign = Campaign.objects.get(slug="stealing-isnt-innovation")
    exact = exact_signature_counts().get(campaign.pk, 0)
    started = time.perf_counter()
    try:
        wait_until(
            lambda: Campaign.objects.get(pk=campaign.pk).signature_count == exact,
            timeout=30,
            what="the count job",
            interval=0.2,
        )
        lag = time.perf_counter() - started
        bench.check(
            "the public count caught up",
            True,
            f"{exact:,}, {lag:.1f} s after the last confirmation",
        )
        bench.notes["count_lag_after_confirming_s"] = round(lag, 1)
    except TimeoutError:
        stored = Campaign.objects.get(pk=campaign.pk).signature_count
        bench.check("the public count caught up", False, f"shows {stored:,}, exact {exact:,}")
