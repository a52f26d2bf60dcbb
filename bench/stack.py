"""The processes the benchmark starts, and their clean end.

Every process is started as the leader of its own process group; honcho starts each Procfile
process in a group of its own too. ``Processes.stop_all`` ends every one of those groups
(SIGTERM, then SIGKILL after a grace period), whatever happened before: it runs from a
``finally`` block, at interpreter exit and on SIGINT/SIGTERM/SIGHUP. Nothing the benchmark
started outlives it.

Also here: readings from ``/proc`` (resident memory, CPU time) of the processes under test.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, interval=0.2):
    """Poll ``condition`` until it returns something true (and return it); raise
    ``TimeoutError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Waited {timeout:g}s for {what}, in vain.")
        time.sleep(interval)


# --- /proc -------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def parent_of(pid: int) -> int | None:
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def cmdline(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(root: int) -> list[int]:
    """Every living process below ``root`` (children, grandchildren…)."""
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        parent = parent_of(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (0 if it is gone)."""
    statm = _read(f"/proc/{pid}/statm").split()
    return int(statm[1]) * PAGE_SIZE if len(statm) > 1 else 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (0 if it is gone)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores together."""
    values = [int(v) for v in _read("/proc/stat").splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


# --- Processes ---------------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log_path: Path
    # A service must run until the end; a one-shot (the load generator, py-spy) may finish.
    service: bool = True


@dataclass
class Processes:
    """The processes started so far; ``stop_all`` ends them all (idempotent)."""

    log_dir: Path
    started: list[Started] = field(default_factory=list)
    _stopping: bool = False

    def __post_init__(self) -> None:
        atexit.register(self.stop_all)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.stop_all()
        raise SystemExit(128 + signum)

    def start(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, service: bool = True
    ) -> Started:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 (our own commands)
                argv,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        entry = Started(name, process, log_path, service)
        self.started.append(entry)
        return entry

    def check_alive(self) -> None:
        for entry in self.started:
            if entry.service and entry.process.poll() is not None:
                raise RuntimeError(
                    f"{entry.name} exited ({entry.process.returncode}); see {entry.log_path}:\n"
                    + tail(entry.log_path)
                )

    def stop_all(self, grace: float = 15) -> None:
        if self._stopping:
            return
        self._stopping = True
        _stop_entries(self.started, grace)

    def stop(self, entry: Started, grace: float = 15) -> None:
        """End one started process and everything below it (to restart it differently)."""
        _stop_entries([entry], grace)
        self.started.remove(entry)


def _stop_entries(entries: list[Started], grace: float) -> None:
    groups: set[int] = set()
    for entry in entries:
        if entry.process.poll() is None:
            groups.add(entry.process.pid)
            for pid in descendants(entry.process.pid):
                with contextlib.suppress(OSError):
                    groups.add(os.getpgid(pid))
    groups.discard(os.getpgid(0))
    _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _any_alive(groups):
        time.sleep(0.2)
    _signal_groups(groups, signal.SIGKILL)
    for entry in entries:
        with contextlib.suppress(subprocess.TimeoutExpired):
            entry.process.wait(timeout=5)


def _signal_groups(groups: Iterable[int], signum: int) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


def _any_alive(groups: set[int]) -> bool:
    for group in groups:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            continue
        return True
    return False


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- Sampling memory --------------------------------------------------------------------------


class MemorySampler:
    """Samples, every ``interval`` seconds, the resident memory of the processes ``find()``
    returns ({label: [pids]}); keeps each label's peak (of any single process) and the peak of
    each process."""

    def __init__(self, find: Callable[[], dict[str, list[int]]], interval: float = 0.5) -> None:
        self.find = find
        self.interval = interval
        self.peak_by_label: dict[str, int] = {}
        self.peak_by_pid: dict[int, tuple[str, int]] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for label, pids in self.find().items():
            for pid in pids:
                rss = rss_bytes(pid)
                if rss > self.peak_by_label.get(label, 0):
                    self.peak_by_label[label] = rss
                if rss > self.peak_by_pid.get(pid, (label, 0))[1]:
                    self.peak_by_pid[pid] = (label, rss)
        self.samples += 1
