"""Every write about opt-out declarations: declare, add a place, withdraw, record a check.

Each service is one transaction and writes an ``AuditEvent`` (``optout.*``). Places are checked
by a Celery task after the transaction commits, never in the request.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.audit import audit
from signatures import linkcheck
from signatures.models import Supporter
from signatures.services import link_back_token, profile_permalink

from .locations import normalize_location
from .models import OptOutDeclaration, OptOutLocation

logger = logging.getLogger(__name__)


class OptOutError(Exception):
    """A request the supporter can correct; ``message`` is translated for them."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def declare(
    *, supporter: Supporter, locations: list[str], licensing_url: str = "", actor=None
) -> OptOutDeclaration:
    """Declare that ``supporter`` reserves their works from text-and-data mining and AI
    training, at ``locations`` (each is then checked for the link-back proof).

    Raises ``OptOutError`` when the supporter is not verified, already has a declaration in
    force, or lists no place, too many places or an invalid address.
    """
    _require_verified(supporter)
    addresses = _normalized(locations)
    if not addresses:
        raise OptOutError(_("List at least one place where your works are published."))
    _require_room(0, len(addresses))
    try:
        with transaction.atomic():
            Supporter.objects.select_for_update().filter(pk=supporter.pk).first()
            if OptOutDeclaration.objects.active().filter(supporter=supporter).exists():
                raise OptOutError(_("Your declaration is already in force."))
            declaration = OptOutDeclaration.objects.create(
                supporter=supporter, declared_at=timezone.now(), licensing_url=licensing_url
            )
            audit(
                action="optout.declared",
                supporter=supporter,
                actor=actor,
                data={"declaration": declaration.uid, "licensing_url": licensing_url},
            )
            for url in addresses:
                _add(declaration=declaration, url=url, actor=actor)
    except IntegrityError:  # A second request declared at the same moment.
        raise OptOutError(_("Your declaration is already in force.")) from None
    return declaration


def add_location(*, declaration: OptOutDeclaration, url: str, actor=None) -> OptOutLocation:
    """Add a place to a declaration in force and have it checked.

    Adding a place already listed checks it again if its last check failed, and otherwise
    changes nothing. Raises ``OptOutError`` when the declaration was withdrawn, its supporter
    is not verified, the address is invalid or the list is full.
    """
    _require_verified(declaration.supporter)
    (address,) = _normalized([url])
    with transaction.atomic():
        locked = OptOutDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if not locked.is_active:
            raise OptOutError(_("This declaration was withdrawn. Make a new one."))
        existing = locked.locations.filter(url=address).first()
        if existing is not None:
            return _recheck(existing, actor=actor)
        _require_room(locked.locations.count(), 1)
        return _add(declaration=locked, url=address, actor=actor)


def withdraw(*, declaration: OptOutDeclaration, actor=None) -> OptOutDeclaration:
    """Withdraw a declaration: it leaves the public registry at once and its policy document
    is no longer served. The declaration is kept with both dates; withdrawing twice is
    harmless."""
    with transaction.atomic():
        locked = OptOutDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if locked.is_active:
            locked.status = OptOutDeclaration.Status.WITHDRAWN
            locked.withdrawn_at = timezone.now()
            locked.save(update_fields=["status", "withdrawn_at"])
            audit(
                action="optout.withdrawn",
                supporter=locked.supporter,
                actor=actor,
                data={"declaration": locked.uid},
            )
    return locked


def check_location(*, location_id: int) -> OptOutLocation | None:
    """Fetch a pending place's page and record whether it carries the supporter's link-back
    proof (a ``rel="me"`` link to their profile or their verification tag).

    Safe to run twice: a place already decided, or whose declaration was withdrawn, is left
    alone. The fetch happens outside any transaction, under linkcheck's limits.
    """
    location = (
        OptOutLocation.objects.select_related("declaration__supporter")
        .filter(
            pk=location_id,
            status=OptOutLocation.Status.PENDING,
            declaration__status=OptOutDeclaration.Status.ACTIVE,
        )
        .first()
    )
    if location is None:
        return None
    supporter = location.declaration.supporter
    result = linkcheck.check_link_back(
        location.url,
        profile_url=profile_permalink(supporter),
        token=link_back_token(supporter),
    )
    return record_check(location_id=location.pk, ok=result.ok, reason=result.reason)


