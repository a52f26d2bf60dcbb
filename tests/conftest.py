"""Shared fixtures. Tests that need a real service call ``need_service``: they skip when the
service is missing on a developer's machine and fail in CI, where ``REQUIRE_SERVICES=1``."""

from __future__ import annotations

import os

import pytest

from campaign.services import install_launch_content


def need_service(name: str, available: bool) -> None:
    """Skip (or, when ``REQUIRE_SERVICES`` is set, fail) a test whose service is missing."""
    if available:
        return
    message = f"{name} is not available"
    if os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}:
        pytest.fail(f"{message}, and REQUIRE_SERVICES is set", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def launched_campaign(db):
    """The campaign as ``load_campaign`` installs it."""
    campaign, _changed = install_launch_content()
    return campaign
