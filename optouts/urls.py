# Fixed English paths in every language, like the rest of the account pages.
from django.urls import path

from . import views

app_name = "optouts"

urlpatterns = [
    path("account/opt-out/", views.opt_out, name="opt_out"),
    path("account/opt-out/add/", views.add_location, name="add_location"),
    path("account/opt-out/withdraw/", views.withdraw, name="withdraw"),
    path("account/opt-out/tdmrep.json", views.download_tdmrep, name="tdmrep"),
    path("account/opt-out/robots.txt", views.download_robots, name="robots"),
]
