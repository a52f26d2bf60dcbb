"""The appeal's three demands as the tracker's fixed criteria: installed by a migration, and
restored by ``load_tracker_samples`` in a database emptied by tests."""

CORE = [
    (
        "licensing",
        1,
        "License creative work",
        "Licencier les œuvres",
        "Train on creative work only under transparent licensing deals with the people who "
        "made it.",
        "N'entraîner ses modèles sur des œuvres que dans le cadre d'accords de licence "
        "transparents avec celles et ceux qui les ont créées.",
    ),
    (
        "opt-out",
        2,
        "Honour artists' refusal",
        "Respecter le refus des artistes",
        "Give artists a total, legally binding opt-out from training, and respect it.",
        "Offrir aux artistes un refus total et juridiquement contraignant de l'entraînement, "
        "et le respecter.",
    ),
    (
        "human-creativity",
        3,
        "Tools that serve human creativity",
        "Des outils au service de la création humaine",
        "Build tools that complement human creativity rather than replace it, within common "
        "industry standards.",
        "Concevoir des outils qui accompagnent la création humaine au lieu de la remplacer, "
        "selon des standards communs au secteur.",
    ),
]


def install_core_criteria(Criterion) -> None:
    """Create the three rows where missing, keeping organisers' edits (``Criterion`` may be a
    migration's historical model)."""
    for code, position, title_en, title_fr, text_en, text_fr in CORE:
        Criterion.objects.get_or_create(
            code=code,
            defaults={
                "position": position,
                "is_core": True,
                "title": title_en,
                "title_en": title_en,
                "title_fr": title_fr,
                "description": text_en,
                "description_en": text_en,
                "description_fr": text_fr,
            },
        )
