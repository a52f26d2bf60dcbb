"""Public pages of updates, under the language prefix: the news pages (translated paths, like
the campaign's pages) and the unsubscribe link (one fixed path in every language: it is
printed in emails and in their ``List-Unsubscribe`` header, so it must never move)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "updates"

urlpatterns = [
    path(_("news/"), views.news_list, name="news"),
    path(_("news/<slug:slug>/"), views.news_detail, name="news_detail"),
    path("updates/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
