"""The benchmark's newer quick parts: the CPU target of a signature, the flame graph drawn from
py-spy's stacks, and the names of the scaling rows."""

from __future__ import annotations

from bench import flamegraph, report
from bench.scaling import CONFIGURATIONS, label

STACKS = """\
process 7:"gunicorn";sign (signatures/views.py:40);execute (psycopg/cursor.py:90) 30
process 7:"gunicorn";sign (signatures/views.py:40);render (django/template/base.py:10) 10
process 8:"gunicorn";sign (signatures/views.py:40) 10
garbage line
"""


def test_a_signature_over_its_cpu_budget_misses_the_target():
    row = report.latency_figures(
        "sign", unit="sig/s", latencies_ms=[100] * 200, errors=0, seconds=1
    )
    row.cpu_ms = 14.0
    report.check_target(row, min_rate=100, max_p95=250, max_cpu_ms=15)
    assert row.met and row.target == "≥ 100/s, p95 < 250 ms, CPU ≤ 15 ms"
    row.cpu_ms = 16.0
    report.check_target(row, min_rate=100, max_p95=250, max_cpu_ms=15)
    assert not row.met


def test_the_flame_graph_draws_each_frame_by_its_share():
    picture = flamegraph.svg(STACKS, title="signing")
    assert picture.startswith("<svg") and picture.rstrip().endswith("</svg>")
    assert "signing: 50 samples" in picture
    assert "sign (signatures/views.py:40) (100.0%)" in picture
    assert "execute (psycopg/cursor.py:90) (60.0%)" in picture
    assert "render (django/template/base.py:10) (20.0%)" in picture
    assert "process 7" not in picture  # processes are merged


def test_the_scaling_rows_name_their_processes():
    assert (1, 1) in CONFIGURATIONS and (2, 2) in CONFIGURATIONS
    assert label(1, 1) == "sign, 1 web process + 1 worker process"
    assert label(2, 2) == "sign, 2 web processes + 2 worker processes"