def record_check(*, location_id: int, ok: bool, reason: str) -> OptOutLocation:
    """Record the outcome of a place's check: published when ``ok``, with ``reason`` (a
    linkcheck reason code) either way. A place no longer pending keeps its first outcome."""
    with transaction.atomic():
        location = (
            OptOutLocation.objects.select_for_update()
            .select_related("declaration__supporter")
            .get(pk=location_id)
        )
        if location.status != OptOutLocation.Status.PENDING:
            return location
        location.status = OptOutLocation.Status.OK if ok else OptOutLocation.Status.FAILED
        location.check_result = reason[:30]
        location.checked_at = timezone.now()
        location.save(update_fields=["status", "check_result", "checked_at"])
        audit(
            action="optout.location_checked" if ok else "optout.location_refused",
            supporter=location.declaration.supporter,
            reason=reason,
            data={"declaration": location.declaration.uid, "url": location.url},
        )
    return location


# --- Helpers --------------------------------------------------------------------------------


def _require_verified(supporter: Supporter) -> None:
    if not supporter.is_verified:
        raise OptOutError(
            _(
                "Only verified artists can publish an opt-out declaration. "
                "Verify your profile first, then come back to this page."
            )
        )


def _require_room(current: int, more: int) -> None:
    limit = settings.OPTOUT_MAX_LOCATIONS
    if current + more > limit:
        raise OptOutError(_("A declaration can list at most %(limit)d places.") % {"limit": limit})


def _normalized(locations: list[str]) -> list[str]:
    """Each address in its canonical form, duplicates dropped, in the order given."""
    addresses: list[str] = []
    for raw in locations:
        try:
            url = normalize_location(raw)
        except ValidationError as error:
            raise OptOutError(f"{raw.strip()[:100]}: {' '.join(error.messages)}") from None
        if url not in addresses:
            addresses.append(url)
    return addresses


def _add(*, declaration: OptOutDeclaration, url: str, actor) -> OptOutLocation:
    location = OptOutLocation.objects.create(declaration=declaration, url=url)
    audit(
        action="optout.location_added",
        supporter=declaration.supporter,
        actor=actor,
        data={"declaration": declaration.uid, "url": url},
    )
    _queue_check_on_commit(location.pk)
    return location


def _recheck(location: OptOutLocation, *, actor) -> OptOutLocation:
    """A place listed again: checked again if its check failed, queued again if its check
    never ran (its task was lost), left alone once published."""
    if location.status == OptOutLocation.Status.PENDING:
        _queue_check_on_commit(location.pk)
    if location.status != OptOutLocation.Status.FAILED:
        return location
    location.status, location.check_result, location.checked_at = (
        OptOutLocation.Status.PENDING,
        "",
        None,
    )
    location.save(update_fields=["status", "check_result", "checked_at"])
    audit(
        action="optout.location_rechecked",
        supporter=location.declaration.supporter,
        actor=actor,
        data={"declaration": location.declaration.uid, "url": location.url},
    )
    _queue_check_on_commit(location.pk)
    return location


def _queue_check_on_commit(location_id: int) -> None:
    transaction.on_commit(lambda: _queue_check(location_id))


def _queue_check(location_id: int) -> None:
    from .tasks import check_location as task

    try:
        task.delay(location_id)
    except Exception:  # The broker is down: the place stays pending; adding it again retries.
        logger.warning("Could not queue the check of opt-out place %s", location_id, exc_info=True)
