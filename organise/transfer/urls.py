"""CSV import (under /organise/imports/, where settings.IMPORT_MAX_BYTES applies) and export."""

from django.urls import path

from .views import transfer

urlpatterns = [
    path("imports/", transfer.imports_page, name="imports"),
    path("imports/<int:job_id>/", transfer.import_detail, name="import"),
    path("imports/<int:job_id>/report.csv", transfer.import_report, name="import_report"),
    path("imports/<int:job_id>/resume/", transfer.import_resume, name="import_resume"),
    path("imports/<int:job_id>/run/", transfer.import_for_real, name="import_run"),
    path("export/signatories.csv", transfer.export, name="export"),
]
