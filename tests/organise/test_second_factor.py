"""The gate in front of /organise/ and /admin/: a login, a role, and a second factor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import log_in, make_person

pytestmark = pytest.mark.django_db

DASHBOARD = "/organise/"


def test_anonymous_visitors_are_sent_to_log_in_and_brought_back(client, campaign):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))
    assert "next=%2Forganise%2F" in response["Location"]


@pytest.mark.parametrize("role", ["Organiser", "Moderator", "Viewer"])
def test_a_role_without_a_second_factor_is_taken_to_set_one_up(client, campaign, role):
    log_in(client, make_person(role, totp=False), second_factor=False)
    response = client.get(DASHBOARD, follow=False)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_a_second_factor_not_used_in_this_session_must_be_confirmed(client, campaign):
    log_in(client, make_person("Organiser"), second_factor=False)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_with_a_role_and_a_second_factor_the_dashboard_opens(client, campaign):
    log_in(client, make_person("Viewer"))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "Confirmed today" in response.content.decode()
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_a_supporter_without_a_role_is_refused_not_asked_for_a_second_factor(client, campaign):
    log_in(client, make_person("", totp=False), second_factor=False)
    response = client.get(DASHBOARD)
    assert response.status_code == 403
    assert "does not have the role" in response.content.decode()


def test_the_admin_needs_the_second_factor_too(client, campaign):
    admin = make_person(superuser=True)
    log_in(client, admin, second_factor=False)
    assert client.get("/admin/")["Location"].startswith(reverse("mfa_reauthenticate"))
    log_in(client, admin)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_form_is_the_sites_login(client, campaign):
    response = client.get("/admin/login/?next=/admin/signatures/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))


def test_logged_in_staff_at_the_admin_login_go_straight_on(client, campaign):
    log_in(client, make_person(superuser=True))
    response = client.get("/admin/login/?next=/admin/signatures/")
    assert response["Location"] == "/admin/signatures/"
