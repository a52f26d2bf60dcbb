"""The launch text of "Stealing Isn't Innovation", in English and French.

Written for this site from the reported facts of the campaign's launch (January 2026); installed
by ``manage.py load_campaign`` and edited afterwards by organisers in the admin.
Each translated value is a ``{"en": ..., "fr": ...}`` pair.
"""

from __future__ import annotations

import datetime

SLUG = "stealing-isnt-innovation"

CAMPAIGN = {
    "slug": SLUG,
    "goal": 10_000,
    "status": "live",
    "launch_date": datetime.date(2026, 1, 22),
    "title": {"en": "Stealing Isn't Innovation", "fr": "Voler n'est pas innover"},
    "summary": {
        "en": (
            "Actors, musicians, writers, screenwriters and visual artists ask AI companies to "
            "license the work they learn from, to respect artists who say no, and to build "
            "tools that serve human creativity instead of replacing it."
        ),
        "fr": (
            "Comédiens, musiciens, écrivains, scénaristes et artistes visuels demandent aux "
            "entreprises d’IA de payer une licence pour les œuvres dont elles se servent, de "
            "respecter les artistes qui refusent, et de créer des outils au service de la "
            "création humaine plutôt que de la remplacer."
        ),
    },
    "appeal": {
        "en": (
            "We are artists. Our songs, films, books, scripts, images and performances are our "
            "livelihood and our voice.\n\n"
            "Some of the largest technology companies have trained their AI models on our work "
            "without asking us and without paying us. Calling that progress does not change what "
            "it is: taking what others made is not innovation.\n\n"
            "We do not reject artificial intelligence. We ask that it be built on consent, fair "
            "pay and respect for the people whose work it learns from. We call on AI companies "
            "to license the creative work they use, to honour every artist's choice to keep "
            "their work out of training, and to build tools that serve human creativity rather "
            "than replace it."
        ),
        "fr": (
            "Nous sommes des artistes. Nos chansons, nos films, nos livres, nos scénarios, nos "
            "images et nos interprétations sont notre métier et notre voix.\n\n"
            "Certaines des plus grandes entreprises technologiques ont entraîné leurs modèles "
            "d’IA sur nos œuvres sans nous le demander et sans nous payer. L’appeler progrès n’y "
            "change rien : prendre ce que d’autres ont créé n’est pas innover.\n\n"
            "Nous ne rejetons pas l’intelligence artificielle. Nous demandons qu’elle repose sur "
            "le consentement, une juste rémunération et le respect de celles et ceux dont elle "
            "apprend. Nous appelons les entreprises d’IA à obtenir une licence pour les œuvres "
            "qu’elles utilisent, à respecter le choix de chaque artiste de tenir son travail à "
            "l’écart de l’entraînement, et à concevoir des outils qui servent la création "
            "humaine au lieu de s’y substituer."
        ),
    },
    "why_it_matters": {
        "en": (
            "Generative AI is moving into every creative industry. The question is no longer "
            "whether these systems will exist, but on what terms. Artists want those terms to "
            "rest on three principles: consent, payment and respect for authors."
        ),
        "fr": (
            "L’IA générative gagne toutes les industries créatives. La question n’est plus de "
            "savoir si ces systèmes existeront, mais à quelles conditions. Les artistes veulent "
            "que ces conditions reposent sur trois principes : le consentement, la rémunération "
            "et le respect des auteurs."
        ),
    },
    "about": {
        "en": (
            "Stealing Isn't Innovation was launched at the end of January 2026 by the Human "
            "Artistry Campaign, an international coalition of creators: musicians, actors, "
            "writers, visual artists and the organisations that represent them.\n\n"
            "The coalition is not against technology. It holds that AI can support creative "
            "work, provided it is not built on artists' work taken without their consent or "
            "without pay. Within days of the launch, more than 700 artists had added their names, "
            "from household names to hundreds of working creators in film, music, publishing and "
            "digital art.\n\n"
            "This site collects the signatures of artists who stand behind the appeal, verifies "
            "that each name belongs to the person who signed, and publishes who signed for "
            "anyone to read."
        ),
        "fr": (
            "Voler n'est pas innover a été lancée fin janvier 2026 par la Human Artistry "
            "Campaign, une coalition internationale de créateurs : musiciens, comédiens, "
            "écrivains, artistes visuels et les organisations qui les représentent.\n\n"
            "La coalition ne s’oppose pas à la technologie. Elle estime que l’IA peut "
            "accompagner la création, à condition de ne pas reposer sur des œuvres prises sans le "
            "consentement des artistes ni sans les payer. En quelques jours, plus de 700 artistes "
            "s’étaient joints à l’appel, des plus connus aux centaines de créateurs qui vivent "
            "de leur travail dans le cinéma, la musique, l’édition et les arts numériques.\n\n"
            "Ce site recueille les signatures des artistes qui soutiennent l’appel, vérifie que "
            "chaque nom appartient bien à la personne qui a signé, et publie la liste des "
            "signataires pour que chacun puisse la consulter."
        ),
    },
}

