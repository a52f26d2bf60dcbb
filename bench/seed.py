"""Seed a campaign with many confirmed supporters, as a viral appeal would have them: names from
many languages (accents included), a realistic spread of fields of work and countries, a few
verified and featured artists, some hidden or initials-only names, the accounts that confirming
creates, the sent confirmation emails, plus some pending, withdrawn and held signatures.

Rows are built as plain values and inserted with ``COPY`` on PostgreSQL (100,000 supporters
with their accounts, signatures and emails in well under a minute, most of it generating the
names' search and confusables keys), ``bulk_create`` elsewhere (the tests seed a few hundred rows
on SQLite). Deterministic for a given ``seed``, apart from the random public ids.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import JSONField, Max, Model
from django.utils import timezone
from django.utils.text import slugify

from campaign.models import Campaign, FieldOfWork, OutboundEmail
from signatures.confusables import name_skeleton
from signatures.models import NameDisplay, Signature, Supporter
from signatures.normalize import email_key, search_key


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Adèle Aiko Akosua Alejandro Amara Ananya Anders Aoife Arjun Astrid Aurélien Ayşe Bea "
    "Benoît Björn Bongani Camille Carmen Catalina Céline Chiamaka Chloé Clément Daan Dalia "
    "Dmitri Eero Elif Élodie Emeka Emma Enzo Esperanza Fatou Felix Fernanda Finn Francesca "
    "François Gaël Grace Guillermo Hana Hannah Hélène Hiroshi Ibrahim Ingrid Inès Isabel Ivan "
    "Jakob Jana Javier Jérôme Jin Joaquín Johanna José Juliette Kaito Kamala Karim Katarzyna "
    "Kenji Khadija Kofi Lars Laura Leïla Léon Lucía Luca Lukas Maëlle Magdalena Malik Manon "
    "Marco Margarida María Marie Mateus Mei Mihai Mira Moussa Nadia Naledi Niamh Nikolai Noé "
    "Nour Oksana Olivia Omar Pablo Paolo Pauline Pedro Priya Rafael Rania Raphaël Renée Rosa "
    "Ruth Sakura Salomé Samuel Sandra Santiago Saoirse Sébastien Sergei Siobhan Sofía Solène "
    "Søren Stella Sven Tamar Théo Thandiwe Tomás Valentina Vikram Wei Xavier Yara Yasmin "
    "Yusuf Zainab Zoé Zoltán"
)
# Underscores join the parts of a name ("Da_Silva" is "Da Silva").
LAST_NAMES = [
    name.replace("_", " ")
    for name in _words(
        "Abara Achterberg Adeyemi Álvarez Andersson Arnaud Bakker Barbieri Benali Bernard "
        "Bianchi Blanc Bonnet Brennan Brunet Carvalho Castillo Chen Clément Costa Cruz Da_Silva "
        "Dahl Dang David Dubois Dupont Durand Eriksson Fabre Fernández Ferrari Fontaine Fournier "
        "Gallagher García Garnier Girard Gómez Gonzalez Guerin Haddad Hansen Hernández Hoffmann "
        "Ishikawa Ivanova Jansen Johansson Kaya Kelly Kim Kovačević Kowalski Kumar Lambert "
        "Laurent Leclerc Lefebvre Lemaire Leroy Lindqvist López Lucas Maddox Marchand Martin "
        "Martínez Mbeki Mercier Meyer Moreau Morel Müller Murphy Nakamura Nguyen Nielsen Novák "
        "O'Brien Okafor Olsen Ortiz Özdemir Papadopoulos Park Perez Perrin Petit Popescu Quispe "
        "Ramos Renard Ricci Richard Rivière Robert Rodríguez Roux Russo Sánchez Santos Schmidt "
        "Schneider Silva Singh Sokolov Suzuki Tanaka Thomas Traoré Van_Dijk Vasquez Vidal Wagner "
        "Wang Weber Wiśniewski Yamamoto Yilmaz Zhang Zielińska"
    )
]
# Weighted: (code, weight). The campaign began in France; the tail is long.
COUNTRIES = (
    [("FR", 300), ("US", 120), ("GB", 100), ("DE", 60), ("CA", 50), ("BE", 40), ("ES", 40)]
    + [("IT", 40), ("CH", 30), ("NL", 20), ("SE", 20), ("JP", 20), ("BR", 20), ("AU", 20)]
    + [("IE", 15), ("MX", 15), ("PT", 12), ("PL", 12), ("NO", 10), ("DK", 10), ("AT", 10)]
    + [(code, 4) for code in _words("AR CL CO KR IN NG ZA SN CI MA TN DZ GR RO CZ HU FI NZ IL TR")]
    + [(code, 1) for code in _words("LU MC IS EE LV LT SK SI HR RS UA GE AM LB EG KE GH CM PE UY")]
)
FIELDS = [
    (FieldOfWork.MUSICIAN, 18),
    (FieldOfWork.WRITER, 16),
    (FieldOfWork.VISUAL_ARTIST, 12),
    (FieldOfWork.ACTOR, 10),
    (FieldOfWork.ILLUSTRATOR, 9),
    (FieldOfWork.PHOTOGRAPHER, 7),
    (FieldOfWork.SINGER_SONGWRITER, 6),
    (FieldOfWork.COMPOSER, 5),
    (FieldOfWork.SCREENWRITER, 4),
    (FieldOfWork.VOICE_ACTOR, 4),
    (FieldOfWork.DIRECTOR, 3),
    (FieldOfWork.GAME_DEVELOPER, 3),
    (FieldOfWork.DANCER, 2),
    (FieldOfWork.OTHER, 1),
]
KNOWN_FOR = [
    "Author of three novels",
    "Session drummer",
    "Concept artist for film",
    "Children's book illustrator",
    "Voice of a video game heroine",
    "Jazz pianist",
    "Documentary photographer",
    "Stage and screen actor",
    "Songwriter",
    "Comic book artist",
]
COMMENTS = [
    "My work is not free training data.",
    "Consent, credit, compensation.",
    "I signed for the next generation of artists.",
    "Licensing is not hard: ask first.",
]

SPAN_DAYS = 60


@dataclass(frozen=True)
class SeedSummary:
    confirmed: int
    counted: int
    listed: int
    pending: int
    withdrawn: int
    held: int
    verified: int
    featured: int


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]], k: int) -> list[str]:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights, k=k)


@lru_cache(maxsize=100_000)
def _skeleton(full_name: str) -> str:
    return name_skeleton(full_name)[:200]


def _public_ids(n: int, taken: set[str]) -> Iterator[str]:
    made = 0
    while made < n:
        candidate = secrets.token_hex(4)
        if candidate not in taken:
            taken.add(candidate)
            made += 1
            yield candidate


def _public_name(full_name: str, display: str) -> str:
    return Supporter(full_name=full_name, name_display=display).public_name


# --- Rows -------------------------------------------------------------------------------------
#
# Plain dicts of column values (by attname), not model instances: building 500,000 model objects
# costs more than inserting them.


class Table:
    """Rows for one model, with ids given here (so that other rows can point at them)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.rows: list[dict] = []
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def add(self, **values) -> int:
        values["id"] = self.next_id
        self.next_id += 1
        self.rows.append(values)
        return values["id"]

    def insert(self, *, batch_size: int) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            _copy_rows(self.model, self.rows)
        else:
            fields = {f.attname for f in self.model._meta.concrete_fields}
            for start in range(0, len(self.rows), batch_size):
                self.model.objects.bulk_create(
                    [
                        self.model(**{k: v for k, v in row.items() if k in fields})
                        for row in self.rows[start : start + batch_size]
                    ]
                )


