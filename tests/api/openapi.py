"""Validate API answers against the OpenAPI schema the API itself publishes.

jsonschema_rs comes with schemathesis (a declared test dependency); OpenAPI 3.1 schemas are
JSON Schema 2020-12, formats (date-time, ...) included.
"""

from __future__ import annotations

import functools
import json

import jsonschema_rs
from django.test import Client


@functools.cache
def openapi() -> dict:
    response = Client().get("/api/v1/openapi.json", REMOTE_ADDR="192.0.2.250")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def response_schema(path: str, status: int = 200, method: str = "get") -> dict:
    """The schema the API documents for ``status`` answers of ``method path``."""
    document = openapi()
    responses = document["paths"][f"/api/v1/{path.lstrip('/')}"][method]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def assert_matches(response, path: str) -> dict:
    """Parse ``response`` and check it against the documented schema of ``path``."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = json.loads(response.content)
    validator = jsonschema_rs.Draft202012Validator(
        response_schema(path, response.status_code), validate_formats=True
    )
    errors = [str(error) for error in validator.iter_errors(data)]
    assert not errors, "\n".join(errors)
    return data