KEY_MESSAGES = [
    {
        "title": {
            "en": "Taking our work is not innovation",
            "fr": "Prendre notre travail, ce n’est pas innover",
        },
        "body": {
            "en": (
                "Using protected work without permission is neither neutral nor inevitable. "
                "Signatories refuse to let it become normal in the name of progress: it is the "
                "theft of intellectual work."
            ),
            "fr": (
                "Se servir d’œuvres protégées sans autorisation n’a rien de neutre ni "
                "d’inévitable. Les signataires refusent que cela devienne la norme au nom du "
                "progrès : c’est un vol de travail intellectuel."
            ),
        },
    },
    {
        "title": {
            "en": "Copyright must be respected",
            "fr": "Le droit d’auteur doit être respecté",
        },
        "body": {
            "en": (
                "AI companies should follow the same rules as everyone else: ask first, license "
                "what they use, and accept an artist's no."
            ),
            "fr": (
                "Les entreprises d’IA doivent suivre les mêmes règles que tout le monde : "
                "demander d’abord, payer une licence pour ce qu’elles utilisent, et accepter le "
                "refus d’un artiste."
            ),
        },
    },
    {
        "title": {
            "en": "Ethical rules for AI, with artists at the table",
            "fr": "Des règles éthiques pour l’IA, avec les artistes",
        },
        "body": {
            "en": (
                "The appeal does not reject generative AI. It asks for a regulated, ethical "
                "framework in which creators take part in decisions about how their work is used."
            ),
            "fr": (
                "L’appel ne rejette pas l’IA générative. Il demande un cadre éthique et "
                "réglementé, où les créateurs participent aux décisions sur l’usage de leurs "
                "œuvres."
            ),
        },
    },
]

DEMANDS = [
    {
        "title": {
            "en": "License the work you use",
            "fr": "Obtenir une licence pour les œuvres utilisées",
        },
        "body": {
            "en": "Obtain lawful licences, on fair terms, for the creative work used to build AI.",
            "fr": (
                "Obtenir des licences légales, à des conditions justes, pour les œuvres qui "
                "servent à construire l’IA."
            ),
        },
    },
    {
        "title": {"en": "Respect artists who say no", "fr": "Respecter les artistes qui refusent"},
        "body": {
            "en": (
                "Let every artist explicitly refuse the use of their work for training, and "
                "honour that refusal."
            ),
            "fr": (
                "Permettre à chaque artiste de refuser explicitement l’utilisation de ses œuvres "
                "pour l’entraînement, et respecter ce refus."
            ),
        },
    },
    {
        "title": {
            "en": "Build tools that serve creativity",
            "fr": "Créer des outils au service de la création",
        },
        "body": {
            "en": (
                "Design AI that adds to human creativity instead of replacing the people behind it."
            ),
            "fr": (
                "Concevoir une IA qui enrichit la créativité humaine au lieu de remplacer celles "
                "et ceux qui créent."
            ),
        },
    },
]

STAKES = [
    {
        "title": {"en": "Creative jobs", "fr": "Les emplois créatifs"},
        "body": {
            "en": (
                "Unlicensed use of artists' work threatens employment across the creative "
                "industries, from session musicians to illustrators and voice actors."
            ),
            "fr": (
                "L’usage sans licence des œuvres menace l’emploi dans toutes les industries "
                "créatives, des musiciens de studio aux illustrateurs et aux comédiens de doublage."
            ),
        },
    },
    {
        "title": {"en": "Culture itself", "fr": "La culture elle-même"},
        "body": {
            "en": (
                "A flood of cheap generated content, often called \u201cAI slop\u201d, crowds out "
                "original work and makes our shared culture poorer."
            ),
            "fr": (
                "Un déferlement de contenus générés à bas coût, souvent appelé « AI slop », "
                "étouffe les œuvres originales et appauvrit notre culture commune."
            ),
        },
    },
    {
        "title": {"en": "Long-term competitiveness", "fr": "La compétitivité à long terme"},
        "body": {
            "en": (
                "When creators earn neither money nor credit, fewer people can afford to make "
                "original work, and the whole creative economy loses ground."
            ),
            "fr": (
                "Quand les créateurs ne tirent de leur travail ni revenu ni reconnaissance, moins "
                "de gens peuvent se permettre de créer, et toute l’économie de la création "
                "recule."
            ),
        },
    },
]

SOLUTIONS = [
    {
        "title": {"en": "Transparent licensing deals", "fr": "Des accords de licence transparents"},
        "body": {
            "en": "Clear, public licensing agreements between creators and AI companies.",
            "fr": "Des accords de licence clairs et publics entre créateurs et entreprises d’IA.",
        },
    },
    {
        "title": {"en": "A real right to opt out", "fr": "Un vrai droit de retrait"},
        "body": {
            "en": (
                "Legal mechanisms that let any artist who wishes keep all of their work out of "
                "AI training."
            ),
            "fr": (
                "Des mécanismes juridiques qui permettent à tout artiste qui le souhaite de "
                "soustraire l’ensemble de ses œuvres à l’entraînement des IA."
            ),
        },
    },
    {
        "title": {"en": "Shared industry standards", "fr": "Des normes communes au secteur"},
        "body": {
            "en": (
                "Common standards across the industry that guarantee copyright is respected. "
                "Some companies have already signed responsible agreements, which shows that an "
                "ethical model can pay its way."
            ),
            "fr": (
                "Des normes partagées par tout le secteur pour garantir le respect du droit "
                "d’auteur. Certaines entreprises ont déjà conclu des accords responsables : la "
                "preuve qu’un modèle éthique peut être rentable."
            ),
        },
    },
]

LAUNCH_SUPPORTERS = [
    ("Scarlett Johansson", "actor"),
    ("Cate Blanchett", "actor"),
    ("Joseph Gordon-Levitt", "actor"),
    ("Vince Gilligan", "screenwriter"),
    ("Cyndi Lauper", "musician"),
    ("Bonnie Raitt", "musician"),
    ("The Roots", "musician"),
    ("R.E.M.", "musician"),
    ("Billy Corgan", "musician"),
]
