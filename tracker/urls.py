from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import feeds, views

app_name = "tracker"

urlpatterns = [
    path("", views.overview, name="overview"),
    path(_("companies/<slug:slug>/"), views.company, name="company"),
    path(_("companies/<slug:slug>/write/"), views.write, name="write"),
    path(_("deals/"), views.deals, name="deals"),
    path(_("feed/"), feeds.StatusChangesFeed(), name="feed"),
]
