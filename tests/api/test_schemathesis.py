"""Schemathesis against the live API: requests generated from the published schema for every
operation, sent over HTTP to a real server (pytest-django's ``live_server``), must never get a
server error, and every answer must match the schema (status code, content type, headers and
body); requests the schema calls invalid must be refused with a 4xx.

Runs in CI with the rest of the suite. Schemathesis' own pytest loader
(``schemathesis.pytest.from_fixture``) does not work under pytest 9 (it sets
``Function._nodeid``), so each operation's strategy drives a plain hypothesis test here;
hypothesis is bounded so that the whole file stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.views import api
from optouts.models import OptOutDeclaration, OptOutLocation

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 100, GenerationMode.NEGATIVE: 50}


def _runs() -> list[tuple[str, GenerationMode]]:
    """Each operation with valid data, and with invalid data when it takes parameters."""
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    runs = []
    for path, methods in sorted(paths.items()):
        runs.append((path, GenerationMode.POSITIVE))
        if methods["get"].get("parameters"):
            runs.append((path, GenerationMode.NEGATIVE))
    return runs


@pytest.fixture
def live_schema(transactional_db, live_server, cast, settings):
    """The schema as the live server publishes it, with data behind every endpoint."""
    # Every generated request comes from one address: no rate limit for this run.
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    declaration = OptOutDeclaration.objects.create(
        supporter=cast.listed["ada"], declared_at=timezone.now()
    )
    OptOutLocation.objects.create(
        declaration=declaration,
        url="https://ada.example/",
        status=OptOutLocation.Status.OK,
        check_result="found_rel_me",
        checked_at=timezone.now(),
    )
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


@pytest.mark.parametrize(
    ("path", "mode"), _runs(), ids=lambda value: getattr(value, "value", value)
)
def test_the_live_api_never_fails_and_matches_its_schema(live_schema, path, mode):
    operation = live_schema[path]["GET"]
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(checks=checks)
        sent.append(case)

    run()
    assert sent, "no request was sent"
