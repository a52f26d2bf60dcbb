"""What one signature and one rendered page cost, measured in one process, without load:
``.venv/bin/python -m bench.costs``.

The load benchmark (``bench.run``) says how the whole stack holds a surge; this says where a
single request's cost goes, with figures that a busy machine barely moves:

- per signature (the sign POST through Django's test client, then the Celery tasks it queued,
  run in this process as a worker would run them, a batch every ``--batch`` signatures): the
  queries and the writes (INSERT/UPDATE/DELETE) of the request and of its tasks, the tasks
  queued by name, and CPU milliseconds of this process (the web part and the worker part) and
  of its PostgreSQL backend and Redis server;
- per confirmation (the emailed link): the same;
- per page (home, the directory's first page, a search, a profile, ``/healthz``), with the page
  cache off and a unique query string: queries, CPU milliseconds, and the CPU ratio to
  ``/healthz`` (the load benchmark's ratios are throughput ratios on a CPU-bound machine, so
  they follow these closely).

``--profile DIR`` also writes a cProfile of each part (``.pstats`` and a text summary).

It runs on its own PostgreSQL database (``COSTS_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/helper_g``; created, migrated and seeded with
``--supporters`` confirmed supporters unless ``--reuse-db``), its own ``redis-server`` and its
own SMTP sink, with the production settings (``DEBUG=0``) the load benchmark uses.
CPU is read from ``/proc``: this process's, its PostgreSQL backend's, the Redis server's.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from .context import BASE_DIR, RUN_DIR, VENV_BIN
from .stack import Processes, cpu_seconds, free_port

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helper_g"
WRITES = ("INSERT", "UPDATE", "DELETE")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.costs", description=__doc__)
    parser.add_argument("--supporters", type=int, default=20_000)
    parser.add_argument("--signatures", type=int, default=300, help="signatures timed")
    parser.add_argument("--batch", type=int, default=10, help="signatures per worker round")
    parser.add_argument("--pages", type=int, default=100, help="requests per page")
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfiles here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--only", choices=["sign", "pages"], default=None)
    return parser.parse_args(argv)


def environment(*, database_url: str, redis_port: int, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SITE_URL": "https://testserver",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "BEHIND_TLS_PROXY": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "CONN_MAX_AGE": "60",
        "OUTBOX_RATE_PER_MINUTE": "0",
        "PUBLIC_PAGE_CACHE": "0",
        "LOG_LEVEL": "WARNING",
        "LEDGER_SIGNING_KEY": os.environ.get("LEDGER_SIGNING_KEY", ""),
    }


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("helper_g", "sii_costs")):
        raise SystemExit(f"Refusing to recreate {name!r}: this script owns helper_g*/sii_costs*.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- Measuring ---------------------------------------------------------------------------------


class Meter:
    """CPU seconds of this process, its PostgreSQL backend and the Redis server."""

    def __init__(self, redis_pid: int) -> None:
        from django.db import connection

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = cursor.fetchone()[0]
        self.redis_pid = redis_pid

    def read(self) -> dict[str, float]:
        return {
            "python": time.process_time(),
            "postgres": cpu_seconds(self.backend),
            "redis": cpu_seconds(self.redis_pid),
        }

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {key: after[key] - before[key] for key in before}


class Tasks:
    """The Celery tasks queued (published to the broker), by name, and their calls."""

    def __init__(self) -> None:
        from celery.signals import before_task_publish

        self.queued: list[tuple[str, list, dict]] = []
        self.counts: Counter[str] = Counter()
        before_task_publish.connect(self._published, weak=False)

    def _published(self, sender=None, body=None, headers=None, **kwargs) -> None:
        args, kwargs_, _embed = body if isinstance(body, tuple | list) else ((), {}, None)
        self.queued.append((sender, list(args), dict(kwargs_)))
        self.counts[sender] += 1

    def run_queued(self) -> None:
        """Run what was queued, in order, as a worker would (tasks queued meanwhile too)."""
        from campaign.celery import app

        while self.queued:
            name, args, kwargs = self.queued.pop(0)
            app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)


@contextmanager
def captured_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as context:
        yield context


def query_kinds(queries: list[dict]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for query in queries:
        sql = query["sql"].lstrip().upper()
        verb = sql.split(None, 1)[0] if sql else ""
        kinds["write" if verb in WRITES else verb.lower()] += 1
        if verb in WRITES:
            table = sql.split()[2] if verb != "UPDATE" else sql.split()[1]
            kinds[f"  {verb.lower()} {table.strip(chr(34)).lower()}"] += 1
    return kinds


class Profiles:
    """cProfiles (CPU time, not wall time: waits on PostgreSQL are not counted) by part, written
    to ``directory`` as ``<part>.pstats`` and ``<part>.txt``; nothing when ``directory`` is
    None."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.profiles: dict[str, cProfile.Profile] = {}

    @contextmanager
    def part(self, name: str):
        if self.directory is None:
            yield
            return
        profile = self.profiles.setdefault(name, cProfile.Profile(time.process_time))
        profile.enable()
        try:
            yield
        finally:
            profile.disable()

    def write(self) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, profile in self.profiles.items():
            profile.dump_stats(self.directory / f"{name}.pstats")
            text = io.StringIO()
            stats = pstats.Stats(profile, stream=text).sort_stats("cumulative")
            stats.print_stats(80)
            stats.sort_stats("tottime").print_stats(40)
            (self.directory / f"{name}.txt").write_text(text.getvalue())