def _copy_rows(model: type[Model], rows: list[dict]) -> None:
    """``COPY`` the rows in (PostgreSQL), filling unnamed columns with their defaults, then move
    the id sequence past them."""
    fields = model._meta.concrete_fields
    now = timezone.now()
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:  # the field's default, or "" for text, None for nullable columns
            defaults[f.attname] = f.get_default()
    json_columns = {f.attname for f in fields if isinstance(f, JSONField)}
    columns = [f.attname for f in fields]
    table = model._meta.db_table
    column_list = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY {connection.ops.quote_name(table)} ({column_list}) FROM STDIN"
        ) as copy:
            for row in rows:
                values = []
                for column in columns:
                    value = row.get(column, defaults[column])
                    if column in json_columns:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)
        # The table name comes from the model, never from input.
        top = f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}"  # noqa: S608
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({top}))", [table])


def seed_supporters(
    *,
    campaign: Campaign,
    confirmed: int = 100_000,
    pending: int = 0,
    withdrawn: int = 0,
    held_share: float = 0.005,
    verified_share: float = 0.03,
    featured: int = 8,
    with_accounts: bool = True,
    with_outbox: bool = True,
    seed: int = 2026,
    email_prefix: str = "seed-",
    batch_size: int = 5000,
) -> SeedSummary:
    """Add ``confirmed`` confirmed signatures of ``campaign`` (each by a new supporter), plus
    ``pending`` unconfirmed and ``withdrawn`` withdrawn ones. Confirmed signatures carry what
    confirming leaves behind: an account with a verified address (``with_accounts``) and a sent
    confirmation email (``with_outbox``). Returns what was created. Does not refresh the count."""
    rng = random.Random(seed)
    now = timezone.now()
    total = confirmed + pending + withdrawn
    ids = _public_ids(total, set(Supporter.objects.values_list("public_id", flat=True)))
    verified = set(rng.sample(range(confirmed), int(confirmed * verified_share)))
    featured_at = {
        i: position
        for position, i in enumerate(
            rng.sample(sorted(verified) or range(confirmed), min(featured, confirmed)), start=1
        )
    }
    tables = {
        model: Table(model)
        for model in (get_user_model(), EmailAddress, Supporter, Signature, OutboundEmail)
    }
    unusable_password = make_password(None)
    counts = Counter()
    for i in range(total):
        status = (
            Signature.Status.CONFIRMED
            if i < confirmed
            else Signature.Status.PENDING
            if i < confirmed + pending
            else Signature.Status.WITHDRAWN
        )
        supporter = _supporter_row(rng, i, next(ids), prefix=email_prefix)
        if i in verified:
            supporter["verified_at"] = now - datetime.timedelta(days=rng.uniform(0, SPAN_DAYS))
            supporter["verification_method"] = rng.choice(["link_back", "review"])
        if i in featured_at:
            supporter["is_featured"], supporter["featured_position"] = True, featured_at[i]
        if with_accounts and status == Signature.Status.CONFIRMED:
            user_id = tables[get_user_model()].add(
                username=f"supporter-{supporter['public_id']}",
                email=supporter["email"],
                password=unusable_password,
                date_joined=now,
            )
            tables[EmailAddress].add(
                user_id=user_id, email=supporter["email"].lower(), verified=True, primary=True
            )
            supporter["user_id"] = user_id
        supporter_id = tables[Supporter].add(**supporter)
        signature = _signature_row(rng, campaign, supporter, status, now=now)
        if status == Signature.Status.CONFIRMED and i not in verified and rng.random() < held_share:
            signature["moderation"] = Signature.Moderation.HELD
            signature["hold_reason"] = "Name confusable with a protected name"
            counts["held"] += 1
        elif status == Signature.Status.CONFIRMED and supporter["name_display"] != "hidden":
            counts["listed"] += 1
        signature_id = tables[Signature].add(supporter_id=supporter_id, **signature)
        if with_outbox:
            tables[OutboundEmail].add(
                **_sent_confirmation(signature_id, supporter["email"], signature)
            )
    with transaction.atomic():
        for table in tables.values():
            table.insert(batch_size=batch_size)
    return SeedSummary(
        confirmed=confirmed,
        counted=confirmed - counts["held"],
        listed=counts["listed"],
        pending=pending,
        withdrawn=withdrawn,
        held=counts["held"],
        verified=len(verified),
        featured=len(featured_at),
    )


