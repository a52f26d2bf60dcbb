"""The standalone verifier as a journalist runs it: a separate Python process, over HTTP,
against a live server. It exits 0 when everything holds, 1 naming the entry when the
database was tampered with, and keeps state between runs."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from django.conf import settings as django_settings

from ledger import services
from ledger.models import Entry, Kind, Reason
from ledger.selectors import public_key

from .conftest import Signer, site_shows

SCRIPT = str(django_settings.BASE_DIR / "tools" / "verify_ledger.py")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60
    )


def test_the_verifier_over_http(live_server, transactional_db, tmp_path, settings):
    from campaign.models import Campaign

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    campaign = Campaign.objects.create(
        slug="cli-appeal", title="T", summary="S", appeal="A", status="live"
    )
    people = [Signer(campaign, n) for n in range(5)]
    for person in people:
        person.record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC))
    people[1].record(Kind.WITHDRAWN)
    services.publish_tree_head(campaign=campaign, now=dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC))
    site_shows(campaign, 4)
    key = public_key().hex
    state = tmp_path / "state.json"

    honest = run(live_server.url, "--key", key, "--state", str(state))
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert "cli-appeal: 6 entries, 2 signed tree heads, 4 signatures counted" in honest.stdout
    assert state.exists()

    receipt = run(
        live_server.url,
        "--key",
        key,
        "--receipt",
        people[0].commitment,
        "--salt",
        people[0].salt.hex(),
        "--ref",
        people[0].ref,
    )
    assert receipt.returncode == 0, receipt.stdout
    assert "entry 0 (counted" in receipt.stdout

    Entry.objects.filter(index=3).update(reason=Reason.IMPORTED)
    caught = run(live_server.url, "--key", key, "--state", str(state))
    assert caught.returncode == 1
    assert "MISMATCH cli-appeal:" in caught.stdout
    assert "entry 3 is not the one the tree was built with" in caught.stdout

    wrong_key = run(live_server.url, "--key", "00" * 32)
    assert wrong_key.returncode == 1 and "the signature does not verify" in wrong_key.stdout
    unreachable = run("http://127.0.0.1:9", "--key", key)
    assert unreachable.returncode == 2
