"""``/organise/updates/…`` (updates to signatories) and ``/organise/emails/…`` (failed emails)."""

from django.urls import path

from .views import emails, updates

urlpatterns = [
    path("updates/", updates.update_list, name="updates"),
    path("updates/new/", updates.update_new, name="update_new"),
    path("updates/<int:pk>/", updates.update_detail, name="update"),
    path("updates/<int:pk>/edit/", updates.update_edit, name="update_edit"),
    path("updates/<int:pk>/test/", updates.update_test, name="update_test"),
    path("updates/<int:pk>/send/", updates.update_send, name="update_send"),
    path("updates/<int:pk>/resume/", updates.update_resume, name="update_resume"),
    path("updates/<int:pk>/publish/", updates.update_publish, name="update_publish"),
    path("updates/<int:pk>/unpublish/", updates.update_unpublish, name="update_unpublish"),
    path("updates/<int:pk>/delete/", updates.update_delete, name="update_delete"),
    path("emails/", emails.email_list, name="emails"),
    path("emails/<int:pk>/", emails.email_detail, name="email"),
    path("emails/<int:pk>/retry/", emails.email_retry, name="email_retry"),
    path("emails/<int:pk>/cancel/", emails.email_cancel, name="email_cancel"),
]
