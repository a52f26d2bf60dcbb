"""The review queues, the signatory list and one signatory's page."""

from django.urls import path

from . import views

urlpatterns = [
    path("verifications/", views.verifications, name="verifications"),
    path("verifications/<int:verification_id>/", views.verification, name="verification"),
    path(
        "verifications/<int:verification_id>/decide/",
        views.verification_decide,
        name="verification_decide",
    ),
    path("held/", views.held, name="held"),
    path("held/bulk/", views.held_bulk, name="held_bulk"),
    path("signatories/", views.signatories_list, name="signatories"),
    path("signatories/bulk/", views.signatories_bulk, name="signatories_bulk"),
    path("signatories/<int:signature_id>/", views.signatory, name="signatory"),
    path(
        "signatories/<int:signature_id>/moderate/",
        views.signatory_moderate,
        name="signatory_moderate",
    ),
]
