"""``/api/v1/``: ninja's operations and schema, and our docs page, every view wrapped in
``http.public_api`` (rate limit, caching headers, ETag)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, path

from . import docs
from .http import public_api
from .views import api

app_name = api.urls_namespace


def _wrapped(patterns: list) -> list[URLPattern]:
    """The same routes, each view wrapped; a nested include would escape the wrapping."""
    wrapped = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise ImproperlyConfigured(f"Unexpected nested URLs under /api/v1/: {pattern!r}")
        wrapped.append(
            URLPattern(
                pattern.pattern, public_api(pattern.callback), pattern.default_args, pattern.name
            )
        )
    return wrapped


ninja_patterns, _app_name, _namespace = api.urls

urlpatterns = _wrapped(
    [
        path("", docs.index, name="index"),
        path("docs", docs.docs_page, name="docs"),
        *ninja_patterns,
    ]
)
