"""The decorator every back-office view wears: one ``roles.can`` check, and no caching."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache

from .roles import Action, can


def require(action: Action) -> Callable:
    """Refuse (403) anyone who may not do ``action``. Login and the second factor are the
    middleware's job, before any view runs."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @never_cache
        def checked(request, *args, **kwargs):
            if not can(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked.required_action = action
        return checked

    return decorator
