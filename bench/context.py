"""What the benchmark's steps share: its settings and targets, the run's state, the
processes under test, the load generator, and the measurement of a scenario."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import report
from .stack import (
    Processes,
    cmdline,
    cpu_seconds,
    descendants,
    machine_cpu_seconds,
    parent_of,
    tail,
)

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
RUN_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sii_bench"
MB = 1024 * 1024

# The targets of issue 6 (pages from the page cache, the directory's depth, the outbox)…
HOME_MIN_RATIO = 0.8
DEEP_MAX_RATIO = 1.5
PROFILE_MIN_RATIO = 0.5
# … and of issue 12 (this 2-core machine: a signature and a rendered page at half the cost).
SIGNATURES_PER_SECOND = 100
SIGN_P95_MS = 250
SIGN_MAX_CPU_MS = 15
RENDERED_MIN_RATIOS = {"home": 0.3, "directory": 0.25, "search": 0.2, "profile": 0.4}
OUTBOX_MIN_RATIO = 0.5
WORKER_RSS_LIMIT = 150 * MB
PAIRED_ROUNDS = 4


@dataclass
class Bench:
    """One run: its options, the processes it started, the figures and checks so far."""

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
    # A second gunicorn, the same site with PUBLIC_PAGE_CACHE=0, for the rendered page rows.
    uncached_url: str = ""
    uncached_pid: int = 0
    # Where the table, the plans and the profile summaries go: bench/results for a full run (they
    # are committed), var/bench for a --quick one.
    results_dir: Path = RESULTS_DIR

    def say(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))
        self.say(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


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
        if self.bench.uncached_pid:
            groups["gunicorn, page cache off"] = [
                self.bench.uncached_pid,
                *descendants(self.bench.uncached_pid),
            ]
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
