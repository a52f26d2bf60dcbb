"""The page scenarios: the campaign pages, the directory and profiles, against ``/healthz``."""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from urllib.parse import quote

from . import report
from .context import (
    DEEP_MAX_RATIO,
    HOME_MIN_RATIO,
    PROFILE_MIN_RATIO,
    RENDERED_MIN_RATIOS,
    Bench,
    measure,
    measure_paired,
    run_load,
)
from .pyspy import finish_profiler, start_profiler

# With --profile, the rendered rows py-spy records afterwards (not while they are measured).
PROFILED_PAGES = {
    "directory, search (rendered)": "page-search",
    "profiles, 2,000 different (rendered)": "page-profile",
}


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
            "baseline: /healthz",
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
        # The same through the page cache: each profile is asked about once per max-age, so
        # nearly every request is a miss that renders the page and stores it in Redis.
        (
            "profiles, 2,000 different (page cache, misses)",
            [f"/en/supporters/{slug}/" for slug in facts["profiles"]],
            False,
            "baseline: /healthz",
        ),
    ]
    # Targets compared with a baseline are measured in interleaved rounds (baseline, scenario,
    # baseline, scenario…), so that other work on the machine weighs on both alike.
    healthz = "baseline: /healthz"
    rendered = RENDERED_MIN_RATIOS
    paired = {
        "home (page cache)": (healthz, {"min_ratio": HOME_MIN_RATIO}),
        "home (rendered)": (healthz, {"min_ratio": rendered["home"]}),
        "directory, first page (rendered)": (healthz, {"min_ratio": rendered["directory"]}),
        deep_label: ("directory, first page (rendered)", {"max_ratio": DEEP_MAX_RATIO}),
        "directory, search (rendered)": (healthz, {"min_ratio": rendered["search"]}),
        "profile (page cache)": (healthz, {"min_ratio": PROFILE_MIN_RATIO}),
        "profiles, 2,000 different (rendered)": (healthz, {"min_ratio": rendered["profile"]}),
    }
    specs = {}
    for name, paths, rendered, baseline in scenarios:
        valid = [quote(p, safe="/?=&%:") for p in paths]
        valid = [p for p in valid[:5] if _exists(bench, p)] + valid[5:]
        if not valid:
            bench.say(f"  skipped {name}: no such page")
            continue
        specs[name] = {"kind": "get", "paths": valid}
        if rendered:  # the same site, with its page cache off (bench/prepare.py)
            specs[name]["base_url"] = bench.uncached_url
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
    if bench.args.profile:
        profile_pages(bench, specs)


def profile_pages(bench: Bench, specs: dict) -> None:
    """py-spy on the page-cache-off gunicorn while it renders searches and profiles, in a run
    of their own after the measured rows, so that sampling weighs on no figure."""
    for name, profile_name in PROFILED_PAGES.items():
        if name not in specs:
            continue
        profiler = start_profiler(
            bench, "gunicorn, page cache off", profile_name, pids=[bench.uncached_pid]
        )
        run_load(bench, f"{profile_name} (profiled)", specs[name])
        if profiler is not None:
            finish_profiler(bench, profiler, profile_name, f"gunicorn rendering {name}")


def _exists(bench: Bench, path: str) -> bool:
    url = bench.web_url + path  # always http://127.0.0.1:…
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status == 200
    except urllib.error.HTTPError:
        return False
