"""The review queues, the signatory list and pages, and the audit trail."""

from django.urls import path

from .views import audit, review

urlpatterns = [
    path("verifications/", review.verifications, name="verifications"),
    path("verifications/<int:verification_id>/", review.verification, name="verification"),
    path(
        "verifications/<int:verification_id>/decide/",
        review.verification_decide,
        name="verification_decide",
    ),
    path("held/", review.held, name="held"),
    path("held/bulk/", review.held_bulk, name="held_bulk"),
    path("signatories/", review.signatories_list, name="signatories"),
    path("signatories/bulk/", review.signatories_bulk, name="signatories_bulk"),
    path("signatories/<int:signature_id>/", review.signatory, name="signatory"),
    path(
        "signatories/<int:signature_id>/moderate/",
        review.signatory_moderate,
        name="signatory_moderate",
    ),
    path("audit/", audit.audit, name="audit"),
]
