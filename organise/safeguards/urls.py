"""``/organise/abuse/…``: kill switches, rate limits, block and allow lists, spike alerts and
bulk invalidation (organise/safeguards/views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("abuse/", views.safeguards_page, name="abuse"),
    path("abuse/switches/", views.set_switches, name="abuse_switches"),
    path("abuse/limits/", views.set_limits, name="abuse_limits"),
    path("abuse/lists/", views.lists, name="abuse_lists"),
    path("abuse/lists/<int:pk>/remove/", views.remove_list_entry, name="abuse_list_remove"),
    path("abuse/spikes/", views.spikes, name="abuse_spikes"),
    path("abuse/spikes/<int:pk>/", views.spike, name="abuse_spike"),
    path("abuse/invalidations/", views.invalidations, name="abuse_invalidations"),
    path(
        "abuse/invalidations/<int:pk>/",
        views.invalidation_detail,
        name="abuse_invalidation",
    ),
    path(
        "abuse/invalidations/<int:pk>/cancel/",
        views.cancel_invalidation,
        name="abuse_invalidation_cancel",
    ),
    path(
        "abuse/invalidations/<int:pk>/undo/",
        views.undo_invalidation,
        name="abuse_invalidation_undo",
    ),
]
