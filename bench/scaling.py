"""How signing scales with the processes given to it: the Procfile stack restarted with 1 and 2
gunicorn processes and 1 and 2 Celery worker processes, people signing against each for the
same time as the main signing scenario, each signature's confirmation awaited at the SMTP
server. Every row gives the rate, the latencies and the server CPU per signature by part;
the ratio compares each with one web process and one worker process.

Run last: the stack the other scenarios measured (``gunicorn.conf.py``'s workers, Celery's
default concurrency) is not restarted afterwards.
"""

from __future__ import annotations

import time

from . import report
from .context import Bench, CpuMeter, figures_from, mail_records, run_load, server_cpu_ms
from .prepare import start_procfile
from .stack import wait_until

CONFIGURATIONS = ((1, 1), (2, 1), (1, 2), (2, 2))
# The database connections every run starts from (as the main scenarios ran).
PERSISTENT = {"CONN_MAX_AGE": "60", "DATABASE_POOL_SIZE": "0"}


def label(web: int, workers: int) -> str:
    return (
        f"sign, {web} web process{'es' if web > 1 else ''} + "
        f"{workers} worker process{'es' if workers > 1 else ''}"
    )


def scaling_scenarios(bench: Bench, facts: dict, web_port: int) -> None:
    bench.say("Scaling: signing with 1 and 2 gunicorn processes and 1 and 2 Celery processes")
    for web, workers in CONFIGURATIONS:
        env = {
            **PERSISTENT,
            "WEB_CONCURRENCY": str(web),
            "CELERY_WORKER_ARGS": f"--concurrency {workers}",
        }
        _restart(bench, web_port, env, name=f"honcho-{web}web-{workers}worker")
        _sign_row(bench, label(web, workers), baseline=label(1, 1))
    report.apply_baselines(bench.rows)
    bench.notes["scaling"] = {
        row.name: {"rate": round(row.rate, 1), "ratio": round(row.ratio, 2)}
        for row in bench.rows
        if row.name.startswith("sign, ") and "process" in row.name
    }


def connection_scenarios(bench: Bench, facts: dict, web_port: int) -> None:
    """Persistent connections (``CONN_MAX_AGE``, the default here) against a psycopg pool in
    each process (``DATABASE_POOL_SIZE``), the stack otherwise as configured, back to back."""
    bench.say("Connections: persistent (CONN_MAX_AGE=60) against a psycopg pool per process")
    persistent = "sign, persistent connections (CONN_MAX_AGE=60)"
    pool = ("sign, psycopg pool per process (DATABASE_POOL_SIZE=2)", {"DATABASE_POOL_SIZE": "2"})
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        bench.say("  (psycopg-pool is not installed: no pool to compare)")
        pool = None
    runs = (
        (persistent, {"CONN_MAX_AGE": "60", "DATABASE_POOL_SIZE": "0"}),
        *([pool] if pool else []),
        ("sign, a new connection per request (CONN_MAX_AGE=0)", {"CONN_MAX_AGE": "0"}),
    )
    for name, env in runs:
        _restart(bench, web_port, {**PERSISTENT, **env}, name="honcho-" + name.split("(")[1][:-1])
        _sign_row(bench, name, baseline=persistent)
    report.apply_baselines(bench.rows)


def _sign_row(bench: Bench, name: str, *, baseline: str) -> report.Figures:
    """People sign for ``scaling_seconds``; the row, with the server CPU until every
    confirmation reached the SMTP server."""
    from campaign.models import FieldOfWork

    prefix = f"scale-{len(bench.rows)}-{int(time.time())}-"
    meter = CpuMeter(bench)
    meter.start()
    result = run_load(
        bench,
        name,
        {
            "kind": "sign",
            "email_prefix": prefix,
            "fields": [value for value, _label in FieldOfWork.choices],
            "countries": ["FR", "US", "GB", "DE", "CA", "BE", "ES", "IT", "JP", "BR"],
            "seconds": bench.args.scaling_seconds,
            "concurrency": bench.args.sign_concurrency,
            "warmup_seconds": 0,
            "headers": {
                "X-Forwarded-Proto": "https",
                "Origin": "https://127.0.0.1:" + bench.web_url.rsplit(":", 1)[1],
                "User-Agent": "sii-bench",
            },
        },
    )
    drained = _wait_for_confirmations(bench, prefix, len(result["accepted"]))
    cpu = meter.stop(loader_cpu_seconds=result["cpu_seconds"])
    row = figures_from(name, result, unit="sig/s")
    row.extra["cpu"] = cpu
    row.extra["confirmations_delivered_after_s"] = drained
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    row.baseline = baseline
    bench.rows.append(row)
    bench.say(
        f"  {row.name}: {row.rate:,.1f}/s, p95 {row.p95:.0f} ms, {row.errors} errors, "
        f"{row.cpu_ms:.1f} ms server CPU per signature, confirmations in {drained} s"
    )
    bench.check(
        f"{row.name}: every confirmation delivered",
        drained is not None,
        f"{len(result['accepted']):,} signatures",
    )
    return row


def _restart(bench: Bench, web_port: int, env: dict[str, str], *, name: str) -> None:
    for entry in [e for e in bench.processes.started if e.name.startswith("honcho")]:
        bench.processes.stop(entry)
    bench.env.update(env)
    start_procfile(bench, web_port, name=name)


def _wait_for_confirmations(bench: Bench, prefix: str, accepted: int) -> float | None:
    """Seconds after the load stopped until every accepted signature's confirmation reached
    the SMTP server (None if they did not within two minutes)."""
    started = time.perf_counter()

    def delivered() -> bool:
        addresses = {
            to for record in mail_records() for to in record["to"] if to.startswith(prefix)
        }
        return len(addresses) >= accepted

    try:
        wait_until(delivered, timeout=120, what="the confirmations", interval=0.5)
    except TimeoutError:
        return None
    return round(time.perf_counter() - started, 1)
