"""``/organise/updates/…`` (updates to signatories) and ``/organise/emails/…`` (failed emails)."""

from django.urls import path

from . import views

urlpatterns = [
    path("updates/", views.update_list, name="updates"),
    path("updates/new/", views.update_new, name="update_new"),
    path("updates/<int:pk>/", views.update_detail, name="update"),
    path("updates/<int:pk>/edit/", views.update_edit, name="update_edit"),
    path("updates/<int:pk>/test/", views.update_test, name="update_test"),
    path("updates/<int:pk>/send/", views.update_send, name="update_send"),
    path("updates/<int:pk>/resume/", views.update_resume, name="update_resume"),
    path("updates/<int:pk>/publish/", views.update_publish, name="update_publish"),
    path("updates/<int:pk>/unpublish/", views.update_unpublish, name="update_unpublish"),
    path("updates/<int:pk>/delete/", views.update_delete, name="update_delete"),
    path("emails/", views.email_list, name="emails"),
    path("emails/<int:pk>/", views.email_detail, name="email"),
    path("emails/<int:pk>/retry/", views.email_retry, name="email_retry"),
    path("emails/<int:pk>/cancel/", views.email_cancel, name="email_cancel"),
]
