"""CSV import (under /organise/imports/, where settings.IMPORT_MAX_BYTES applies) and export."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.imports_page, name="imports"),
    path("imports/<int:job_id>/", views.import_detail, name="import"),
    path("imports/<int:job_id>/report.csv", views.import_report, name="import_report"),
    path("imports/<int:job_id>/resume/", views.import_resume, name="import_resume"),
    path("imports/<int:job_id>/run/", views.import_for_real, name="import_run"),
    path("export/signatories.csv", views.export, name="export"),
]
