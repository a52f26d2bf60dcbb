"""``/organise/…``: the back office. Each area keeps its own URL module, included here."""

from django.urls import include, path

from .views import dashboard

app_name = "organise"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("", include("organise.urls_review")),
    path("", include("organise.urls_transfer")),
    path("", include("organise.urls_updates")),
    path("", include("organise.urls_abuse")),
    path("", include("organise.urls_privacy")),
]
