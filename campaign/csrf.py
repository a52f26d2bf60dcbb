"""Forms that need no per-visitor CSRF token, so that the pages embedding them can be cached.

CSRF protection stops another site from making a visitor's browser act *with the visitor's
credentials* (their session). Signing the appeal and asking for a new confirmation link use no
credentials: they do for anyone exactly what a stranger could do by posting the form directly,
and what they start is only an email to the address typed, which must be clicked (double
opt-in) before anything counts or shows. A CSRF token would protect nothing there, yet it
would make every page carrying the sign form (the home page, ``/sign/``) private to one
visitor, so that no cache or CDN could share it. See docs/performance.md.

``csrf_exempt_same_origin`` drops the token, and keeps a cheaper defence in depth: a ``POST``
whose browser says it comes from another site (``Origin`` or ``Sec-Fetch-Site``) is refused,
unless that origin is in ``CSRF_TRUSTED_ORIGINS`` (a partner embedding the form).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.csrf import csrf_failure
from django.views.decorators.csrf import csrf_exempt

REASON_CROSS_SITE = "This form only accepts submissions from this site's own pages."


def is_cross_site(request: HttpRequest) -> bool:
    """Whether the browser says ``request`` comes from a page of another site.

    ``Origin`` is compared with this site's own origin and ``CSRF_TRUSTED_ORIGINS``
    (``"null"``, sent from sandboxed or privacy-stripped contexts, is another site); without
    ``Origin``, ``Sec-Fetch-Site: cross-site`` decides. A request that carries neither (an old
    browser, a script) is not cross-site: it could have posted the form directly anyway.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        own = f"{request.scheme}://{request.get_host()}"
        return origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS
    return request.headers.get("Sec-Fetch-Site") == "cross-site"


def csrf_exempt_same_origin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Exempt ``view`` from the CSRF token, but refuse a ``POST`` from another site (403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST" and is_cross_site(request):
            return csrf_failure(request, reason=REASON_CROSS_SITE)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
