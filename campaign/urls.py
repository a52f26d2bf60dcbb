"""The site's URLs: public pages under a language prefix (``/en/…``, ``/fr/…``); ``/`` is
redirected by ``LocaleMiddleware`` to the browser's language.

The project's URLconf is the one module allowed to know every app (tests/test_layers.py)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from organise.views import admin_login

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # for load balancers (and the benchmark)
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("organise/", include("organise.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("tracker/logos/", include(("tracker.urls_logos", "tracker_logos"))),
]

# Error pages in the page's language that never touch the database (campaign/security.py).
handler400 = "campaign.security.bad_request"
handler500 = "campaign.security.server_error"

urlpatterns += i18n_patterns(
    path("", include("pages.urls")),
    path("", include("signatures.urls")),
    path("", include("optouts.urls")),
    path("", include("updates.urls")),
    path(_("ledger/"), include("ledger.urls")),
    path(_("tracker/"), include("tracker.urls")),
    path("accounts/", include("allauth.urls")),
)
