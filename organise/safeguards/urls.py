"""``/organise/abuse/…``: kill switches, rate limits, block and allow lists, spike alerts and
bulk invalidation (organise/views/abuse.py)."""

from django.urls import path

from .views import abuse

urlpatterns = [
    path("abuse/", abuse.safeguards_page, name="abuse"),
    path("abuse/switches/", abuse.set_switches, name="abuse_switches"),
    path("abuse/limits/", abuse.set_limits, name="abuse_limits"),
    path("abuse/lists/", abuse.lists, name="abuse_lists"),
    path("abuse/lists/<int:pk>/remove/", abuse.remove_list_entry, name="abuse_list_remove"),
    path("abuse/spikes/", abuse.spikes, name="abuse_spikes"),
    path("abuse/spikes/<int:pk>/", abuse.spike, name="abuse_spike"),
    path("abuse/invalidations/", abuse.invalidations, name="abuse_invalidations"),
    path(
        "abuse/invalidations/<int:pk>/",
        abuse.invalidation_detail,
        name="abuse_invalidation",
    ),
    path(
        "abuse/invalidations/<int:pk>/cancel/",
        abuse.cancel_invalidation,
        name="abuse_invalidation_cancel",
    ),
    path(
        "abuse/invalidations/<int:pk>/undo/",
        abuse.undo_invalidation,
        name="abuse_invalidation_undo",
    ),
]
