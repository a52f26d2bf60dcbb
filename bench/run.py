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
6. Prints one table (each scenario against its baseline and target), writes it as JSON to
   ``bench/results/latest.json`` and stops everything it started.

Options: ``--quick`` (shorter runs, 20,000 supporters: a smoke test), ``--seconds N`` per
scenario, ``--supporters N``, ``--reuse-db`` (keep the seeded database of the previous run),
``--profile`` (record the gunicorn workers with py-spy while people sign).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import secrets
import shutil
import signal
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from . import report
from .stack import (
    MemorySampler,
    Processes,
    cmdline,
    cpu_seconds,
    descendants,
    free_port,
    machine_cpu_seconds,
    parent_of,
    tail,
    wait_until,
)

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
RUN_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sii_bench"
MB = 1024 * 1024

# The targets of issue 6.
SIGNATURES_PER_SECOND = 20_000 / 60
SIGN_P95_MS = 250
HOME_MIN_RATIO = 0.8
DEEP_MAX_RATIO = 1.5
PROFILE_MIN_RATIO = 0.5
OUTBOX_MIN_RATIO = 0.5
WORKER_RSS_LIMIT = 150 * MB
PAIRED_ROUNDS = 4


@dataclass
class Bench:
    args: argparse.Namespace
    processes: Processes
    env: dict[str, str] = field(default_factory=dict)
    web_url: str = ""
    smtp_port: int = 0
    mail_log: Path = RUN_DIR / "mail.jsonl"
    rows: list[report.Figures] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    honcho_pid: int = 0

    def say(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))
        self.say(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


# --- Set-up ------------------------------------------------------------------------------------


def environment(bench: Bench, *, database_url: str, redis_port: int, web_port: int) -> dict:
    """The production settings, on 127.0.0.1 (the same for this process and the stack)."""
    args = bench.args
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_URL": f"smtp://127.0.0.1:{bench.smtp_port}",
        # Behind a load balancer that ends TLS (the load generator sends X-Forwarded-Proto).
        "BEHIND_TLS_PROXY": "1",
        # Persistent database connections, as in production (docs/deploy.md).
        "CONN_MAX_AGE": "60",
        # The per-minute cap protects a mail provider's quota; the benchmark measures the outbox.
        "OUTBOX_RATE_PER_MINUTE": "0",
        "COUNT_REFRESH_SECONDS": "5",
        # Gunicorn, from gunicorn.conf.py; the worker count can be overridden.
        "BIND": f"127.0.0.1:{web_port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "CELERY_LOG_LEVEL": "WARNING",
        "CELERY_BEAT_SCHEDULE_FILE": str(RUN_DIR / "celerybeat-schedule"),
        "LOG_LEVEL": "WARNING",
    }
    if args.web_concurrency:
        env["WEB_CONCURRENCY"] = str(args.web_concurrency)
    for name in ("PUBLIC_PAGE_CACHE",):
        env.pop(name, None)
    return env