# --- Signing -----------------------------------------------------------------------------------


def sign_data(number: int, prefix: str) -> tuple[dict, dict]:
    import random

    rng = random.Random(number)
    data = {
        "full_name": f"{rng.choice(['Amina', 'Bruno', 'Chloé', 'Élodie'])} Moreau-{number}",
        "email": f"{prefix}{number}@mail{number % 997}.example.org",
        "field_of_work": rng.choice(["writer", "actor", "musician", "visual-artist"]),
        "country": rng.choice(["FR", "US", "GB", "DE"]),
        "known_for": rng.choice(["", "", "Session musician"]),
        "link": rng.choice(["", "", f"https://portfolio.example/{number}"]),
        "comment": rng.choice(["", "", "", "Consent first."]),
        "name_display": rng.choice(["full", "full", "full", "initial", "hidden"]),
        "agree": "on",
    }
    if rng.random() < 0.4:
        data["wants_updates"] = "on"
    headers = {
        "HTTP_X_FORWARDED_FOR": f"10.{number % 250 + 1}.{number // 250 % 250 + 1}.7",
        "HTTP_X_FORWARDED_PROTO": "https",
    }
    return data, headers


def sign_costs(args, meter: Meter, tasks: Tasks, profiles: Profiles) -> dict:
    from django.test import Client

    client = Client()
    prefix = f"costs-{int(time.time())}-"
    # Warm up (imports, template loading, connection), then count one signature's queries.
    for number in range(5):
        data, headers = sign_data(number, prefix)
        response = client.post("/en/sign/", data, **headers)
        assert response.status_code == 302, (response.status_code, response.content[:2000])
    tasks.run_queued()
    tasks.counts.clear()

    counted = {"request": Counter(), "tasks": Counter()}
    n_counted = 20
    for number in range(5, 5 + n_counted):
        data, headers = sign_data(number, prefix)
        with captured_queries() as request_queries:
            response = client.post("/en/sign/", data, **headers)
        assert response.status_code == 302, response.status_code
        counted["request"].update(query_kinds(request_queries.captured_queries))
        counted["request"]["queries"] += len(request_queries.captured_queries)
        if number % args.batch == 0 or number == 4 + n_counted:
            with captured_queries() as task_queries:
                tasks.run_queued()
            counted["tasks"].update(query_kinds(task_queries.captured_queries))
            counted["tasks"]["queries"] += len(task_queries.captured_queries)
    per_signature = {
        part: {k: round(v / n_counted, 2) for k, v in sorted(c.items())}
        for part, c in counted.items()
    }
    task_counts = {name: round(n / n_counted, 2) for name, n in tasks.counts.items()}

    # Timed, without capturing queries.
    tasks.counts.clear()
    web = {"python": 0.0, "postgres": 0.0, "redis": 0.0}
    worker = dict(web)
    start = 1000
    for number in range(start, start + args.signatures):
        data, headers = sign_data(number, prefix)
        before = meter.read()
        with profiles.part("sign-web"):
            client.post("/en/sign/", data, **headers)
        for key, value in meter.spent(before, meter.read()).items():
            web[key] += value
        if (number + 1) % args.batch == 0 or number == start + args.signatures - 1:
            before = meter.read()
            with profiles.part("sign-worker"):
                tasks.run_queued()
            for key, value in meter.spent(before, meter.read()).items():
                worker[key] += value
    n = args.signatures

    def ms(part: dict) -> dict:
        return {key: round(value * 1000 / n, 2) for key, value in part.items()}

    web_ms, worker_ms = ms(web), ms(worker)
    return {
        "queries_per_signature": per_signature,
        "tasks_per_signature": task_counts,
        "tasks_per_signature_timed": {k: round(v / n, 3) for k, v in tasks.counts.items()},
        "cpu_ms_web_request": web_ms,
        "cpu_ms_worker": worker_ms,
        "cpu_ms_total": round(sum(web_ms.values()) + sum(worker_ms.values()), 2),
        "prefix": prefix,
    }


