"""``/organise/tracker/…``: the AI companies tracker's drafts, reviews and publications."""

from django.urls import path

from . import views

urlpatterns = [
    path("tracker/", views.index, name="tracker"),
    path("tracker/companies/new/", views.company_new, name="tracker_company_new"),
    path("tracker/companies/<int:pk>/", views.company_detail, name="tracker_company"),
    path("tracker/companies/<int:pk>/edit/", views.company_edit, name="tracker_company_edit"),
    path(
        "tracker/companies/<int:pk>/listing/", views.company_listing, name="tracker_company_listing"
    ),
    path("tracker/companies/<int:pk>/draft/", views.revision_new, name="tracker_revision_new"),
    path("tracker/drafts/<int:pk>/", views.revision_detail, name="tracker_revision"),
    path(
        "tracker/drafts/<int:pk>/publish/", views.revision_publish, name="tracker_revision_publish"
    ),
    path("tracker/drafts/<int:pk>/return/", views.revision_return, name="tracker_revision_return"),
    path("tracker/deals/new/", views.deal_new, name="tracker_deal_new"),
    path("tracker/deals/<int:pk>/", views.deal_detail, name="tracker_deal"),
    path("tracker/deals/<int:pk>/edit/", views.deal_edit, name="tracker_deal_edit"),
    path("tracker/deals/<int:pk>/publish/", views.deal_publish, name="tracker_deal_publish"),
    path("tracker/criteria/new/", views.criterion_new, name="tracker_criterion_new"),
    path("tracker/criteria/<int:pk>/", views.criterion_edit, name="tracker_criterion_edit"),
]
