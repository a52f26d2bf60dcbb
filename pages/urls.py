"""The campaign's public pages. Their URL names keep the namespace they have always had,
``campaign:`` (``campaign:home``, ``campaign:stats``…): templates, emails and partners' links
name them so."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "campaign"

urlpatterns = [
    path("", views.home, name="home"),
    path(_("why-it-matters/"), views.why_it_matters, name="why"),
    path(_("about/"), views.about, name="about"),
    path(_("privacy/"), views.privacy, name="privacy"),
    # Kept the same in every language: journalists cite the figures, partners embed the counter.
    path("stats/", views.stats_page, name="stats"),
    path("share-image.png", views.og_image, name="share_image"),
    path("embed/<slug:slug>/", views.embed, name="embed"),
    # A tracked company's picture, in the page's language (the tracker's company pages).
    path("tracker-image/<slug:slug>.png", views.tracker_share_image, name="tracker_share_image"),
]
