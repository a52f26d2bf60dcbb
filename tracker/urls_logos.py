"""Company logos, outside the language prefix: a picture is the same in every language."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:slug>/<str:version>.png", views.logo, name="logo"),
]
