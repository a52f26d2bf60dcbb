"""``manage.py grant_role``: how the first organiser gets in, and how roles change hands."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from campaign.models import AuditEvent
from organise.roles import Action, can

from .conftest import make_person

pytestmark = pytest.mark.django_db


def test_a_new_organiser_gets_an_account_without_password_and_a_verified_address(capsys):
    call_command("grant_role", "Ines@Coalition.Example", "Organiser")
    user = get_user_model().objects.get(email="Ines@coalition.example")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert can(user, Action.EXPORT) and not user.is_staff
    assert "authenticator app" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="backoffice.role_granted").count() == 1


def test_a_new_role_replaces_the_old_one():
    person = make_person("Organiser")
    call_command("grant_role", person.email, "Viewer")
    person = get_user_model().objects.get(pk=person.pk)
    assert can(person, Action.VIEW) and not can(person, Action.MODERATE)


def test_superuser_and_revoke():
    person = make_person("Moderator")
    call_command("grant_role", person.email, "superuser")
    person.refresh_from_db()
    assert person.is_superuser and person.is_staff
    call_command("grant_role", person.email, "--revoke")
    person = get_user_model().objects.get(pk=person.pk)
    assert not (person.is_superuser or person.is_staff or can(person, Action.VIEW))


def test_bad_input_is_a_clear_error_not_a_traceback():
    with pytest.raises(CommandError, match="not a valid email"):
        call_command("grant_role", "not-an-address", "Organiser")
    with pytest.raises(CommandError, match="No account"):
        call_command("grant_role", "nobody@example.org", "--revoke")
    with pytest.raises(CommandError, match="Name a role"):
        call_command("grant_role", "someone@example.org")


def test_roles_are_recreated_exactly_if_the_tables_were_emptied():
    from django.contrib.auth.models import Group

    from organise.roles import ROLE_ACTIONS, Role
    from organise.staff import ensure_roles

    expected = {
        role: sorted(action.value for action in actions) for role, actions in ROLE_ACTIONS.items()
    }
    migrated = {
        role: sorted(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        for role in Role
    }
    assert migrated == expected  # the migrations and roles.py agree
    Group.objects.all().delete()
    ensure_roles()
    ensure_roles()  # twice changes nothing
    rebuilt = {
        role: sorted(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        for role in Role
    }
    assert rebuilt == expected
