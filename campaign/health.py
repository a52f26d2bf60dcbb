"""``/healthz``: what a load balancer asks to know whether this web process can serve."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer "ok" when the process can serve requests.

    It touches neither the database nor Redis on purpose: the balancer should drop a web
    process that cannot answer, not every web process at once when a shared service blips
    (the site keeps taking signatures while Redis is down). Watch those services on their own.
    It is also the benchmark's baseline: the cheapest view through the full middleware stack.
    """
    return HttpResponse(b"ok\n", content_type="text/plain")
