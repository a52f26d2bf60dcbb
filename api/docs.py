"""The API's human-readable documentation, rendered on the server from the OpenAPI schema.

django-ninja's Swagger UI and Redoc pages load their scripts from a CDN and need JavaScript;
this site makes no third-party request from the browser and works without JavaScript, so the
docs page is a template fed by ``api.get_openapi_schema()``: each operation with its
parameters, its answers and an example built from the examples the schema carries.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from campaign.selectors import current_campaign
from optouts.documents import tdm_policy
from optouts.models import OptOutDeclaration
from signatures.models import Supporter

from .schemas import EXAMPLE_TIME

MAX_DEPTH = 8


def index(request: HttpRequest) -> HttpResponse:
    """``/api/v1/``: where the schema and the docs are."""
    return JsonResponse(
        {
            "docs": request.build_absolute_uri(reverse("api:docs")),
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
        }
    )


def docs_page(request: HttpRequest) -> HttpResponse:
    from .views import api

    schema = api.get_openapi_schema()
    try:
        campaign = current_campaign()
    except Http404:
        campaign = None
    return render(
        request,
        "api/docs.html",
        {
            "campaign": campaign,
            "operations": operations(schema),
            "openapi_url": reverse("api:openapi-json"),
            # The page is cached publicly: it must not read the visitor's session.
            "messages": [],
        },
    )


def operations(schema: dict) -> list[dict]:
    """Each operation of ``schema``, ready for the template, in the schema's order."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for route, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            found.append(
                {
                    "id": operation.get("operationId", ""),
                    "method": method.upper(),
                    "path": route,
                    "summary": _translated(operation.get("summary", "")),
                    "description": _translated(operation.get("description", "")),
                    "parameters": [_parameter(p) for p in operation.get("parameters", [])],
                    "responses": _responses(operation.get("responses", {})),
                    "example": _example_response(operation, components),
                }
            )
    return found


def _translated(text: str) -> SafeString:
    """Summaries and descriptions are marked with ``gettext_noop`` where they are written: the
    schema stays in English, the page speaks the visitor's language. Markdown code spans
    (`name`) become ``<code>``; everything else is escaped."""
    escaped = escape(gettext(text)) if text else ""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S308


def _parameter(parameter: dict) -> dict:
    schema = parameter.get("schema", {})
    return {
        "name": parameter["name"],
        "where": parameter.get("in", ""),
        "required": parameter.get("required", False),
        "type": _type_label(schema),
        "description": _translated(parameter.get("description") or schema.get("description", "")),
        "default": schema.get("default"),
    }


def _type_label(schema: dict) -> str:
    options = schema.get("anyOf")
    if options:
        return " | ".join(_type_label(option) for option in options if option.get("type") != "null")
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    label = schema.get("type", "")
    bounds = [
        f"{name} {schema[key]}"
        for key, name in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤"))
        if key in schema
    ]
    if "pattern" in schema:
        bounds.append(schema["pattern"])
    return f"{label} ({', '.join(bounds)})" if bounds else label


def _responses(responses: dict) -> list[dict]:
    return [
        {
            "status": str(status),
            "description": response.get("description", ""),
            "media_types": list(response.get("content", {})),
        }
        for status, response in responses.items()
    ]


def _example_response(operation: dict, components: dict) -> str:
    responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
    content = responses.get("200", {}).get("content", {})
    if "application/json" in content:
        example = example_for(content["application/json"].get("schema", {}), components)
        return json.dumps(example, indent=2, ensure_ascii=False)
    if "application/ld+json" in content:
        return json.dumps(_example_policy(), indent=2, ensure_ascii=False)
    if "application/jsonl" in content:
        line = example_for({"$ref": "#/components/schemas/OptOut"}, components)
        return json.dumps(line, ensure_ascii=False)
    return ""


def _example_policy() -> dict:
    """A policy as the site serves it, for an artist who does not exist."""
    supporter = Supporter(full_name="Ada Lovelace", public_id="1f2e3d4c")
    return tdm_policy(OptOutDeclaration(uid="a1b2c3d4e5f6", supporter=supporter))


def example_for(schema: dict, components: dict, depth: int = 0) -> Any:
    """A value that fits ``schema``, taken from its ``examples`` where it has some."""
    if depth > MAX_DEPTH:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_for(components.get(name, {}), components, depth + 1)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        concrete = [option for option in options if option.get("type") != "null"]
        return example_for(concrete[0], components, depth + 1) if concrete else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example_for(part, components, depth + 1)
            for name, part in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_for(schema.get("items", {}), components, depth + 1)]
    return {
        "string": EXAMPLE_TIME if schema.get("format") == "date-time" else "string",
        "integer": 0,
        "number": 0,
        "boolean": True,
    }.get(kind)
