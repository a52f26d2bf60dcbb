"""Privacy requests: find a person, export their data, erase them (Organisers only)."""

from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.find, name="privacy"),
    path("privacy/<int:supporter_id>/", views.request_page, name="privacy_request"),
    path("privacy/<int:supporter_id>/export/", views.export, name="privacy_export"),
    path("privacy/<int:supporter_id>/erase/", views.erase, name="privacy_erase"),
]
