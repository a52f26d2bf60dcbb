"""``manage.py import_signatures``: the same import from the command line, its progress bar, its
summary and report, its exit codes, and a dry run that writes nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campaign.models import AuditEvent, OutboundEmail
from organise.management.commands.import_signatures import Command
from organise.models import ImportJob, ImportReportLine
from signatures.models import Signature, Supporter
from tests.factories import SignatureFactory, SupporterFactory

from .conftest import make_person

pytestmark = pytest.mark.django_db

MIXED = Path(__file__).parent / "data" / "mixed.csv"
CLEAN = "email,full_name,field_of_work,country\nkim@example.org,Kim Lee,composer,KR\n"


@pytest.fixture
def known(campaign):
    wanda = SupporterFactory(email="wanda@example.org", full_name="Wanda Withdrawn")
    SignatureFactory(campaign=campaign, supporter=wanda, status="withdrawn")


def import_signatures(*args) -> tuple[str, CommandError | None]:
    """Run the command; its output, and the CommandError it ended with, if any."""
    out = io.StringIO()
    try:
        call_command("import_signatures", *map(str, args), stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def exit_code(*args) -> int:
    """The exit code the shell sees, as ``manage.py import_signatures …`` would give it (the
    connections it closes on the way out stay open: they hold the test's transaction)."""
    with (
        pytest.raises(SystemExit) as ended,
        mock.patch("django.core.management.base.connections.close_all"),
    ):
        Command(stdout=io.StringIO(), stderr=io.StringIO()).run_from_argv(
            ["manage.py", "import_signatures", *map(str, args)]
        )
    return ended.value.code


def report_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("line ")]


def everything() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Supporter, Signature, ImportJob, ImportReportLine, AuditEvent, OutboundEmail)
    }


def test_the_import_prints_progress_a_summary_and_every_refused_row(campaign, known):
    output, error = import_signatures(MIXED, "--source", "Partner list")

    assert "Importing" in output and "12/12" in output
    assert (
        "12 rows: 5 created, 0 updated, 0 unchanged, 5 with mistakes, 1 repeated, "
        "1 withdrawn (left alone), 0 held for review." in output
    )
    lines = report_lines(output)
    assert lines[0] == (
        "line 4 [email] =cmd|' /C calc'!A0: Not imported: a mistake in the row. "
        "An email address cannot contain spaces."
    )
    assert [re.match(r"line (\d+)", line).group(1) for line in lines] == [
        "4",
        "5",
        "6",
        "7",
        "8",
        "10",
        "13",
    ]
    assert any("“sculptor” is not a field of work" in line for line in lines)
    assert any("formula" in line for line in lines if line.startswith("line 8 [full_name]"))
    assert error is not None and error.returncode == 2
    assert "6 rows were not imported" in str(error)
    assert Signature.objects.filter(source_detail="Partner list").count() == 5
    event = AuditEvent.objects.get(action="signatures.imported")
    assert event.actor is None and event.data["label"] == "Partner list"


def test_a_dry_run_writes_nothing_and_prints_the_same_report(campaign, known):
    before = everything()

    dry_output, dry_error = import_signatures(MIXED, "--dry-run")

    assert everything() == before
    assert "Dry run: nothing was written." in dry_output
    assert "5 would be created, 0 would be updated" in dry_output
    real_output, real_error = import_signatures(MIXED)
    assert report_lines(dry_output) == report_lines(real_output)
    assert dry_error.returncode == real_error.returncode == 2
    assert Supporter.objects.count() == before["Supporter"] + 5


def test_exit_codes(campaign, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text(CLEAN, encoding="utf-8")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,town\nKim,Seoul\n", encoding="utf-8")

    assert exit_code(tmp_path / "missing.csv") == 1
    assert exit_code(wrong) == 1
    assert exit_code(MIXED, "--dry-run") == 2
    assert not Supporter.objects.exists()
    output, error = import_signatures(clean)
    assert error is None and "Every row was imported." in output
    assert Supporter.objects.get().full_name == "Kim Lee"


def test_a_file_that_does_not_fit_says_why(campaign, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,town\nKim,Seoul\n", encoding="utf-8")
    _output, error = import_signatures(wrong)
    assert "lacks these columns: email, field_of_work, country. It has: name, town." in str(error)
    assert not ImportJob.objects.exists()

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        "email,full_name,field_of_work,country\nz@example.org,Zoé,writer,FR\n".encode("latin-1")
    )
    _output, error = import_signatures(latin1)
    assert "not UTF-8" in str(error)


def test_the_actor_must_be_allowed_to_import(campaign, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text(CLEAN, encoding="utf-8")
    moderator = make_person("Moderator")
    organiser = make_person("Organiser")

    _output, error = import_signatures(clean, "--actor", "nobody@example.org")
    assert "No account" in str(error)
    _output, error = import_signatures(clean, "--actor", moderator.email)
    assert "may not import" in str(error)
    assert not Supporter.objects.exists()

    _output, error = import_signatures(clean, "--actor", organiser.email.upper())
    assert error is None
    assert AuditEvent.objects.get(action="signatures.imported").actor == organiser
    assert ImportJob.objects.get().created_by == organiser


def test_asking_for_confirmation_and_writing_the_report(campaign, tmp_path):
    report = tmp_path / "report.csv"

    import_signatures(MIXED, "--ask-confirmation", "--report", report)

    assert Signature.objects.filter(status="pending").count() == 6
    assert OutboundEmail.objects.filter(kind="confirm_signature").count() == 6
    text = report.read_text(encoding="utf-8")
    assert text.startswith("\ufeff") and "'=cmd|' /C calc'!A0" in text
