"""Setting the benchmark up: its environment, database, Redis, seeded data, query plans, and
the Procfile stack."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .context import (
    BASE_DIR,
    DEFAULT_DATABASE_URL,
    RUN_DIR,
    VENV_BIN,
    Bench,
    stack_pids,
)
from .stack import (
    free_port,
    wait_until,
)

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
        # ... which also names the client in X-Forwarded-For (the rate limits count per client).
        "TRUSTED_PROXY_COUNT": "1",
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

    from campaign.installation import install_launch_content
    from signatures.models import Signature
    from signatures.selectors import encode_cursor, public_signatures
    from signatures.services import refresh_signature_counts

    from .seed import seed_supporters

    args = bench.args
    bench.say("Migrating the benchmark database")  # a reused one too: new migrations apply
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
    from django.test import override_settings

    from .explain import explain_surge, full_report, summary_lines

    bench.say("Query plans on the seeded data (EXPLAIN ANALYZE; full plans in bench/results)")
    with override_settings(PUBLIC_PAGE_CACHE=False):  # every page renders its queries
        actions = explain_surge(
            campaign=facts["campaign"],
            deep_cursor=facts["deep_cursor"],
            profile_slug=facts["profile"],
            search="lindqvst",
        )
    for line in summary_lines(actions):
        print("  " + line)
    (bench.results_dir / "explain.txt").write_text(full_report(actions), encoding="utf-8")
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
    start_procfile(bench, web_port)
    start_uncached_web(bench)


def start_uncached_web(bench: Bench) -> None:
    """A second gunicorn, the same site with its page cache off (``PUBLIC_PAGE_CACHE=0``), for
    the rendered rows: a page cache keyed on the parameters views read cannot be bypassed by
    adding one (campaign/middleware.py), and "rendered" means what a cache miss costs."""
    port = free_port()
    bench.uncached_url = f"http://127.0.0.1:{port}"
    web = bench.processes.start(
        "web-uncached",
        [str(VENV_BIN / "gunicorn"), "campaign.wsgi"],
        env={**bench.env, "PUBLIC_PAGE_CACHE": "0", "BIND": f"127.0.0.1:{port}"},
        cwd=BASE_DIR,
    )
    bench.uncached_pid = web.process.pid
    wait_until(
        lambda: _serves(bench, bench.uncached_url),
        timeout=60,
        what="the page-cache-off gunicorn to answer /healthz",
    )
    bench.say(f"  page cache off: {bench.uncached_url} (the rendered rows)")


def start_procfile(bench: Bench, web_port: int, *, name: str = "honcho") -> None:
    """Start the Procfile's processes (gunicorn, a Celery worker, beat) with honcho, as
    ``bench.env`` says (``WEB_CONCURRENCY``, ``CELERY_WORKER_ARGS``), and wait until they serve."""
    honcho = bench.processes.start(
        name,
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
    wait_until(
        lambda: _serves(bench, bench.web_url), timeout=60, what="gunicorn to answer /healthz"
    )
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


def _serves(bench: Bench, url: str) -> bool:
    bench.processes.check_alive()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


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
