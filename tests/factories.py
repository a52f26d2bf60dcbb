"""factory-boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from campaign.models import (
    Campaign,
    Demand,
    FieldOfWork,
    KeyMessage,
    LaunchSupporter,
    Solution,
    Stake,
)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("slug",)

    slug = settings.CAMPAIGN_SLUG
    status = Campaign.Status.LIVE
    goal = 1000
    title_en = "Test appeal"
    title_fr = "Appel de test"
    summary_en = "An English summary."
    summary_fr = "Un résumé en français."
    appeal_en = "We, the undersigned, ask for consent."
    appeal_fr = "Nous, signataires, demandons le consentement."
    why_it_matters_en = "Why, in English."
    why_it_matters_fr = "Pourquoi, en français."
    about_en = "About us, in English."
    about_fr = "À propos de nous, en français."


class ItemFactory(factory.django.DjangoModelFactory):
    campaign = factory.SubFactory(CampaignFactory)
    position = factory.Sequence(int)
    title_en = factory.Sequence(lambda n: f"English title {n}")
    title_fr = factory.Sequence(lambda n: f"Titre français {n}")
    body_en = "English body."
    body_fr = "Texte français."


class KeyMessageFactory(ItemFactory):
    class Meta:
        model = KeyMessage


class DemandFactory(ItemFactory):
    class Meta:
        model = Demand


class StakeFactory(ItemFactory):
    class Meta:
        model = Stake


class SolutionFactory(ItemFactory):
    class Meta:
        model = Solution


class LaunchSupporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LaunchSupporter

    campaign = factory.SubFactory(CampaignFactory)
    position = factory.Sequence(int)
    name = factory.Sequence(lambda n: f"Famous Artist {n}")
    field_of_work = FieldOfWork.MUSICIAN


class SupporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "signatures.Supporter"

    email = factory.Sequence(lambda n: f"artist{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Artist Number{n}")
    field_of_work = FieldOfWork.WRITER
    country = "FR"
    language = "en"


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "signatures.Signature"
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    supporter = factory.SubFactory(SupporterFactory)
    status = "pending"
    language = "en"
    agreed_at = factory.LazyFunction(timezone.now)
    consent_version = settings.CONSENT_VERSION
    consent_recorded_at = factory.LazyFunction(timezone.now)

    class Params:
        confirmed = factory.Trait(
            status="confirmed", confirmed_at=factory.LazyFunction(timezone.now)
        )

    @factory.post_generation
    def ledger_entry(signature, create, extracted, **kwargs):
        """A counted signature has its public ledger entry, as the services write it."""
        if create and signature.is_counted:
            from signatures.services import record_change

            record_change(signature)


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified email address, as django-allauth leaves one after login."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    # Like the accounts django-allauth creates at a first login by code: no password.
    password = factory.LazyFunction(lambda: make_password(None))

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        if create:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


# --- The AI companies tracker (tracker/) ----------------------------------------------------


class CompanyFactory(factory.django.DjangoModelFactory):
    """A tracked company, listed publicly unless ``is_listed=False``."""

    class Meta:
        model = "tracker.Company"

    name = factory.Sequence(lambda n: f"Company {n:03d}")
    slug = factory.Sequence(lambda n: f"company-{n:03d}")
    kind = "model-developer"
    website = factory.LazyAttribute(lambda c: f"https://{c.slug}.example/")
    contact_email = factory.LazyAttribute(lambda c: f"press@{c.slug}.example")
    is_listed = True


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tracker.Deal"

    slug = factory.Sequence(lambda n: f"deal-{n}")
    title_en = factory.Sequence(lambda n: f"Deal {n}")
    title_fr = factory.Sequence(lambda n: f"Accord {n}")
    licensed_en = "Recordings, for training."
    licensed_fr = "Des enregistrements, pour l'entraînement."
    announced_on = factory.LazyFunction(lambda: timezone.now().date())
    state = "published"


def published_position(company, code="licensing", status="made", actor=None, **kwargs):
    """Draft and publish ``company``'s position on the criterion ``code`` with one source, as
    a moderator and an organiser would. Returns the published revision."""
    import datetime

    from tracker import services
    from tracker.models import Criterion

    revision = services.draft_revision(
        company=company,
        criterion=Criterion.objects.get(code=code),
        status=status,
        summary_en=kwargs.get("summary_en", "English summary."),
        summary_fr=kwargs.get("summary_fr", "Résumé en français."),
        happened_on=kwargs.get("happened_on", datetime.date(2026, 3, 1)),
        sources=[
            services.SourceData(
                url=kwargs.get("url", "https://news.example/story"),
                title=kwargs.get("title", "A news story"),
                published_on=datetime.date(2026, 3, 1),
            )
        ],
        actor=actor,
    )
    return services.publish_revision(revision_id=revision.pk, actor=actor)
