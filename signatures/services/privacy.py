"""Privacy requests: erasing a person, and exporting their data for organisers (how long data
is kept is ``retention``'s business).

Erasure (``erase_supporter``: the person from their account page, or organisers on request)
removes everything that identifies the person: their profile, the emails addressed to them,
their verification evidence, their opt-out declarations, their login account, and their name
wherever organisers' records repeat it. Consent records and audit events stay, saying what
happened but no longer who. A confirmed, counted signature may stay as an anonymous mark that
still counts (no name, no email, never listed): the public total then does not drop. The
privacy page says so.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaign.audit import audit
from campaign.models import AuditEvent, OutboundEmail
from consent.models import ConsentRecord

from ..models import NameDisplay, Signature, Supporter, new_public_id
from .public_record import forget_salt, record_erasure

logger = logging.getLogger(__name__)

# What an erased address, name or text becomes.
ERASED = OutboundEmail.ERASED_RECIPIENT  # also the marker elsewhere
# The reason an audit event keeps once the person it was about is erased.
ERASURE_REASON = "erasure request"
# Strings an erased person's audit events may keep: codes such as "held" or "link_back".
_CODE = re.compile(r"^[a-z0-9_.:-]{0,40}$")
# Tables the search for the person's name leaves alone: the campaign's own texts, which
# organisers write for the public (a launch supporter who shares the name keeps it), and other
# people's own details and mail (a namesake keeps their name; the person's own rows and emails
# are erased by their id and address before the search).
NOT_SEARCHED = {
    "campaign.Campaign",
    "campaign.KeyMessage",
    "campaign.Demand",
    "campaign.Stake",
    "campaign.Solution",
    "campaign.LaunchSupporter",
    "updates.Update",
    "signatures.Supporter",
    "campaign.OutboundEmail",
    "auth.User",
    "account.EmailAddress",
}
# Names shorter than this are not searched for in other people's records (too many false hits).
_SHORTEST_NAME_SEARCHED = 4
_BATCH = 500


class PrivacyRequestError(Exception):
    """A request organisers can correct; ``message`` is shown to them."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def is_erased(supporter: Supporter) -> bool:
    """Whether ``supporter`` is what erasure left of someone: an anonymous holder of a count."""
    return supporter.email_key.startswith(f"{ERASED}:")


def find_supporter(*, email: str) -> Supporter | None:
    """The supporter whose address is ``email`` (compared as signing compares it), if any."""
    from ..normalize import email_key

    key = email_key(email.strip())
    if not key or key.startswith(f"{ERASED}:"):
        return None
    return Supporter.objects.filter(email_key=key).select_related("user").first()


# --- Erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a supporter removes and what it keeps; shown before organisers confirm,
    and recorded (these numbers only) in the erasure's audit event."""

    signatures_kept_anonymous: int
    signatures_deleted: int
    counted_signatures_deleted: int
    verifications: int
    optout_declarations: int
    consent_records: int
    emails: int
    audit_events: int
    has_account: bool

    def as_data(self) -> dict:
        return {
            "signatures_kept_anonymous": self.signatures_kept_anonymous,
            "signatures_deleted": self.signatures_deleted,
            "counted_signatures_deleted": self.counted_signatures_deleted,
            "verifications": self.verifications,
            "optout_declarations": self.optout_declarations,
            "consent_records": self.consent_records,
            "emails": self.emails,
            "audit_events": self.audit_events,
            "account": self.has_account,
        }


def _kept_and_deleted(supporter: Supporter, keep_count: bool) -> tuple[list, list]:
    """The supporter's signatures that stay as anonymous counts, and those deleted."""
    signatures = list(supporter.signatures.all())
    kept = [s for s in signatures if keep_count and s.is_counted]
    return kept, [s for s in signatures if s not in kept]


