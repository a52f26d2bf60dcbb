"""The tracker's texts in every language (django-modeltranslation, as in campaign/translation.py).
A revision needs both languages before it is published (``services.publish_revision``)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Criterion, Deal, Revision


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"en": ("title",), "fr": ("title",)}


@register(Revision)
class RevisionTranslation(TranslationOptions):
    fields = ("summary",)


@register(Deal)
class DealTranslation(TranslationOptions):
    fields = ("title", "licensed")