def _supporter_row(rng: random.Random, i: int, public_id: str, *, prefix: str) -> dict:
    full_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    display = _weighted(
        rng, [(NameDisplay.FULL, 80), (NameDisplay.INITIAL, 12), (NameDisplay.HIDDEN, 8)], 1
    )[0]
    email = f"{prefix}{i}@{rng.choice(['example.org', 'example.net', 'example.com'])}"
    public_name = _public_name(full_name, display)
    base = slugify(public_name, allow_unicode=True)[:140] or "supporter"
    row = {
        "email": email,
        "email_key": email_key(email),
        "full_name": full_name,
        "name_display": str(display),
        "field_of_work": str(_weighted(rng, FIELDS, 1)[0]),
        "country": _weighted(rng, COUNTRIES, 1)[0],
        "known_for": rng.choice(KNOWN_FOR) if rng.random() < 0.4 else "",
        "link": f"https://portfolio.example/{public_id}" if rng.random() < 0.3 else "",
        "language": "fr" if rng.random() < 0.45 else "en",
        "public_id": public_id,
        "slug": f"{base}-{public_id}",
        "search_name": search_key(public_name),
        "name_skeleton": _skeleton(full_name),
        "other_fields": [str(_weighted(rng, FIELDS, 1)[0])] if rng.random() < 0.15 else [],
        "bio": "",
        "links": [],
    }
    if rng.random() < 0.1:
        row["bio"] = "Working artist. " * rng.randint(2, 12)
        row["links"] = [f"https://social.example/@{public_id}"]
    return row


