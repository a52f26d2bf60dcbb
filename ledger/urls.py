from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.page, name="page"),
    path("verify_ledger.py", views.verifier_script, name="verifier"),
]
