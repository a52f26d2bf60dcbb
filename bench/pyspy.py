"""Reading a py-spy profile (``py-spy record --format raw``: one collapsed stack per line,
"frame;frame;…;frame count"), to say where the time of a request goes: by layer (database
round trips, ORM, templates, Redis…) and by function of this project; and running py-spy on
the processes under test."""

from __future__ import annotations

import re
import signal
from collections import Counter

from . import flamegraph
from .context import BASE_DIR, RUN_DIR, VENV_BIN, Bench, stack_pids

FRAME = re.compile(r"^(?P<name>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")

# (layer, test on the frame's path and name). The first layer, from the innermost frame out,
# that a frame matches is where the sample's time goes.
LAYERS = [
    ("PostgreSQL round trips (psycopg)", lambda path, name: path.startswith("psycopg")),
    ("Redis (cache, locks)", lambda path, name: path.startswith("redis")),
    (
        "Celery/kombu (tasks, broker)",
        lambda path, name: path.startswith(("kombu", "celery", "billiard", "amqp", "vine")),
    ),
    (
        "SMTP and MIME",
        lambda path, name: path.startswith(("smtplib", "email/", "django/core/mail")),
    ),
    ("templates", lambda path, name: path.startswith("django/template")),
    ("translations (gettext)", lambda path, name: "translation" in path or "gettext" in path),
    ("ORM (building queries, making objects)", lambda path, name: path.startswith("django/db")),
    (
        "forms and validation",
        lambda path, name: path.startswith("django/forms") or "forms.py" in path,
    ),
    ("name checks (confusables, ICU)", lambda path, name: "confusables" in path or "icu" in path),
    ("gunicorn (HTTP)", lambda path, name: path.startswith("gunicorn")),
    (
        "request handling (middleware, URLs)",
        lambda path, name: path.startswith(
            (
                "django/core",
                "django/middleware",
                "django/utils/deprecation",
                "django/urls",
                "corsheaders",
                "whitenoise",
                "allauth",
            )
        ),
    ),
]
EMAIL_RENDERING = ("render_email", "enqueue_email", "_enqueue")


def parse(text: str) -> list[tuple[list[tuple[str, str]], int]]:
    """[(frames as (name, path), outermost first), sample count]."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            if match and not frame.startswith("process "):
                frames.append((match.group("name"), match.group("path")))
        stacks.append((frames, int(count)))
    return stacks


def layer_of(frames: list[tuple[str, str]]) -> str:
    for name, path in reversed(frames):
        for layer, matches in LAYERS:
            if matches(path, name):
                if layer == "templates" and any(n in EMAIL_RENDERING for n, _p in frames):
                    return "templates (rendering the email)"
                return layer
    return "other Python"


def _is_project(path: str) -> bool:
    return (
        path.startswith(("signatures/", "campaign/", "abuse/", "consent/", "ledger/", "pages/"))
        and "site-packages" not in path
    )


def summarize_collapsed(text: str, *, label: str = "", top: int = 20) -> str:
    """Shares of all samples: by layer (where the innermost recognisable frame is), and the
    project's own functions, inclusive (time under them)."""
    stacks = parse(text)
    total = sum(count for _frames, count in stacks) or 1
    layers: Counter[str] = Counter()
    project: Counter[str] = Counter()
    for frames, count in stacks:
        layers[layer_of(frames)] += count
        for name, path in {(n, p) for n, p in frames if _is_project(p)}:
            project[f"{name} ({path})"] += count
    lines = [f"{total} samples (py-spy{': ' + label if label else ''})", "", "By layer:"]
    lines += [f"  {count / total:6.1%}  {layer}" for layer, count in layers.most_common()]
    lines += ["", "The project's functions, inclusive:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in project.most_common(top)]
    return "\n".join(lines) + "\n"


def start_profiler(bench: Bench, role: str, name: str, *, pids: list[int] | None = None):
    """py-spy on the processes of ``role`` (its first process and its children), or on
    ``pids``, until ``finish_profiler``; None when py-spy cannot run."""
    pids = pids if pids is not None else stack_pids(bench)[role]
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
        text = path.read_text()
        summary = summarize_collapsed(text, label=label)
        (bench.results_dir / f"{name}-profile-summary.txt").write_text(summary)
        (bench.results_dir / f"{name}-flamegraph.svg").write_text(
            flamegraph.svg(text, title=f"py-spy: {label}")
        )
        where = (bench.results_dir / f"{name}-profile-summary.txt").relative_to(BASE_DIR)
        bench.notes[f"{name}_profile"] = str(where)
        print(summary)
