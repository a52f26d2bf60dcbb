"""The load benchmark, end to end: ``make bench`` (``.venv/bin/python -m bench.run``).

1. Starts its own ``redis-server`` on a free port, and creates a fresh PostgreSQL database
   (``sii_bench`` on the server of ``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/sii_bench``); migrates it, collects the static files,
   installs the campaign and seeds 100,000 confirmed supporters (``bench/seed.py``).
2. Prints the query plans of every query a surge runs (``bench/explain.py``).
3. Starts an SMTP server (``bench/smtp_sink.py``) and the production processes from the
   ``Procfile`` with honcho (gunicorn, a Celery worker, Celery beat), with ``DEBUG=0``, all on
   127.0.0.1.
4. Drives load from another process (``bench/load.py``) through each scenario, measures
   requests per second, p50/p95/p99 latency and errors, and the gunicorn workers' memory.
5. Signs with unique addresses, then confirms by the links that reached the SMTP server, and
   checks in the database and at the SMTP server that every accepted signature is stored and
   every confirmation arrived exactly once; then times the outbox against a raw ``smtplib``
   loop to the same server.
6. Restarts the stack to sign with persistent database connections, a psycopg pool per
   process and a connection per request; then with 1 and 2 gunicorn processes and 1 and 2
   Celery worker processes, to say how throughput scales (``bench/scaling.py``).
7. Prints one table (each scenario against its baseline and target), writes it as JSON to
   ``bench/results/latest.json`` and stops everything it started.

Options: ``--quick`` (shorter runs, 20,000 supporters: a smoke test, written under
``var/bench/`` so that it never replaces the committed results), ``--seconds N`` per
scenario, ``--supporters N``, ``--reuse-db`` (keep the seeded database of the previous run),
``--profile`` (record the gunicorn workers with py-spy while people sign), ``--no-scaling``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from . import report
from .context import (
    BASE_DIR,
    MB,
    RUN_DIR,
    WORKER_RSS_LIMIT,
    Bench,
    stack_pids,
)
from .outbox import outbox_scenario
from .pages import page_scenarios
from .prepare import (
    database_url,
    environment,
    explain_plans,
    prepare_data,
    recreate_database,
    start_redis,
    start_stack,
)
from .scaling import connection_scenarios, scaling_scenarios
from .signing import confirm_scenario, integrity_after_signing, sign_scenario
from .stack import (
    MemorySampler,
    Processes,
    free_port,
)

# --- Report ---------------------------------------------------------------------------------------


def memory_row(bench: Bench, sampler: MemorySampler) -> None:
    peak_worker = sampler.peak_by_label.get("gunicorn workers", 0)
    bench.notes["memory_peak_mb"] = {
        label: round(value / MB, 1) for label, value in sampler.peak_by_label.items()
    }
    bench.notes["memory_samples"] = sampler.samples
    bench.check(
        "every gunicorn worker stayed under 150 MB resident",
        0 < peak_worker < WORKER_RSS_LIMIT,
        f"peak {peak_worker / MB:.0f} MB over {sampler.samples} samples",
    )


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "redis": subprocess.run(  # noqa: S603
            [shutil.which("redis-server") or "redis-server", "--version"],
            capture_output=True,
            text=True,
        )
        .stdout.split()[2]
        .removeprefix("v="),
    }


def write_results(bench: Bench, started_at: datetime.datetime) -> None:
    table = report.render_table(bench.rows)
    print()
    print(table)
    print()
    print("Integrity and limits:")
    for name, ok, detail in bench.checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    data = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": "make bench  ("
        + " ".join([".venv/bin/python", "-m", "bench.run", *sys.argv[1:]])
        + ")",
        "machine": machine(),
        "settings": {
            "supporters": bench.args.supporters,
            "seconds_per_scenario": bench.args.seconds,
            "concurrency": bench.args.concurrency,
            "sign_seconds": bench.args.sign_seconds,
            "scaling_seconds": bench.args.scaling_seconds,
            "sign_concurrency": bench.args.sign_concurrency,
            # As the main scenarios ran (the scaling rows restart the stack with 1 and 2).
            "gunicorn_workers": bench.notes.get("gunicorn_workers"),
        },
        "rows": [row.as_dict() for row in bench.rows],
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in bench.checks],
        "notes": bench.notes,
        "table": table,
    }
    path = bench.results_dir / "latest.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    shown = path.relative_to(BASE_DIR)
    print(f"\nWritten: {shown} ({bench.args.supporters:,} supporters)")


# --- Main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: 20,000 supporters, 3 s scenarios"
    )
    parser.add_argument("--supporters", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8, help="length of each page scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="clients for page scenarios")
    parser.add_argument(
        "--sign-seconds", type=float, default=60, help="the main signing scenario (issue 12: 60 s)"
    )
    parser.add_argument(
        "--scaling-seconds",
        type=float,
        default=20,
        help="each signing row of the connection and scaling comparisons",
    )
    parser.add_argument("--sign-concurrency", type=int, default=10)
    parser.add_argument("--outbox-emails", type=int, default=2000)
    parser.add_argument("--deep-page", type=int, default=1000)
    parser.add_argument(
        "--web-concurrency",
        type=int,
        default=0,
        help="gunicorn workers (default: gunicorn.conf.py)",
    )
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep the database seeded by the previous run"
    )
    parser.add_argument(
        "--explain-only", action="store_true", help="seed and print the query plans, no load"
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="the page rows only, a check while working on pages (results kept in var/bench/)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the gunicorn workers while people sign"
    )
    parser.add_argument(
        "--no-scaling",
        action="store_true",
        help="skip signing with 1 and 2 gunicorn and Celery processes (bench/scaling.py)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.supporters = min(args.supporters, 20_000)
        args.seconds, args.sign_seconds, args.outbox_emails = 3, 6, 300
        args.scaling_seconds = 6
        args.deep_page = min(args.deep_page, 300)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    for old in RUN_DIR.glob("*.log"):
        old.unlink()
    bench = Bench(args=args, processes=Processes(log_dir=RUN_DIR))
    if args.quick or args.pages_only:  # a partial run never replaces the committed results
        bench.results_dir = RUN_DIR
    started_at = datetime.datetime.now(tz=datetime.UTC)
    sampler = None
    try:
        redis_port, web_port, bench.smtp_port = free_port(), free_port(), free_port()
        bench.web_url = f"http://127.0.0.1:{web_port}"
        url = database_url(args)
        bench.env = environment(bench, database_url=url, redis_port=redis_port, web_port=web_port)
        os.environ.clear()
        os.environ.update(bench.env)
        bench.say(
            f"Benchmark database {urlsplit(url).path.lstrip('/')}, Redis on port {redis_port}"
        )
        if not args.reuse_db:
            recreate_database(url)
        start_redis(bench, redis_port)
        facts = prepare_data(bench)
        explain_plans(bench, facts)
        if args.explain_only:
            return 0
        start_stack(bench, web_port)
        bench.notes["gunicorn_workers"] = len(stack_pids(bench)["gunicorn workers"])
        sampler = MemorySampler(
            lambda: {k: v for k, v in stack_pids(bench).items() if k != "gunicorn master"}
        )
        sampler.start()
        bench.say(f"Page scenarios: {args.seconds:g} s each, {args.concurrency} clients")
        page_scenarios(bench, facts)
        if args.pages_only:
            write_results(bench, started_at)
            return 0
        accepted = sign_scenario(bench, facts)
        links = integrity_after_signing(bench, accepted)
        confirm_scenario(bench, links)
        outbox_scenario(bench)
        if not args.no_scaling:
            connection_scenarios(bench, facts, web_port)
            scaling_scenarios(bench, facts, web_port)
        sampler.stop()
        memory_row(bench, sampler)
        bench.processes.check_alive()
        write_results(bench, started_at)
        return 0 if all(ok for _n, ok, _d in bench.checks) else 1
    finally:
        if sampler is not None:
            sampler.stop()
        bench.say("Stopping everything the benchmark started")
        bench.processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
