"""The site's URLs: public pages under a language prefix (``/en/…``, ``/fr/…``); ``/`` is
redirected by ``LocaleMiddleware`` to the browser's language."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from organise.views.admin_login import admin_login

from . import views
from .health import healthz

page_patterns = [
    path("", views.home, name="home"),
    path(_("why-it-matters/"), views.why_it_matters, name="why"),
    path(_("about/"), views.about, name="about"),
    path(_("privacy/"), views.privacy, name="privacy"),
    # Kept the same in every language: journalists cite the figures, partners embed the counter.
    path("stats/", views.stats_page, name="stats"),
    path("share-image.png", views.og_image, name="share_image"),
    path("embed/<slug:slug>/", views.embed, name="embed"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # for load balancers (and the benchmark)
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("organise/", include("organise.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
]

# Error pages in the page's language that never touch the database (campaign/security.py).
handler400 = "campaign.security.bad_request"
handler500 = "campaign.security.server_error"

urlpatterns += i18n_patterns(
    path("", include((page_patterns, "campaign"))),
    path("", include("signatures.urls")),
    path("", include("optouts.urls")),
    path("", include("updates.urls")),
    path("accounts/", include("allauth.urls")),
)
