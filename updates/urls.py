"""Public news pages (under the language prefix)."""

from django.urls import path  # noqa: F401

app_name = "updates"

urlpatterns: list = []