def _signature_row(rng: random.Random, campaign: Campaign, supporter: dict, status, *, now):
    # Denser toward today: an appeal that went viral.
    signed_at = now - datetime.timedelta(days=SPAN_DAYS * rng.random() ** 2, seconds=30)
    row = {
        "campaign_id": campaign.pk,
        "status": str(status),
        "moderation": str(Signature.Moderation.OK),
        "comment": rng.choice(COMMENTS) if rng.random() < 0.2 else "",
        "language": supporter["language"],
        "agreed_at": signed_at,
        "wants_updates": rng.random() < 0.4,
        "consent_version": "2026-11-28",
        "consent_recorded_at": signed_at,
        "created_at": signed_at,
        "emails_sent": 1,
        "last_email_at": signed_at,
    }
    if status != Signature.Status.PENDING:
        row["confirmed_at"] = signed_at + datetime.timedelta(minutes=rng.uniform(1, 600))
    if status == Signature.Status.WITHDRAWN:
        row["withdrawn_at"] = row["confirmed_at"] + datetime.timedelta(days=1)
    return row


def _sent_confirmation(signature_id: int, email: str, signature: dict) -> dict:
    sent = signature["agreed_at"] + datetime.timedelta(seconds=5)
    return {
        "recipient": email,
        "language": signature["language"],
        "kind": "confirm_signature",
        "subject": "Confirm your signature",
        "text_body": "(seeded)",
        "html_body": "",
        "headers": {},
        "message_id": f"<seed.{signature_id}@bench.invalid>",
        "dedup_key": f"confirm_signature:{signature_id}:1",
        "status": str(OutboundEmail.Status.SENT),
        "attempts": 1,
        "next_attempt_at": sent,
        "sent_at": sent,
        "created_at": sent,
        "updated_at": sent,
    }
