"""The benchmark's quick parts (the benchmark itself is ``make bench``, never part of the tests):
figures and ratios, the table, the seeding, the SMTP sink's parsing, the profile summary."""

from __future__ import annotations

import math

import pytest
from django.core.mail import EmailMultiAlternatives

from bench import report
from bench.pyspy import summarize_collapsed
from bench.seed import seed_supporters
from bench.smtp_sink import record
from campaign.models import OutboundEmail
from signatures.models import Signature, Supporter
from signatures.selectors import DirectoryFilters, directory_page
from signatures.services import exact_signature_counts


def test_percentiles_interpolate():
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 0.5) == pytest.approx(50.5)
    assert report.percentile(values, 0.95) == pytest.approx(95.05)
    assert report.percentile([7.0], 0.99) == 7.0
    assert math.isnan(report.percentile([], 0.5))


def test_ratios_compare_rates_or_latencies_with_the_named_baseline():
    base = report.latency_figures("base", unit="req/s", latencies_ms=[1] * 100, errors=0, seconds=1)
    home = report.latency_figures(
        "home", unit="req/s", latencies_ms=[2] * 90, errors=0, seconds=1, baseline="base"
    )
    deep = report.latency_figures(
        "deep",
        unit="req/s",
        latencies_ms=[3] * 10,
        errors=0,
        seconds=1,
        baseline="home",
        compare="p50",
    )
    report.apply_baselines([base, home, deep])
    assert home.ratio == pytest.approx(0.9)
    assert deep.ratio == pytest.approx(1.5)
    assert math.isnan(base.ratio)


def test_a_target_is_met_only_without_errors():
    row = report.latency_figures(
        "sign", unit="sig/s", latencies_ms=[100] * 400, errors=0, seconds=1
    )
    report.check_target(row, min_rate=333, max_p95=250)
    assert row.met and row.target == "≥ 333/s, p95 < 250 ms"
    row.errors = 1
    report.check_target(row, min_rate=333, max_p95=250)
    assert not row.met
    slow = report.latency_figures(
        "sign", unit="sig/s", latencies_ms=[300] * 400, errors=0, seconds=1
    )
    report.check_target(slow, min_rate=333, max_p95=250)
    assert not slow.met


def test_the_table_lists_every_row_with_its_verdict():
    base = report.latency_figures("base", unit="req/s", latencies_ms=[1, 2], errors=0, seconds=1)
    home = report.latency_figures(
        "home", unit="req/s", latencies_ms=[1], errors=0, seconds=1, baseline="base"
    )
    report.apply_baselines([base, home])
    report.check_target(home, min_ratio=0.8)
    table = report.render_table([base, home]).splitlines()
    assert table[0].startswith("| scenario")
    assert len(table) == 4
    assert "0.50" in table[3] and "ratio ≥ 0.8 ✘" in table[3]
    assert report.Figures("x", "req/s", 0, 0, 0).as_dict()["rate"] is None


@pytest.mark.django_db
def test_seeding_makes_confirmed_listed_supporters_the_pages_can_show(launched_campaign):
    summary = seed_supporters(
        campaign=launched_campaign, confirmed=300, pending=10, withdrawn=5, seed=7
    )

    assert Supporter.objects.count() == 315
    assert Signature.objects.filter(status="confirmed").count() == 300
    assert exact_signature_counts() == {launched_campaign.pk: summary.counted}
    assert summary.counted == 300 - summary.held
    assert summary.verified == 9 and summary.featured == 8
    assert Supporter.objects.filter(user__isnull=False).count() == 300
    assert OutboundEmail.objects.filter(status="sent").count() == 315
    assert Supporter.objects.values("country").distinct().count() > 10
    assert Supporter.objects.values("field_of_work").distinct().count() > 8
    page = directory_page(campaign=launched_campaign, filters=DirectoryFilters())
    assert len(page.entries) == 30 and page.next_cursor
    supporter = Supporter.objects.get(pk=page.entries[0].supporter.pk)
    assert supporter.slug.endswith(supporter.public_id)
    assert supporter.search_name and supporter.name_skeleton


@pytest.mark.django_db
def test_seeding_twice_adds_more(launched_campaign):
    seed_supporters(campaign=launched_campaign, confirmed=20, seed=1)
    seed_supporters(campaign=launched_campaign, confirmed=20, seed=2, email_prefix="more-")
    assert Signature.objects.count() == 40


def test_the_smtp_sink_finds_the_confirmation_link_and_message_id():
    message = EmailMultiAlternatives(
        subject="Confirm",
        body="Click https://appeal.example/fr/sign/confirm/abc:1x:yz/ now\n",
        from_email="a@example.org",
        to=["b@example.org"],
        headers={"Message-ID": "<1@appeal.example>"},
    )
    raw = message.message().as_bytes(linesep="\r\n")
    found = record(raw, ["b@example.org"], 12.5)
    assert found["confirm"] == "https://appeal.example/fr/sign/confirm/abc:1x:yz/"
    assert found["message_id"] == "<1@appeal.example>"
    assert found["to"] == ["b@example.org"] and found["t"] == 12.5


def test_the_profile_summary_sorts_time_by_layer_and_by_project_function():
    handle = "SyncWorker.handle (gunicorn/workers/sync.py:1)"
    sign = "sign (signatures/views.py:40)"
    collapsed = "\n".join(
        [
            f"{handle};{sign};Template.render (django/template/base.py:3) 30",
            f"{handle};{sign};Connection.wait (psycopg/connection.py:9) 60",
            f"{handle};SyncWorker.accept (gunicorn/workers/sync.py:2) 10",
        ]
    )
    summary = summarize_collapsed(collapsed)
    assert "100 samples" in summary
    assert "60.0%  PostgreSQL round trips (psycopg)" in summary
    assert "30.0%  templates" in summary
    assert "10.0%  gunicorn (HTTP)" in summary
    assert "90.0%  sign (signatures/views.py)" in summary


def test_rounds_merge_into_one_scenario():
    first = report.latency_figures("home", unit="req/s", latencies_ms=[1, 2], errors=0, seconds=1)
    second = report.latency_figures("home", unit="req/s", latencies_ms=[3, 4], errors=1, seconds=1)
    first.cpu_ms, second.cpu_ms = 1.0, 3.0
    merged = report.merge_figures([first, second])
    assert (merged.count, merged.errors, merged.seconds) == (4, 1, 2)
    assert merged.rate == 2 and merged.p50 == pytest.approx(2.5)
    assert merged.cpu_ms == pytest.approx(2.0)
    assert "latencies_ms" not in merged.as_dict()["extra"]