def plan_erasure(*, supporter: Supporter, keep_count: bool = True) -> ErasurePlan:
    """What ``erase_supporter`` would do now, without doing it."""
    kept, deleted = _kept_and_deleted(supporter, keep_count)
    return ErasurePlan(
        signatures_kept_anonymous=len(kept),
        signatures_deleted=len(deleted),
        counted_signatures_deleted=sum(1 for s in deleted if s.is_counted),
        verifications=supporter.verifications.count(),
        optout_declarations=supporter.optout_declarations.count(),
        consent_records=supporter.consent_records.count(),
        emails=_emails_to(_addresses(supporter)).count(),
        audit_events=supporter.audit_events.count(),
        has_account=supporter.user_id is not None,
    )


def check_reason(*, supporter: Supporter, reason: str) -> str:
    """The reason organisers give for a privacy request, refused when it names the person
    (it is kept for good, in the audit trail). Raises ``PrivacyRequestError``."""
    from django.utils.translation import gettext

    reason = reason.strip()
    if not reason:
        raise PrivacyRequestError(gettext("Say why: for example, how and when the request came."))
    if _mentions(reason, _identifying_strings(supporter)):
        raise PrivacyRequestError(
            gettext("Leave the person's name and address out of the reason: it is kept for good.")
        )
    return reason


def erase_supporter(
    *, supporter_id: int, actor=None, reason: str = "", keep_count: bool = True
) -> ErasurePlan:
    """Erase supporter ``supporter_id``: nothing that identifies them is left. One transaction.

    With ``keep_count``, a confirmed and counted signature stays as an anonymous mark that
    still counts (its day, the country and field of work given, nothing else, never listed);
    without it (the person withdraws too, or deletes their own account) every signature goes
    and the public count drops. The audit trail records the erasure with numbers only; the
    person's earlier audit events keep what happened, not who. Returns what was done.
    Raises ``Supporter.DoesNotExist``.
    """
    from .signing import request_count_refresh

    with transaction.atomic():
        supporter = (
            Supporter.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=supporter_id)
        )
        if is_erased(supporter):
            raise Supporter.DoesNotExist
        plan = plan_erasure(supporter=supporter, keep_count=keep_count)
        kept, deleted = _kept_and_deleted(supporter, keep_count)
        identifying = _identifying_strings(supporter)
        _erase_emails(_addresses(supporter))
        _anonymise_audit_events(supporter, identifying)
        ConsentRecord.objects.filter(supporter=supporter).update(supporter=None)
        user = supporter.user
        # The ledger: a deleted signature it knows gets an "erased" entry (the count drops if
        # it counted); a kept one loses its salt, so its entries link to nobody any more.
        for signature in deleted:
            record_erasure(signature)
        forget_salt(kept)
        if kept:
            Signature.objects.filter(pk__in=[s.pk for s in deleted]).delete()
            for signature in kept:
                _delete_owned_rows(signature, keep={ConsentRecord})
                _anonymise_signature(signature)
            _delete_owned_rows(supporter, keep={Signature})
            _anonymise_supporter(supporter)
        else:
            supporter.delete()
        if user is not None:
            _close_account(user)
        _erase_mentions(identifying)
        audit(
            action="supporter.erased",
            actor=actor,
            reason=reason or ERASURE_REASON,
            data={"by_self": actor is None, **plan.as_data()},
        )
        if plan.counted_signatures_deleted:
            request_count_refresh()
    logger.info("Supporter %s erased (%s)", supporter_id, plan.as_data())
    return plan


def _addresses(supporter: Supporter) -> set[str]:
    """Every address the person used with the site: the signed one and their account's."""
    addresses = {supporter.email}
    if supporter.user_id is not None:
        addresses.add(supporter.user.email)
        addresses.update(supporter.user.emailaddress_set.values_list("email", flat=True))
    return {a.strip() for a in addresses if a and a.strip()}


def emails_to_supporter(supporter: Supporter) -> QuerySet[OutboundEmail]:
    """The outbox's messages to any address the person used (erased ones excepted)."""
    return _emails_to(_addresses(supporter))


def _emails_to(addresses: set[str]) -> QuerySet[OutboundEmail]:
    query = Q()
    for address in addresses:
        query |= Q(recipient__iexact=address)
    return OutboundEmail.objects.filter(query) if query else OutboundEmail.objects.none()


