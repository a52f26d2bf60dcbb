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
    path("supporters/", views.directory, name="directory"),
    path("supporters/<str:slug>/", views.profile, name="profile"),
    path("account/", views.account, name="account"),
    path("account/verify/link/", views.verify_link, name="verify_link"),
    path("account/verify/review/", views.verify_review, name="verify_review"),
    path("account/data.json", views.download_data, name="account_data"),
    path("account/withdraw/", views.account_withdraw, name="account_withdraw"),
    path("account/delete/", views.account_delete, name="account_delete"),
]
