"""The back office's menu and the signed-in person's allowed actions, on its pages only."""

from __future__ import annotations

from django.http import HttpRequest

from .middleware import needs_second_factor
from .navigation import menu_for
from .roles import actions_of


def backoffice(request: HttpRequest) -> dict:
    if not needs_second_factor(request.path_info):
        return {}
    return {"backoffice_menu": menu_for(request.user), "allowed": actions_of(request.user)}
