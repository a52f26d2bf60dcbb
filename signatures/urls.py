# The signing URLs keep the same English path in every language (/en/sign/, /fr/sign/):
# they are printed in emails and used by partners' links, so they must never move.
from django.urls import path

from . import views

app_name = "signatures"

urlpatterns = [
    path("sign/", views.sign, name="sign"),
    path("sign/check-your-email/", views.check_email, name="check_email"),
    path("sign/confirm/<str:token>/", views.confirm, name="confirm"),
    path("sign/new-link/", views.resend, name="resend"),
    path("sign/withdraw/<str:token>/", views.withdraw, name="withdraw"),
]