def _erase_emails(addresses: set[str]) -> int:
    """Blank every message addressed to the person; one still queued will never leave."""
    emails = _emails_to(addresses)
    emails.filter(status=OutboundEmail.Status.QUEUED).update(status=OutboundEmail.Status.CANCELLED)
    return blank_emails(emails)


def erase_traces(*, supporter: Supporter) -> None:
    """Blank the emails to ``supporter`` and strip their audit events of what names them:
    for a supporter about to be deleted with nothing else kept (see ``retention``)."""
    _erase_emails(_addresses(supporter))
    _anonymise_audit_events(supporter, _identifying_strings(supporter))


def blank_emails(emails: QuerySet[OutboundEmail]) -> int:
    """Blank the address, subject, body, headers and error of ``emails``; returns how many."""
    return emails.update(
        recipient=ERASED,
        subject="",
        text_body="",
        html_body="",
        headers={},
        last_error="",
        updated_at=timezone.now(),
    )


def _identifying_strings(supporter: Supporter) -> list[str]:
    """The values that name or reach the person, searched for in other records."""
    values = [supporter.full_name, *_addresses(supporter)]
    return [v for v in values if len(v) >= _SHORTEST_NAME_SEARCHED]


def _pattern(value: str) -> re.Pattern:
    """``value`` as a whole word or address, in any case: "Anna" is not found in "Hannah"."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


def _mentions(text: str, identifying: list[str]) -> bool:
    return any(_pattern(value).search(text) for value in identifying)


def _anonymise_audit_events(supporter: Supporter, identifying: list[str]) -> None:
    """The person's audit events keep their action, time, actor and codes; they lose the link
    to the person, any free text (its reason becomes ``ERASURE_REASON``) and any other string.
    Audit events refuse ``save``: they are changed here by queryset only, as erasure requires.
    """
    for event in AuditEvent.objects.filter(supporter=supporter).iterator():
        AuditEvent.objects.filter(pk=event.pk).update(
            supporter=None,
            reason=ERASURE_REASON if event.reason else "",
            data=_codes_only(event.data, identifying),
        )


def _codes_only(value, identifying: list[str]):
    if isinstance(value, dict):
        return {key: _codes_only(item, identifying) for key, item in value.items()}
    if isinstance(value, list):
        return [_codes_only(item, identifying) for item in value]
    if isinstance(value, str) and (not _CODE.match(value) or _mentions(value, identifying)):
        return ERASED
    return value


def _containing(field: str, values: list[str], *, json_field: bool = False) -> Q:
    """Rows whose ``field`` contains any of ``values`` (in JSON, also in its escaped form)."""
    query = Q()
    for value in values:
        query |= Q(**{f"{field}__icontains": value})
        if json_field:
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                query |= Q(**{f"{field}__icontains": escaped})
    return query


def _replace_mentions(text: str, identifying: list[str]) -> str:
    for value in identifying:
        text = _pattern(value).sub(ERASED, text)
    return text


def _delete_owned_rows(instance, *, keep: set) -> None:
    """Delete what hangs off ``instance`` and would go with it were it deleted (every row
    that references it with ``on_delete=CASCADE``: verification evidence, opt-out declarations,
    signing context…), except the models in ``keep``. New models holding personal data about a
    signature or supporter are covered without a change here."""
    for relation in instance._meta.related_objects:
        if relation.related_model in keep or relation.on_delete is not models.CASCADE:
            continue
        relation.related_model._base_manager.filter(**{relation.field.name: instance}).delete()


def _text_columns(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        and not field.choices
        and not field.primary_key
    ]


def _erase_mentions(identifying: list[str]) -> None:
    """Replace the person's name and addresses with ``ERASED`` wherever other records repeat
    them: other people's audit events and hold reasons (a verified name is what the
    impersonation guard compares others with), spike alerts' sample names, the admin's
    history, imports' files and reports: any text or JSON column of any model but those in
    ``NOT_SEARCHED``. A search of every such column, as erasure is rare; run last, once the
    person's own rows are gone or anonymised."""
    if not identifying:
        return
    for model in apps.get_models():
        if (
            not model._meta.managed
            or model._meta.proxy
            or model is Session
            or model._meta.label in NOT_SEARCHED
        ):
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        query = Q()
        for column in columns:
            json_field = isinstance(model._meta.get_field(column), models.JSONField)
            query |= _containing(column, identifying, json_field=json_field)
        for row in model._base_manager.filter(query).values("pk", *columns):
            changes = {
                column: _without_mentions(row[column], identifying)
                for column in columns
                if row[column] not in (None, "")
            }
            changes = {c: v for c, v in changes.items() if v != row[c]}
            if changes:
                model._base_manager.filter(pk=row["pk"]).update(**changes)