def database_url(args) -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's own database (never any other)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("sii_bench"):
        raise SystemExit(f"Refusing to recreate {name!r}: the benchmark only owns sii_bench*.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_redis(bench: Bench, port: int) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (Debian: apt-get install redis-server).")
    bench.processes.start(
        "redis",
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        cwd=RUN_DIR,
    )
    import redis

    def answers() -> bool:
        try:
            return bool(redis.Redis(port=port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    wait_until(answers, timeout=15, what="redis-server")


def prepare_data(bench: Bench) -> dict:
    """Migrate, collect static files, install the campaign, seed; return facts the scenarios
    need (a deep cursor, profile addresses, a search term)."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    from campaign.services import install_launch_content
    from signatures.models import Signature
    from signatures.selectors import encode_cursor, public_signatures
    from signatures.services import refresh_signature_counts

    from .seed import seed_supporters

    args = bench.args
    if not args.reuse_db:
        bench.say("Migrating the benchmark database")
        call_command("migrate", verbosity=0, interactive=False)
    bench.say("Collecting static files")
    call_command("collectstatic", verbosity=0, interactive=False)
    campaign, _changed = install_launch_content()
    if not Signature.objects.exists():
        bench.say(f"Seeding {args.supporters:,} confirmed supporters")
        started = time.perf_counter()
        summary = seed_supporters(
            campaign=campaign,
            confirmed=args.supporters,
            pending=args.supporters // 30,
            withdrawn=args.supporters // 100,
        )
        seconds = time.perf_counter() - started
        bench.say(f"  seeded in {seconds:.1f} s: {summary}")
        bench.notes["seed"] = {"seconds": round(seconds, 1), **summary.__dict__}
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    refresh_signature_counts()
    listed = public_signatures(campaign=campaign).order_by("-confirmed_at", "-id")
    depth = min(args.deep_page * 30, listed.count() - 31)
    deep = listed[depth - 1]
    profiles = list(listed.values_list("supporter__slug", flat=True)[:: max(1, depth // 2000)])
    return {
        "campaign": campaign,
        "deep_cursor": encode_cursor(deep),
        "deep_page": depth // 30 + 1,
        "profile": profiles[len(profiles) // 2],
        "profiles": profiles[:2000],
    }


def explain_plans(bench: Bench, facts: dict) -> None:
    from .explain import explain_surge, full_report, summary_lines

    bench.say("Query plans on the seeded data (EXPLAIN ANALYZE; full plans in bench/results)")
    actions = explain_surge(
        campaign=facts["campaign"],
        deep_cursor=facts["deep_cursor"],
        profile_slug=facts["profile"],
        search="lindqvst",
    )
    for line in summary_lines(actions):
        print("  " + line)
    (RESULTS_DIR / "explain.txt").write_text(full_report(actions), encoding="utf-8")
    bench.notes["explain"] = [
        {
            "action": action.name,
            "queries": len(action.plans),
            "ms": round(action.total_ms, 3),
            "scans": sorted(
                {
                    f"{kind} {index} {table}".replace("  ", " ")
                    for plan in action.plans
                    for kind, index, table in plan.scans
                }
            ),
            "seq_scans_on_big_tables": sorted(
                {t for plan in action.plans for t in plan.seq_scans_on_big_tables}
            ),
        }
        for action in actions
    ]


def start_stack(bench: Bench, web_port: int) -> None:
    bench.say("Starting the SMTP server and the Procfile stack (honcho)")
    bench.mail_log.write_text("")
    bench.processes.start(
        "smtp",
        [
            sys.executable,
            "-m",
            "bench.smtp_sink",
            "--port",
            str(bench.smtp_port),
            "--out",
            str(bench.mail_log),
        ],
        env=bench.env,
        cwd=BASE_DIR,
    )
    honcho = bench.processes.start(
        "honcho",
        [
            str(VENV_BIN / "honcho"),
            "start",
            "--no-colour",
            "-f",
            str(BASE_DIR / "Procfile"),
            "-e",
            os.devnull,
        ],
        env={**bench.env, "PORT": str(web_port)},
        cwd=BASE_DIR,
    )
    bench.honcho_pid = honcho.process.pid

    def healthy() -> bool:
        bench.processes.check_alive()
        try:
            with urllib.request.urlopen(f"{bench.web_url}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    wait_until(healthy, timeout=60, what="gunicorn to answer /healthz")
    wait_until(
        lambda: (
            bench.processes.check_alive()
            or (
                "celery@" in _log(honcho.log_path)
                and _beat_started(honcho.log_path)
                and _worker_ready(bench)
            )
        ),
        timeout=60,
        what="the Celery worker and beat",
    )
    bench.say(
        f"  stack up: {bench.web_url}; "
        + ", ".join(f"{k}: {len(v)}" for k, v in stack_pids(bench).items())
    )


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _beat_started(log_path: Path) -> bool:
    return "beat started" in _log(log_path) or "beat.1 started" in _log(log_path)


def _worker_ready(bench: Bench) -> bool:
    """The worker consumes: a ping through the broker comes back."""
    from campaign.celery import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:
        return False


def stack_pids(bench: Bench) -> dict[str, list[int]]:
    """The processes under test, by role: gunicorn master and workers, Celery, beat."""
    roles: dict[str, list[int]] = {
        "gunicorn master": [],
        "gunicorn workers": [],
        "celery worker": [],
        "celery beat": [],
    }
    if not bench.honcho_pid:
        return roles
    for pid in descendants(bench.honcho_pid):
        line = _program(pid)
        if "gunicorn" in line:
            is_worker = "gunicorn" in _program(parent_of(pid) or 0)
            roles["gunicorn workers" if is_worker else "gunicorn master"].append(pid)
        elif "celery" in line and " beat" in line:
            roles["celery beat"].append(pid)
        elif "celery" in line and " worker" in line:
            roles["celery worker"].append(pid)
    return roles


def _program(pid: int) -> str:
    """The command line of ``pid``, or "" for the shells honcho runs the commands in."""
    line = cmdline(pid)
    return "" if not line or line.split()[0].endswith("sh") else line


def database_backends(bench: Bench) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


# --- Load --------------------------------------------------------------------------------------


def run_load(bench: Bench, name: str, spec: dict) -> dict:
    """Run one scenario in the load generator process; return its result."""
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())[:40]
    spec_path, result_path = RUN_DIR / f"load-{slug}.json", RUN_DIR / f"result-{slug}.json"
    spec = {
        "base_url": bench.web_url,
        "headers": {"X-Forwarded-Proto": "https", "User-Agent": "sii-bench"},
        "concurrency": bench.args.concurrency,
        "seconds": bench.args.seconds,
        "warmup_seconds": 1.0,
        **spec,
    }
    spec_path.write_text(json.dumps(spec))
    result_path.unlink(missing_ok=True)
    loader = bench.processes.start(
        f"load-{slug}",
        [sys.executable, "-m", "bench.load", str(spec_path), str(result_path)],
        env=bench.env,
        cwd=BASE_DIR,
        service=False,
    )
    timeout = spec["seconds"] + spec["warmup_seconds"] + 120
    try:
        loader.process.wait(timeout=timeout)
    finally:
        bench.processes.started.remove(loader)
        if loader.process.poll() is None:
            loader.process.kill()
    if loader.process.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"The load generator failed for {name}:\n{tail(loader.log_path)}")
    bench.processes.check_alive()
    return json.loads(result_path.read_text())


def figures_from(name: str, result: dict, *, unit="req/s", **more) -> report.Figures:
    errors = sum(result["errors"].values())
    row = report.latency_figures(
        name,
        unit=unit,
        latencies_ms=result["latencies_ms"],
        errors=errors,
        seconds=result["seconds"],
        **more,
    )
    if result["errors"]:
        row.extra["errors"] = result["errors"]
    row.extra["statuses"] = result["statuses"]
    return row


def _paths(name: str) -> list[str]:
    """The address of page ``name`` in each language."""
    from django.urls import reverse
    from django.utils import translation

    paths = []
    for language in ("en", "fr"):
        with translation.override(language):
            paths.append(reverse(name))
    return paths


def page_scenarios(bench: Bench, facts: dict) -> None:
    cursor = facts["deep_cursor"]
    campaign_pages = [
        p for name in ("campaign:why", "campaign:about", "campaign:privacy") for p in _paths(name)
    ]
    deep_label = f"directory, page {facts['deep_page']:,} (rendered)"
    scenarios = [
        ("baseline: /healthz", ["/healthz"], False, ""),
        ("home (page cache)", ["/en/", "/fr/"], False, "baseline: /healthz"),
        ("home (rendered)", ["/en/", "/fr/"], True, "baseline: /healthz"),
        ("campaign pages (page cache)", campaign_pages, False, "baseline: /healthz"),
        ("campaign pages (rendered)", campaign_pages, True, "baseline: /healthz"),
        ("directory, first page (page cache)", ["/en/supporters/"], False, "baseline: /healthz"),
        ("directory, first page (rendered)", ["/en/supporters/"], True, "baseline: /healthz"),
        (deep_label, [f"/en/supporters/?after={cursor}"], True, "directory, first page (rendered)"),
        (
            "directory, filtered (rendered)",
            [
                "/en/supporters/?field=musician&country=DE",
                "/en/supporters/?verified=on",
                "/en/supporters/?country=UY&field=writer",
            ],
            True,
            "directory, first page (rendered)",
        ),
        (
            "directory, search (rendered)",
            [
                "/en/supporters/?q=martin",
                "/en/supporters/?q=lindqvst",
                "/en/supporters/?q=%C3%A9lodie",
            ],
            True,
            "directory, first page (rendered)",
        ),
        (
            "profile (page cache)",
            [f"/en/supporters/{facts['profile']}/"],
            False,
            "baseline: /healthz",
        ),
        (
            "profiles, 2,000 different (rendered)",
            [f"/en/supporters/{slug}/" for slug in facts["profiles"]],
            True,
            "baseline: /healthz",
        ),
    ]
    # Targets compared with a baseline are measured in interleaved rounds (baseline, scenario,
    # baseline, scenario…), so that other work on the machine weighs on both alike.
    paired = {
        "home (page cache)": ("baseline: /healthz", {"min_ratio": HOME_MIN_RATIO}),
        "profile (page cache)": ("baseline: /healthz", {"min_ratio": PROFILE_MIN_RATIO}),
        deep_label: ("directory, first page (rendered)", {"max_ratio": DEEP_MAX_RATIO}),
    }
    specs = {}
    for name, paths, bust, baseline in scenarios:
        valid = [quote(p, safe="/?=&%:") for p in paths]
        valid = [p for p in valid[:5] if _exists(bench, p)] + valid[5:]
        if not valid:
            bench.say(f"  skipped {name}: no such page")
            continue
        specs[name] = {"kind": "get", "paths": valid, "bust_cache": bust}
        compare = "p50" if baseline.startswith("directory") else "rate"
        if name in paired:
            base_name, target = paired[name]
            row = measure_paired(bench, name, specs[name], base_name, specs[base_name], compare)
            report.check_target(row, **target)
        else:
            row = measure(bench, name, specs[name], baseline=baseline, compare=compare)
        bench.rows.append(row)
        ratio = "" if math.isnan(row.ratio) else f", ratio {row.ratio:.2f}"
        bench.say(
            f"  {name}: {row.rate:,.0f} req/s, p50 {row.p50:.1f} ms, p95 {row.p95:.1f} ms, "
            f"{row.errors} errors, {row.cpu_ms:.1f} ms server CPU/request{ratio}"
        )
    report.apply_baselines(bench.rows)


def measure(bench: Bench, name: str, spec: dict, **figures) -> report.Figures:
    """One scenario: its figures, with the CPU the stack spent on it."""
    meter = CpuMeter(bench)
    meter.start()
    result = run_load(bench, name, spec)
    row = figures_from(name, result, **figures)
    cpu = meter.stop(loader_cpu_seconds=result["cpu_seconds"])
    row.extra["cpu"] = cpu
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    return row


def server_cpu_ms(cpu: dict, count: int) -> float:
    """CPU milliseconds the site's own processes spent per request (web, worker, PostgreSQL,
    Redis): unlike requests per second, it does not depend on what else the machine runs."""
    server = ("gunicorn", "celery worker", "postgres", "redis")
    used = sum(v for k, v in cpu["cpu_seconds"].items() if k.startswith(server))
    return used * 1000 / count if count else math.nan


def measure_paired(
    bench: Bench, name: str, spec: dict, base_name: str, base_spec: dict, compare: str
) -> report.Figures:
    """``name`` against ``base_name`` in ``PAIRED_ROUNDS`` interleaved rounds; the row holds
    the scenario's figures over all its rounds and the ratio of the two over the same time."""
    seconds = max(1.0, bench.args.seconds / 2)
    rounds: dict[str, list[report.Figures]] = {name: [], base_name: []}
    for _round in range(PAIRED_ROUNDS):
        for label, round_spec in ((base_name, base_spec), (name, spec)):
            rounds[label].append(measure(bench, label, {**round_spec, "seconds": seconds}))
    mine, base = (report.merge_figures(rounds[label]) for label in (name, base_name))
    mine.baseline = f"{base_name.removeprefix('baseline: ')}, interleaved"
    mine.compare = compare
    if compare == "p50":
        mine.ratio = mine.p50 / base.p50 if base.p50 else math.nan
    else:
        mine.ratio = mine.rate / base.rate if base.rate else math.nan
    mine.extra["interleaved_baseline"] = base.as_dict()
    mine.extra["rounds"] = [
        {"scenario": m.rate, "baseline": b.rate, "scenario_p50": m.p50, "baseline_p50": b.p50}
        for m, b in zip(rounds[name], rounds[base_name], strict=True)
    ]
    return mine


def _exists(bench: Bench, path: str) -> bool:
    url = bench.web_url + path  # always http://127.0.0.1:…
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status == 200
    except urllib.error.HTTPError:
        return False


# --- Signing, confirming, integrity ---------------------------------------------------------------


def mail_records() -> list[dict]:
    text = RUN_DIR.joinpath("mail.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class CpuMeter:
    """CPU seconds used by each part of the stack between ``start`` and ``stop``."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    def _groups(self) -> dict[str, list[int]]:
        groups = stack_pids(self.bench)
        groups["postgres (this database)"] = database_backends(self.bench)
        groups["redis"] = [e.process.pid for e in self.bench.processes.started if e.name == "redis"]
        groups["smtp sink"] = [
            e.process.pid for e in self.bench.processes.started if e.name == "smtp"
        ]
        groups["honcho (log relay)"] = [self.bench.honcho_pid]
        return groups

    def snapshot(self) -> dict[int, tuple[str, float]]:
        return {
            pid: (label, cpu_seconds(pid)) for label, pids in self._groups().items() for pid in pids
        }

    def start(self) -> None:
        self.before = self.snapshot()
        self.machine_before = machine_cpu_seconds()
        self.started = time.perf_counter()

    def stop(self, *, loader_cpu_seconds: float = 0.0) -> dict:
        wall = time.perf_counter() - self.started
        after = self.snapshot()
        used = Counter()
        if loader_cpu_seconds:
            used["load generator"] = loader_cpu_seconds
        for pid, (label, before) in self.before.items():
            now = after.get(pid, (label, None))[1]
            used[label] += max(0.0, (now if now is not None else before) - before)
        for pid, (label, now) in after.items():
            if pid not in self.before:
                used[label] += now
        busy = machine_cpu_seconds()[0] - self.machine_before[0]
        cores = os.cpu_count() or 1
        return {
            "wall_seconds": round(wall, 2),
            "machine_busy_share": round(busy / (wall * cores), 3),
            # Everything else on the machine (other people's work, the kernel, PostgreSQL's
            # background writers): what makes absolute figures noisy here.
            "others_share": round(max(0.0, busy - sum(used.values())) / (wall * cores), 3),
            "cpu_seconds": {label: round(value, 2) for label, value in used.most_common()},
        }


def sign_scenario(bench: Bench, facts: dict) -> list[str]:
    from campaign.models import FieldOfWork

    bench.say(
        f"Signing for {bench.args.sign_seconds} s (concurrency {bench.args.sign_concurrency})"
    )
    prefix = f"surge-{int(time.time())}-"
    bench.notes["sign_prefix"] = prefix
    meter = CpuMeter(bench)
    meter.start()
    profiler = start_profiler(bench, "gunicorn master", "sign") if bench.args.profile else None
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
    if profiler is not None:
        finish_profiler(bench, profiler, "sign", "the gunicorn workers while people sign")
    row = figures_from("sign (POST /en/sign/)", result, unit="sig/s", baseline="baseline: /healthz")
    row.extra["cpu"] = cpu
    row.cpu_ms = server_cpu_ms(cpu, row.count)
    bench.rows.append(row)
    report.apply_baselines(bench.rows)
    report.check_target(row, min_rate=SIGNATURES_PER_SECOND, max_p95=SIGN_P95_MS)
    bench.say(
        f"  {row.count:,} accepted, {row.rate:,.1f}/s ({row.rate * 60:,.0f}/min), "
        f"p95 {row.p95:.0f} ms, {row.errors} errors"
    )
    bench.say(f"  CPU during signing: {cpu}")
    return result["accepted"]


def start_profiler(bench: Bench, role: str, name: str):
    """py-spy on the processes of ``role`` (its first process and its children), until
    ``finish_profiler``; None when py-spy cannot run."""
    pids = stack_pids(bench)[role]
    if not pids or not (VENV_BIN / "py-spy").exists():
        bench.say("  (py-spy unavailable: no profile)")
        return None
    command = [str(VENV_BIN / "py-spy"), "record", "--pid", str(min(pids)), "--subprocesses"]
    command += ["--rate", "50", "--format", "raw", "--nonblocking"]
    command += ["--output", str(RUN_DIR / f"{name}-profile.txt")]  # raw: large, not committed
    return bench.processes.start(
        f"py-spy-{name}", command, env=bench.env, cwd=BASE_DIR, service=False
    )


def finish_profiler(bench: Bench, profiler, name: str, label: str) -> None:
    """Stop py-spy (it writes its profile on SIGINT) and summarise the profile."""
    try:
        profiler.process.send_signal(signal.SIGINT)
        profiler.process.wait(timeout=60)
    finally:
        bench.processes.started.remove(profiler)
    path = RUN_DIR / f"{name}-profile.txt"
    if path.exists():
        from .pyspy import summarize_collapsed

        summary = summarize_collapsed(path.read_text(), label=label)
        (RESULTS_DIR / f"{name}-profile-summary.txt").write_text(summary)
        bench.notes[f"{name}_profile"] = f"bench/results/{name}-profile-summary.txt"
        print(summary)


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


# --- The outbox ---------------------------------------------------------------------------------


def outbox_scenario(bench: Bench) -> None:
    """Emails delivered per second by one Celery worker, against a raw smtplib loop to the
    same SMTP server, for the same messages."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.db import transaction

    from campaign.models import OutboundEmail
    from campaign.tasks import deliver_email

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

    # The outbox: rows queued as enqueue_email leaves them, handed to the worker.
    prefix = f"outbox-{stamp}-"
    now = datetime.datetime.now(tz=datetime.UTC)
    with transaction.atomic():
        rows = OutboundEmail.objects.bulk_create(
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
    for row_ in rows:
        deliver_email.apply_async((row_.pk,))
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
            "sign_concurrency": bench.args.sign_concurrency,
            "gunicorn_workers": len(stack_pids(bench)["gunicorn workers"])
            or bench.notes.get("gunicorn_workers"),
        },
        "rows": [row.as_dict() for row in bench.rows],
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in bench.checks],
        "notes": bench.notes,
        "table": table,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"\nWritten: bench/results/latest.json ({bench.args.supporters:,} supporters)")


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
    parser.add_argument("--sign-seconds", type=float, default=20)
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
        "--profile", action="store_true", help="py-spy the gunicorn workers while people sign"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.supporters = min(args.supporters, 20_000)
        args.seconds, args.sign_seconds, args.outbox_emails = 3, 6, 300
        args.deep_page = min(args.deep_page, 300)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in RUN_DIR.glob("*.log"):
        old.unlink()
    bench = Bench(args=args, processes=Processes(log_dir=RUN_DIR))
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
        sampler = MemorySampler(
            lambda: {k: v for k, v in stack_pids(bench).items() if k != "gunicorn master"}
        )
        sampler.start()
        bench.say(f"Page scenarios: {args.seconds:g} s each, {args.concurrency} clients")
        page_scenarios(bench, facts)
        accepted = sign_scenario(bench, facts)
        links = integrity_after_signing(bench, accepted)
        confirm_scenario(bench, links)
        outbox_scenario(bench)
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
