"""``manage.py load_tracker_samples``: a few made-up companies and a deal, clearly marked as
sample data on every page, so that a fresh embedded site shows a populated tracker.
``--remove`` deletes them (and only them); ``--first-run`` (what ``make run`` uses) loads them
only into a tracker that has never held a company and whose samples were never removed."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from campaign.audit import audit
from campaign.models import AuditEvent
from tracker import selectors, services
from tracker.criteria import install_core_criteria
from tracker.models import Company, Criterion, Deal, Status
from tracker.services import SourceData

REMOVED = "tracker.samples_removed"

# (slug, name, kind, contact, {criterion: (status, summary_en, summary_fr)})
SAMPLES = [
    (
        "sample-northwind-models",
        "Northwind Models (sample)",
        "model-developer",
        "press@northwind.example",
        {
            Criterion.LICENSING: (
                Status.MADE,
                "Announced that new training data will come from licensed catalogues only.",
                "A annoncé que ses nouvelles données d'entraînement viendraient uniquement de "
                "catalogues sous licence.",
            ),
            Criterion.OPT_OUT: (
                Status.PARTIAL,
                "Honours a robots.txt refusal, but not refusals sent by artists directly.",
                "Respecte un refus exprimé dans robots.txt, mais pas les refus envoyés "
                "directement par les artistes.",
            ),
        },
    ),
    (
        "sample-harbour-stream",
        "Harbour Stream (sample)",
        "platform",
        "",
        {
            Criterion.LICENSING: (
                Status.NONE,
                "No public statement on how its recommendation models are trained.",
                "Aucune déclaration publique sur l'entraînement de ses modèles de recommandation.",
            ),
            Criterion.HUMAN_CREATIVITY: (
                Status.KEPT,
                "Labels machine-generated tracks and keeps them out of editorial playlists.",
                "Signale les morceaux générés par machine et les exclut des playlists éditoriales.",
            ),
        },
    ),
    (
        "sample-lumen-records",
        "Lumen Records (sample)",
        "label-publisher",
        "contact@lumen-records.example",
        {
            Criterion.OPT_OUT: (
                Status.BROKEN,
                "Promised its artists a veto on training, then licensed its back catalogue "
                "without asking them.",
                "A promis à ses artistes un droit de veto sur l'entraînement, puis a licencié "
                "son catalogue sans les consulter.",
            ),
        },
    ),
]


class Command(BaseCommand):
    help = "Load (or --remove) the tracker's sample companies, marked as sample data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--remove", action="store_true", help="Delete the sample data.")
        parser.add_argument(
            "--first-run",
            action="store_true",
            help="Load only into an empty tracker whose samples were never removed.",
        )

    def handle(self, *args, remove: bool, first_run: bool, **options) -> None:
        if remove:
            self._remove()
        elif first_run and (
            Company.objects.exists() or AuditEvent.objects.filter(action=REMOVED).exists()
        ):
            self.stdout.write("Tracker already set up: no sample data loaded.")
        elif Company.objects.filter(is_sample=True).exists():
            self.stdout.write("Sample data already loaded.")
        else:
            self._load()

    @transaction.atomic
    def _remove(self) -> None:
        companies = Company.objects.filter(is_sample=True)
        count = companies.count()
        companies.delete()
        Deal.objects.filter(is_sample=True).delete()
        audit(action=REMOVED, data={"companies": count})
        transaction.on_commit(selectors.refresh_figures)
        self.stdout.write(f"Sample data removed ({count} companies).")

    @transaction.atomic
    def _load(self) -> None:
        install_core_criteria(Criterion)  # a database emptied by tests lacks them
        criteria = {c.code: c for c in Criterion.objects.all()}
        day = datetime.date.today()
        companies = {}
        for n, (slug, name, kind, contact, positions) in enumerate(SAMPLES):
            company = services.save_company(
                company=None,
                fields={
                    "slug": slug,
                    "name": name,
                    "kind": kind,
                    "website": f"https://{slug}.example/",
                    "contact_email": contact,
                    "is_sample": True,
                },
                actor=None,
            )
            companies[slug] = company
            for code, (status, summary_en, summary_fr) in positions.items():
                when = day - datetime.timedelta(days=30 * (n + 1))
                self._first_review(company, criteria[code], when)
                revision = services.draft_revision(
                    company=company,
                    criterion=criteria[code],
                    status=status,
                    summary_en=summary_en,
                    summary_fr=summary_fr,
                    happened_on=when + datetime.timedelta(days=20),
                    sources=[_source(company, "announcement", when + datetime.timedelta(days=20))],
                    actor=None,
                )
                services.publish_revision(revision_id=revision.pk, actor=None)
        deal = services.save_deal(
            deal=None,
            fields={
                "slug": "sample-northwind-lumen-catalogue",
                "title_en": "Northwind Models licenses Lumen Records' catalogue (sample)",
                "title_fr": "Northwind Models obtient une licence sur le catalogue de Lumen "
                "Records (exemple)",
                "licensed_en": "Recordings and lyrics of the back catalogue, for training, "
                "with a share of revenue for the artists.",
                "licensed_fr": "Les enregistrements et paroles du catalogue, pour "
                "l'entraînement, avec une part des revenus pour les artistes.",
                "announced_on": day - datetime.timedelta(days=45),
                "other_parties": "Sample Artists' Union",
                "is_sample": True,
            },
            companies=[companies["sample-northwind-models"], companies["sample-lumen-records"]],
            sources=[_source(companies["sample-lumen-records"], "deal", day)],
            actor=None,
        )
        services.publish_deal(deal_id=deal.pk, actor=None)
        self.stdout.write(f"Loaded {len(SAMPLES)} sample companies and one sample deal.")

    def _first_review(self, company, criterion, when) -> None:
        revision = services.draft_revision(
            company=company,
            criterion=criterion,
            status=Status.NONE,
            summary_en="No public commitment found when the company was first assessed.",
            summary_fr="Aucun engagement public trouvé lors de la première évaluation.",
            happened_on=when,
            sources=[_source(company, "first-review", when)],
            actor=None,
        )
        services.publish_revision(revision_id=revision.pk, actor=None)


def _source(company: Company, what: str, when: datetime.date) -> SourceData:
    return SourceData(
        url=f"https://{company.slug}.example/{what}",
        title=f"{company.name}: {what.replace('-', ' ')} (sample)",
        published_on=when,
        archive_url=f"https://archive.example/{company.slug}/{what}",
    )
