"""``manage.py load_tracker_samples``: a populated tracker for the embedded default, marked as
sample data, removed by one command and not brought back by the next ``make run``."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.factories import CompanyFactory
from tracker.models import Company, Deal, Revision, StatusChange

pytestmark = pytest.mark.django_db


def test_samples_load_marked_show_and_remove(client, launched_campaign):
    call_command("load_tracker_samples", "--first-run")
    assert Company.objects.filter(is_sample=True, is_listed=True).count() == 3
    assert Deal.objects.filter(is_sample=True, state="published").count() == 1
    assert StatusChange.objects.exists()
    html = client.get("/en/tracker/").content.decode()
    assert "Sample data." in html and "Northwind Models (sample)" in html
    call_command("load_tracker_samples")  # loading twice adds nothing
    assert Company.objects.filter(is_sample=True).count() == 3

    call_command("load_tracker_samples", "--remove")
    assert not Company.objects.exists() and not Deal.objects.exists()
    assert not Revision.objects.exists()
    call_command("load_tracker_samples", "--first-run")  # make run again: stays removed
    assert not Company.objects.exists()


def test_first_run_leaves_a_real_tracker_alone():
    CompanyFactory()
    call_command("load_tracker_samples", "--first-run")
    assert not Company.objects.filter(is_sample=True).exists()
