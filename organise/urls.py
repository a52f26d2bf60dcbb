"""``/organise/…``: the back office. Its own pages (the front page, the audit trail) are here;
each area keeps its URL module in its package, included under the one ``organise`` namespace."""

from django.urls import include, path

from . import views

app_name = "organise"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("audit/", views.audit, name="audit"),
    path("", include("organise.review.urls")),
    path("", include("organise.transfer.urls")),
    path("", include("organise.updates.urls")),
    path("", include("organise.safeguards.urls")),
    path("", include("organise.privacy.urls")),
    path("", include("organise.tracker.urls")),
]
