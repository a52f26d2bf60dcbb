"""Which campaign fields organisers write in every language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register, translator

from .models import Campaign, Demand, KeyMessage, Solution, Stake


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "summary", "appeal", "why_it_matters", "about")
    required_languages = ("en", "fr")


class ItemTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"en": ("title",), "fr": ("title",)}


translator.register([KeyMessage, Demand, Stake, Solution], ItemTranslation)
