"""Privacy requests: find a person, export their data, erase them (Organisers only)."""

from django.urls import path

from .views import privacy

urlpatterns = [
    path("privacy/", privacy.find, name="privacy"),
    path("privacy/<int:supporter_id>/", privacy.request_page, name="privacy_request"),
    path("privacy/<int:supporter_id>/export/", privacy.export, name="privacy_export"),
    path("privacy/<int:supporter_id>/erase/", privacy.erase, name="privacy_erase"),
]
