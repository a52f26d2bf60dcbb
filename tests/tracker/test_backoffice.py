"""The tracker in the back office: a moderator drafts, an organiser previews both languages and
publishes; what the public sees never changes on a moderator's word alone; every step is in
the audit trail."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from campaign.models import AuditEvent
from tests.backoffice import log_in, make_person
from tests.factories import CompanyFactory, published_position
from tracker.models import Assessment, Company, Criterion, Deal, Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, launched_campaign):
    def logged_in(role: str):
        client.logout()
        user = make_person(role)
        log_in(client, user)
        client.user = user
        return client

    return logged_in


def _draft_data(criterion: Criterion, **overrides) -> dict:
    data = {
        "criterion": criterion.pk,
        "status": "made",
        "summary_en": "They announced licensing.",
        "summary_fr": "Ils ont annoncé des licences.",
        "happened_on": "2026-05-01",
        "sources-TOTAL_FORMS": "3",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "10",
        "sources-0-url": "https://news.example/licensing",
        "sources-0-title": "Press release",
        "sources-0-published_on": "2026-05-01",
        "sources-0-archive_url": "",
    }
    data.update(overrides)
    return data


def test_a_moderator_drafts_and_an_organiser_publishes(as_role, client):
    licensing = Criterion.objects.get(code="licensing")
    moderator = as_role("Moderator")
    response = moderator.post(
        "/organise/tracker/companies/new/",
        {
            "name": "Acme Models",
            "slug": "acme-models",
            "kind": "model-developer",
            "website": "https://acme.example/",
            "contact_email": "press@acme.example",
        },
    )
    company = Company.objects.get(slug="acme-models")
    assert response.status_code == 302 and not company.is_listed
    response = moderator.post(
        f"/organise/tracker/companies/{company.pk}/draft/", _draft_data(licensing)
    )
    revision = Revision.objects.get()
    assert response["Location"] == f"/organise/tracker/drafts/{revision.pk}/"
    preview = moderator.get(response["Location"]).content.decode()
    assert 'lang="en"' in preview and "They announced licensing." in preview
    assert 'lang="fr"' in preview and "Engagement pris" in preview  # status in French
    assert "Ils ont annoncé des licences." in preview
    # The moderator cannot publish; the public sees nothing yet.
    assert moderator.post(f"/organise/tracker/drafts/{revision.pk}/publish/").status_code == 403
    assert client.get(f"/en/tracker/companies/{company.slug}/").status_code == 404

    organiser = as_role("Organiser")
    organiser.post(f"/organise/tracker/drafts/{revision.pk}/publish/")
    assert Assessment.objects.get(company=company).published_id == revision.pk
    page = client.get(f"/en/tracker/companies/{company.slug}/").content.decode()
    assert "They announced licensing." in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"tracker.company_created", "tracker.drafted", "tracker.published"} <= actions
    trail = organiser.get("/organise/audit/").content.decode()
    assert "Tracker: draft published" in trail and "Tracker: draft written" in trail


def test_a_draft_without_a_source_cannot_be_published(as_role):
    company = CompanyFactory()
    licensing = Criterion.objects.get(code="licensing")
    organiser = as_role("Organiser")
    organiser.post(
        f"/organise/tracker/companies/{company.pk}/draft/",
        _draft_data(
            licensing, **{"sources-0-url": "", "sources-0-title": "", "sources-0-published_on": ""}
        ),
    )
    revision = Revision.objects.get()
    page = organiser.get(f"/organise/tracker/drafts/{revision.pk}/").content.decode()
    assert "Add at least one source before publishing." in page
    organiser.post(f"/organise/tracker/drafts/{revision.pk}/publish/")
    assert Assessment.objects.get(company=company).published is None


def test_hostile_addresses_are_refused_in_the_form_and_typed_text_is_kept(as_role):
    company = CompanyFactory()
    licensing = Criterion.objects.get(code="licensing")
    moderator = as_role("Moderator")
    response = moderator.post(
        f"/organise/tracker/companies/{company.pk}/draft/",
        _draft_data(licensing, **{"sources-0-url": "javascript:alert(1)"}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "They announced licensing." in html  # nothing typed is lost
    assert not Revision.objects.exists()


def test_a_moderator_cannot_change_a_listed_company(as_role):
    listed = CompanyFactory(is_listed=True)
    hidden = CompanyFactory(is_listed=False)
    moderator = as_role("Moderator")
    assert moderator.get(f"/organise/tracker/companies/{listed.pk}/edit/").status_code == 403
    assert moderator.get(f"/organise/tracker/companies/{hidden.pk}/edit/").status_code == 200


def _picture(fmt="PNG") -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (500, 500), "blue").save(out, format=fmt)
    out.seek(0)
    out.name = f"logo.{fmt.lower()}"
    return out


def test_a_logo_upload_is_reencoded_and_an_svg_refused(as_role):
    company = CompanyFactory(is_listed=False)
    organiser = as_role("Organiser")
    fields = {
        "name": company.name,
        "slug": company.slug,
        "kind": company.kind,
        "website": "",
        "contact_email": "",
    }
    svg = io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    svg.name = "logo.svg"
    response = organiser.post(
        f"/organise/tracker/companies/{company.pk}/edit/", {**fields, "logo": svg}
    )
    assert response.status_code == 400
    assert "PNG, JPEG, GIF or WebP" in response.content.decode()
    organiser.post(
        f"/organise/tracker/companies/{company.pk}/edit/", {**fields, "logo": _picture("JPEG")}
    )
    company.refresh_from_db()
    assert bytes(company.logo_png).startswith(b"\x89PNG") and company.logo_width == 256


def test_an_edit_to_a_published_entry_is_reviewed_before_it_shows(as_role, client):
    company = CompanyFactory()
    published_position(company, "licensing", "made", summary_en="Old summary.")
    moderator = as_role("Moderator")
    licensing = Criterion.objects.get(code="licensing")
    form = moderator.get(
        f"/organise/tracker/companies/{company.pk}/draft/?criterion={licensing.pk}"
    ).content.decode()
    assert "Old summary." in form  # the draft starts from what is public
    moderator.post(
        f"/organise/tracker/companies/{company.pk}/draft/",
        _draft_data(licensing, status="broken", summary_en="New summary."),
    )
    page = client.get(f"/en/tracker/companies/{company.slug}/").content.decode()
    assert "Old summary." in page and "New summary." not in page


def test_deals_are_drafted_then_published(as_role, client):
    company = CompanyFactory()
    moderator = as_role("Moderator")
    data = {
        "slug": "a-deal",
        "title_en": "A deal",
        "title_fr": "Un accord",
        "licensed_en": "Songs",
        "licensed_fr": "Des chansons",
        "announced_on": "2026-04-01",
        "companies": [company.pk],
        "other_parties": "Guild",
        "sources-TOTAL_FORMS": "3",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "10",
        "sources-0-url": "https://news.example/deal",
        "sources-0-title": "News",
        "sources-0-published_on": "2026-04-01",
        "sources-0-archive_url": "",
    }
    assert moderator.post("/organise/tracker/deals/new/", data).status_code == 302
    deal = Deal.objects.get()
    assert (
        deal.state == "draft" and "A deal" not in client.get("/en/tracker/deals/").content.decode()
    )
    organiser = as_role("Organiser")
    organiser.post(f"/organise/tracker/deals/{deal.pk}/publish/")
    client.logout()
    assert "A deal" in client.get("/en/tracker/deals/").content.decode()
    assert "Un accord" in client.get("/fr/suivi/accords/").content.decode()


def test_the_three_demands_cannot_be_hidden(as_role):
    organiser = as_role("Organiser")
    licensing = Criterion.objects.get(code="licensing")
    organiser.post(
        f"/organise/tracker/criteria/{licensing.pk}/",
        {
            "code": "other",
            "title_en": "Licensing",
            "title_fr": "Licences",
            "description_en": "",
            "description_fr": "",
            "position": 1,
        },
    )
    licensing.refresh_from_db()
    assert (
        licensing.code == "licensing" and licensing.is_active and licensing.title_en == "Licensing"
    )
    organiser.post(
        "/organise/tracker/criteria/new/",
        {
            "code": "transparency",
            "title_en": "Transparency",
            "title_fr": "Transparence",
            "description_en": "",
            "description_fr": "",
            "position": 5,
            "is_active": "on",
        },
    )
    assert Criterion.objects.filter(code="transparency", is_core=False).exists()
