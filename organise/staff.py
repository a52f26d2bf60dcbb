"""Who runs the appeal: giving people a back-office role, and taking it away. Each change is an
audit event."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.validators import validate_email
from django.db import transaction

from campaign.audit import audit
from signatures.normalize import normalize_email

from .roles import ROLE_ACTIONS, Role


def ensure_roles() -> None:
    """Make sure the three role groups exist and hold exactly their permissions (the
    migrations create them; this repairs a database emptied since, e.g. between tests)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission

    create_permissions(apps.get_app_config("organise"), verbosity=0)
    permissions = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="organise")
    }
    for role, actions in ROLE_ACTIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions[action.value] for action in actions)


def _account(email: str):
    """The account that logs in with ``email``, created (verified, no password) if none."""
    User = get_user_model()
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user, False
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email[:150], email=email)
        user.set_unusable_password()
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def grant_role(*, email: str, role: str, actor=None):
    """Give the person with ``email`` the back-office ``role`` ("Organiser", "Moderator",
    "Viewer", or "superuser"), replacing any other role; returns ``(user, created)``.
    Raises ``ValidationError`` for an invalid address."""
    email = normalize_email(email)
    validate_email(email)
    ensure_roles()
    user, created = _account(email)
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
    if role == "superuser":
        user.is_superuser = user.is_staff = True
    else:
        user.groups.add(Group.objects.get(name=Role(role).value))
    user.save()
    audit(action="backoffice.role_granted", actor=actor, data={"user": user.pk, "role": role})
    return user, created


@transaction.atomic
def revoke_roles(*, email: str, actor=None) -> bool:
    """Take every back-office role (and superuser status) from the person with ``email``."""
    address = EmailAddress.objects.filter(email__iexact=email.strip()).select_related("user")
    user = address.first().user if address.exists() else None
    if user is None:
        return False
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
    user.is_superuser = user.is_staff = False
    user.save()
    audit(action="backoffice.roles_revoked", actor=actor, data={"user": user.pk})
    return True
