"""Figures of a scenario, ratios to baselines, targets, and the printed table.

Pure functions over plain data, so that they can be tested in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ascending values, by linear interpolation."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


@dataclass
class Figures:
    """What one scenario measured. Latencies in milliseconds; ``rate`` per second."""

    name: str
    unit: str  # what ``rate`` counts: "req/s", "emails/s", "signatures/s"
    count: int
    errors: int
    seconds: float
    p50: float = math.nan
    p95: float = math.nan
    p99: float = math.nan
    baseline: str = ""
    # Which figure the ratio compares: "rate" (higher is better) or "p50" (lower is better).
    compare: str = "rate"
    ratio: float = math.nan
    target: str = ""
    met: bool | None = None
    # CPU milliseconds the site's processes spent per unit (request, email), when measured.
    cpu_ms: float = math.nan
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.nan

    def as_dict(self) -> dict:
        data = asdict(self)
        data["extra"] = {k: v for k, v in data["extra"].items() if k != "latencies_ms"}
        data["rate"] = self.rate
        return {key: _json_number(value) for key, value in data.items()}


def _json_number(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def latency_figures(
    name: str, *, unit: str, latencies_ms: Iterable[float], errors: int, seconds: float, **more
) -> Figures:
    values = sorted(latencies_ms)
    figures = Figures(
        name=name,
        unit=unit,
        count=len(values),
        errors=errors,
        seconds=seconds,
        p50=percentile(values, 0.50),
        p95=percentile(values, 0.95),
        p99=percentile(values, 0.99),
        **more,
    )
    figures.extra["latencies_ms"] = values  # for merge_figures; not written out
    return figures


def merge_figures(parts: Sequence[Figures]) -> Figures:
    """One scenario measured in several rounds, as if in one: counts, errors and time added,
    percentiles over every latency (kept in ``extra["latencies_ms"]`` by ``latency_figures``),
    CPU per unit over the total."""
    first = parts[0]
    latencies = sorted(v for part in parts for v in part.extra.get("latencies_ms", []))
    merged = Figures(
        name=first.name,
        unit=first.unit,
        count=sum(p.count for p in parts),
        errors=sum(p.errors for p in parts),
        seconds=sum(p.seconds for p in parts),
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
    )
    cpu = [(p.cpu_ms * p.count, p.count) for p in parts if not math.isnan(p.cpu_ms)]
    if cpu and sum(n for _c, n in cpu):
        merged.cpu_ms = sum(c for c, _n in cpu) / sum(n for _c, n in cpu)
    merged.extra["rounds"] = len(parts)
    return merged


def apply_baselines(rows: list[Figures]) -> None:
    """Fill each row's ``ratio`` against the row its ``baseline`` names: rate / baseline rate,
    or, when the row compares ``p50``, p50 / baseline p50."""
    by_name = {row.name: row for row in rows}
    for row in rows:
        base = by_name.get(row.baseline)
        if base is None:
            continue
        if row.compare == "p50":
            row.ratio = row.p50 / base.p50 if base.p50 else math.nan
        else:
            row.ratio = row.rate / base.rate if base.rate else math.nan


def check_target(
    row: Figures, *, min_ratio=None, max_ratio=None, min_rate=None, max_p95=None, max_cpu_ms=None
):
    """Set ``row.target`` (what was asked) and ``row.met`` (whether it was reached, with no
    error)."""
    parts, met = [], row.errors == 0
    if min_ratio is not None:
        parts.append(f"ratio ≥ {min_ratio:g}")
        met = met and row.ratio >= min_ratio
    if max_ratio is not None:
        parts.append(f"ratio ≤ {max_ratio:g}")
        met = met and row.ratio <= max_ratio
    if min_rate is not None:
        parts.append(f"≥ {min_rate:g}/s")
        met = met and row.rate >= min_rate
    if max_p95 is not None:
        parts.append(f"p95 < {max_p95:g} ms")
        met = met and row.p95 < max_p95
    if max_cpu_ms is not None:
        parts.append(f"CPU ≤ {max_cpu_ms:g} ms")
        met = met and row.cpu_ms <= max_cpu_ms
    row.target = ", ".join(parts)
    row.met = bool(met)


COLUMNS = (
    "scenario",
    "n",
    "err",
    "rate",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "CPU ms",
    "vs",
    "ratio",
    "target",
)


def _fmt(value: float, digits: int = 1) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:,.{digits}f}")
    )


def table_rows(rows: Sequence[Figures]) -> list[tuple[str, ...]]:
    lines = []
    for row in rows:
        verdict = "" if row.met is None else (" ✔" if row.met else " ✘")
        ratio = (
            ""
            if math.isnan(row.ratio)
            else f"{row.ratio:.2f}" + (" (p50)" if row.compare == "p50" else "")
        )
        lines.append(
            (
                row.name,
                f"{row.count:,}",
                str(row.errors),
                f"{_fmt(row.rate)} {row.unit}",
                _fmt(row.p50),
                _fmt(row.p95),
                _fmt(row.p99),
                _fmt(row.cpu_ms),
                row.baseline,
                ratio,
                (row.target + verdict).strip(),
            )
        )
    return lines


def render_table(rows: Sequence[Figures]) -> str:
    """A Markdown table (readable as plain text too)."""
    body = table_rows(rows)
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(COLUMNS)]
    numeric = {1, 2, 3, 4, 5, 6, 7, 9}

    def line(cells) -> str:
        padded = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(COLUMNS), rule, *(line(cells) for cells in body)])