def _without_mentions(value, identifying: list[str]):
    if isinstance(value, str):
        return _replace_mentions(value, identifying)
    text = json.dumps(value, ensure_ascii=False)
    return json.loads(_replace_mentions(text, identifying))


def _start_of_day(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _anonymise_signature(signature: Signature) -> None:
    """Keep a counted signature as a bare count: its campaign, status and day, nothing else."""
    day = _start_of_day(signature.confirmed_at)
    Signature.objects.filter(pk=signature.pk).update(
        comment="",
        comment_hidden=False,
        hold_reason="",
        source_detail="",
        wants_updates=False,
        updates_consent_text="",
        updates_unsubscribed_at=None,
        created_at=day,
        agreed_at=day,
        consent_recorded_at=day,
        confirmed_at=day,
        withdrawn_at=None,
        last_email_at=None,
        emails_sent=0,
    )


def _anonymise_supporter(supporter: Supporter) -> None:
    """What stays of a supporter whose count is kept: the country and field of work, as in
    the published figures, under a new random id; hidden from every public list. Written by
    queryset: ``save`` would derive the address key from the address, now gone."""
    public_id = new_public_id()
    while Supporter.objects.filter(public_id=public_id).exists():
        public_id = new_public_id()
    Supporter.objects.filter(pk=supporter.pk).update(
        email="",
        email_key=f"{ERASED}:{public_id}",
        full_name="",
        name_display=NameDisplay.HIDDEN,
        known_for="",
        link="",
        language=settings.LANGUAGE_CODE,
        user=None,
        public_id=public_id,
        slug=f"supporter-{public_id}",
        other_fields=[],
        bio="",
        links=[],
        isni="",
        ipi="",
        imdb_id="",
        musicbrainz_id="",
        wikidata_id="",
        search_name="",
        name_skeleton="",
        is_featured=False,
        featured_position=0,
        verified_at=None,
        verification_method="",
        created_at=_start_of_day(supporter.created_at),
        updated_at=timezone.now(),
    )


def _close_account(user) -> None:
    """End the person's sessions and delete their login (with its addresses and second
    factors). An account that also runs the back office is kept: it is their work login."""
    _end_sessions(user.pk)
    if user.is_staff or user.is_superuser or user.groups.exists():
        return
    user.delete()


def _end_sessions(user_id: int) -> None:
    """Delete the stored sessions of ``user_id`` (they hold the address they logged in with).
    Sessions are opaque, so each is decoded: erasure is rare, and this reads them once."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    doomed = [
        session.pk
        for session in Session.objects.iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user_id)
    ]
    Session.objects.filter(pk__in=doomed).delete()


# --- Export on request ------------------------------------------------------------------------


def export_on_request(*, supporter_id: int, actor, reason: str) -> dict:
    """The data a supporter can download themselves, produced for organisers answering their
    request; the audit trail records who exported it and why (no personal data in the event).
    Raises ``Supporter.DoesNotExist`` and ``PrivacyRequestError``."""
    from .accounts import export_supporter_data

    supporter = Supporter.objects.get(pk=supporter_id)
    if is_erased(supporter):
        raise Supporter.DoesNotExist
    reason = check_reason(supporter=supporter, reason=reason)
    with transaction.atomic():
        data = export_supporter_data(supporter=supporter)
        audit(action="privacy.exported", supporter=supporter, actor=actor, reason=reason)
    return data
