"""Writes on forums and memberships."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Municipality, User
from audit.models import AccountEvent
from audit.services import account_event_record
from core.permissions import ROLE_COORDINATOR, has_role, sees_no_content
from forums.models import Forum, ForumKind, Membership
from forums.rules import DEFAULT_AGE_BANDS


def _check_age_band(age_min: int | None, age_max: int | None) -> None:
    if age_min is not None and age_max is not None and age_min > age_max:
        raise ValidationError({"age_max": [_("Højeste alder skal være mindst mindstealderen.")]})


def check_agencies_serve(agencies: Iterable[Agency], municipality: Municipality) -> None:
    """Only agencies of the forum's municipality, or of the police district or region serving
    it, take part in its forums."""
    foreign = sorted(a.name for a in agencies if not a.serves(municipality))
    if foreign:
        raise ValidationError(
            {
                "agencies": [
                    _("%(names)s betjener ikke %(municipality)s.")
                    % {"names": ", ".join(foreign), "municipality": municipality.name}
                ]
            }
        )


@transaction.atomic
def forum_create(
    *,
    actor: User,
    name: str,
    kind: str,
    municipality: Municipality,
    agencies: Iterable[Agency] = (),
    age_min: int | None = None,
    age_max: int | None = None,
) -> Forum:
    """Create a forum; the creator becomes its coordinator. An age bound left empty takes
    the kind's default (domain.md)."""
    if not has_role(actor, ROLE_COORDINATOR) or sees_no_content(actor):
        raise PermissionDenied(_("Kun koordinatorer kan oprette fora."))
    if kind not in ForumKind.values:
        raise ValidationError({"kind": [_("Ukendt forumtype.")]})
    if actor.agency is None or not actor.agency.serves(municipality):
        raise ValidationError(
            {"municipality": [_("Du kan kun oprette fora i en kommune, din myndighed betjener.")]}
        )
    agencies = list(agencies)
    check_agencies_serve(agencies, municipality)
    default_min, default_max = DEFAULT_AGE_BANDS[kind]
    band_min = default_min if age_min is None else age_min
    band_max = default_max if age_max is None else age_max
    _check_age_band(band_min, band_max)
    if Forum.objects.filter(municipality=municipality, name=name).exists():
        raise ValidationError(
            {"name": [_("Der findes allerede et forum med det navn i kommunen.")]}
        )
    forum = Forum.objects.create(
        name=name, kind=kind, municipality=municipality, age_min=band_min, age_max=band_max
    )
    forum.agencies.set(agencies)
    Membership.objects.create(user=actor, forum=forum, role=Membership.Role.COORDINATOR)
    return forum


@transaction.atomic
def forum_update(*, actor: User, forum: Forum, **changes: object) -> Forum:
    """Change name, agencies or age band (the caller fetched the forum for "change")."""
    agencies = changes.pop("agencies", None)
    for field in ("name", "age_min", "age_max"):
        if field in changes:
            setattr(forum, field, changes[field])
    _check_age_band(forum.age_min, forum.age_max)
    taken = ValidationError(
        {"name": [_("Der findes allerede et forum med det navn i kommunen.")]}, code="unique"
    )
    others = Forum.objects.filter(municipality_id=forum.municipality_id).exclude(pk=forum.pk)
    if "name" in changes and others.filter(name=forum.name).exists():
        raise taken
    try:
        with transaction.atomic():  # a savepoint: the error below leaves the transaction usable
            forum.save()
    except IntegrityError:  # the age band is checked above: only the name, taken meanwhile
        raise taken from None
    if agencies is not None:
        check_agencies_serve(agencies, forum.municipality)  # type: ignore[arg-type]
        forum.agencies.set(agencies)  # type: ignore[arg-type]
    return forum


@transaction.atomic
def membership_add(
    *,
    actor: User,
    forum: Forum,
    user: User,
    role: str = Membership.Role.MEMBER,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> Membership:
    if actor.pk == user.pk:
        raise PermissionDenied(_("Du kan ikke ændre dine egne medlemskaber."))
    if sees_no_content(user):
        raise ValidationError(
            {"user": [_("DPO'er og administratorer kan ikke være medlemmer af fora.")]}
        )
    agency = user.agency
    if agency is None:
        raise ValidationError({"user": [_("Brugeren er ikke knyttet til en myndighed.")]})
    if not agency.serves(forum.municipality):
        raise ValidationError(
            {
                "user": [
                    _("Brugerens myndighed deltager ikke i fora i %(m)s.")
                    % {"m": forum.municipality}
                ]
            }
        )
    valid_from = valid_from or timezone.localdate()
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": [_("Slutdatoen ligger før startdatoen.")]})
    if Membership.objects.current(valid_from).filter(user=user, forum=forum).exists():
        raise ValidationError({"user": [_("Brugeren er allerede medlem af forummet.")]})
    membership = Membership.objects.create(
        user=user, forum=forum, role=role, valid_from=valid_from, valid_to=valid_to
    )
    if not forum.agencies.filter(pk=agency.pk).exists():
        forum.agencies.add(agency)
    account_event_record(
        actor=actor,
        target=user,
        action=AccountEvent.Action.MEMBERSHIP_ADDED,
        details={
            "membership_id": membership.pk,
            "forum_id": forum.pk,
            "role": str(role),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return membership


@transaction.atomic
def membership_end(*, actor: User, membership: Membership) -> Membership:
    """End a membership today: access through it ends at once (checked at query time)."""
    if actor.pk == membership.user_id:
        raise PermissionDenied(_("Du kan ikke ændre dine egne medlemskaber."))
    today = timezone.localdate()
    if membership.valid_to is None or membership.valid_to > today:
        membership.valid_to = max(today, membership.valid_from)
        membership.save(update_fields=["valid_to"])
        account_event_record(
            actor=actor,
            target=membership.user,
            action=AccountEvent.Action.MEMBERSHIP_ENDED,
            details={
                "membership_id": membership.pk,
                "forum_id": membership.forum_id,
                "valid_to": membership.valid_to.isoformat(),
            },
        )
    return membership