def confirm_costs(args, meter: Meter, tasks: Tasks, profiles: Profiles, prefix: str) -> dict:
    from django.test import Client

    from signatures import tokens
    from signatures.models import Signature

    client = Client()
    pending = list(
        Signature.objects.filter(supporter__email__startswith=prefix, status="pending")
        .order_by("id")
        .select_related("supporter")[: args.signatures]
    )
    links = [f"/en/sign/confirm/{tokens.make_confirm_token(s)}/" for s in pending]
    headers = {"HTTP_X_FORWARDED_PROTO": "https"}
    tasks.run_queued()
    tasks.counts.clear()
    counted = {"request": Counter(), "tasks": Counter()}
    n_counted = min(20, len(links) // 2)
    for link in links[:n_counted]:
        with captured_queries() as request_queries:
            assert client.get(link, **headers).status_code == 200
        counted["request"].update(query_kinds(request_queries.captured_queries))
        counted["request"]["queries"] += len(request_queries.captured_queries)
        with captured_queries() as task_queries:
            tasks.run_queued()
        counted["tasks"].update(query_kinds(task_queries.captured_queries))
        counted["tasks"]["queries"] += len(task_queries.captured_queries)
    task_counts = {name: round(n / n_counted, 2) for name, n in tasks.counts.items()}
    tasks.counts.clear()
    web = {"python": 0.0, "postgres": 0.0, "redis": 0.0}
    worker = dict(web)
    timed = links[n_counted:]
    for i, link in enumerate(timed):
        before = meter.read()
        with profiles.part("confirm-web"):
            client.get(link, **headers)
        for key, value in meter.spent(before, meter.read()).items():
            web[key] += value
        if (i + 1) % args.batch == 0 or i == len(timed) - 1:
            before = meter.read()
            with profiles.part("confirm-worker"):
                tasks.run_queued()
            for key, value in meter.spent(before, meter.read()).items():
                worker[key] += value
    n = max(1, len(timed))
    timed_tasks = {name: round(count / n, 3) for name, count in tasks.counts.items()}
    web_ms = {key: round(value * 1000 / n, 2) for key, value in web.items()}
    worker_ms = {key: round(value * 1000 / n, 2) for key, value in worker.items()}
    return {
        "queries_per_confirmation": {
            part: {k: round(v / n_counted, 2) for k, v in sorted(c.items())}
            for part, c in counted.items()
        },
        "tasks_per_confirmation": task_counts,
        "tasks_per_confirmation_timed": timed_tasks,
        "cpu_ms_web_request": web_ms,
        "cpu_ms_worker": worker_ms,
        "cpu_ms_total": round(sum(web_ms.values()) + sum(worker_ms.values()), 2),
    }


# --- Pages -------------------------------------------------------------------------------------


def page_costs(args, meter: Meter, profiles: Profiles) -> dict:
    from django.test import Client

    profile_slug = _a_listed_profile()
    pages = {  # the searches of bench/pages.py, in turn
        "healthz": ["/healthz"],
        "home": ["/en/"],
        "directory": ["/en/supporters/"],
        "search": [
            "/en/supporters/?q=martin",
            "/en/supporters/?q=lindqvst",
            "/en/supporters/?q=%C3%A9lodie",
        ],
        "profile": [f"/en/supporters/{profile_slug}/"],
    }
    client = Client()
    headers = {"HTTP_X_FORWARDED_PROTO": "https"}
    results = {}
    for name, paths in pages.items():
        turns = [f"{path}{'&' if '?' in path else '?'}" for path in paths]
        for i in range(5):  # warm up
            path = turns[i % len(turns)]
            assert client.get(f"{path}_w={i}", **headers).status_code == 200, (name, path)
        with captured_queries() as queries:
            client.get(f"{turns[0]}_c=1", **headers)
        query_count = len(queries.captured_queries)  # now: the log is reset by each request
        spent = {"python": 0.0, "postgres": 0.0, "redis": 0.0}
        for i in range(args.pages):
            before = meter.read()
            with profiles.part(f"page-{name}"):
                client.get(f"{turns[i % len(turns)]}_bench={i}", **headers)
            for key, value in meter.spent(before, meter.read()).items():
                spent[key] += value
        cpu = {key: round(value * 1000 / args.pages, 2) for key, value in spent.items()}
        results[name] = {
            "path": " ".join(paths),
            "queries": query_count,
            "cpu_ms": cpu,
            "cpu_ms_total": round(sum(cpu.values()), 2),
        }
    base = results["healthz"]["cpu_ms_total"]
    for row in results.values():
        row["cpu_ratio_to_healthz"] = round(base / row["cpu_ms_total"], 3)
    return results


def _a_listed_profile() -> str:
    from campaign.selectors import current_campaign
    from signatures.selectors import public_signatures

    listed = public_signatures(campaign=current_campaign()).order_by("-confirmed_at", "-id")
    return listed.values_list("supporter__slug", flat=True)[500]


# --- Main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    processes = Processes(log_dir=RUN_DIR)
    try:
        redis_port, smtp_port = free_port(), free_port()
        url = os.environ.get("COSTS_DATABASE_URL", DEFAULT_DATABASE_URL)
        os.environ.update(environment(database_url=url, redis_port=redis_port, smtp_port=smtp_port))
        from .context import Bench
        from .prepare import start_redis

        bench = Bench(args=args, processes=processes)
        start_redis(bench, redis_port)
        redis_pid = next(e.process.pid for e in processes.started if e.name == "redis")
        processes.start(
            "costs-smtp",
            [
                sys.executable,
                "-m",
                "bench.smtp_sink",
                "--port",
                str(smtp_port),
                "--out",
                str(RUN_DIR / "costs-mail.jsonl"),
            ],
            env=dict(os.environ),
            cwd=BASE_DIR,
        )
        if not args.reuse_db:
            recreate_database(url)
        import django

        django.setup()
        from django.core.management import call_command

        from campaign.celery import app
        from campaign.installation import install_launch_content
        from signatures.services import refresh_signature_counts

        from .seed import seed_supporters

        app.conf.task_always_eager = False
        call_command("migrate", verbosity=0, interactive=False)
        if not args.reuse_db:
            campaign, _ = install_launch_content()
            seed_supporters(campaign=campaign, confirmed=args.supporters, pending=100)
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            install_launch_content()
        refresh_signature_counts()
        meter = Meter(redis_pid)
        tasks = Tasks()
        profiles = Profiles(args.profile)
        figures: dict = {"supporters": args.supporters}
        if args.only in (None, "sign"):
            figures["sign"] = sign_costs(args, meter, tasks, profiles)
            prefix = figures["sign"]["prefix"]
            figures["confirm"] = confirm_costs(args, meter, tasks, profiles, prefix)
        if args.only in (None, "pages"):
            figures["pages"] = page_costs(args, meter, profiles)
        profiles.write()
        text = json.dumps(figures, indent=2)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
        with contextlib.suppress(Exception):  # the broker is ours and about to stop
            app.control.purge()
        return 0
    finally:
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
