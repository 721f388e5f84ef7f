"""Writes on persons, identities, case files and concerns, and the identity reveal."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from audit.models import AccessEvent
from audit.services import access_record
from core.crypto import blind_index
from core.models import DataKey, Notification
from core.permissions import ROLE_DPO, get_object_for, sees_no_content
from forums.models import Forum, ForumKind, Membership
from forums.rules import age_on, check_age_band
from persons.categories import validate_categories
from persons.cpr import parse_cpr
from persons.models import CaseFile, Concern, FocusPerson, Identity, IdentityReveal

PSEUDONYM_PREFIX: dict[str, str] = {
    ForumKind.SSP: "SSP",
    ForumKind.SSP_PLUS: "SSPP",
    ForumKind.PSP: "PSP",
    ForumKind.KSP: "KSP",
    ForumKind.S115: "115",
    ForumKind.INFOHUS: "INFO",
}
MAX_TEXT = 10_000
MIN_REASON = 20
MAX_REASON = 1000


@dataclass(frozen=True)
class IdentityInput:
    name: str
    cpr: str = ""
    birth_date: datetime.date | None = None
    address: str = ""


@dataclass(frozen=True)
class ConcernResult:
    concern: Concern
    person: FocusPerson
    duplicate_of: FocusPerson | None


def require_reason(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if len(value) < MIN_REASON:
        raise ValidationError({field: [message]})
    if len(value) > MAX_REASON:
        raise ValidationError(
            {field: [_("Begrundelsen må højst være %(n)s tegn.") % {"n": MAX_REASON}]}
        )
    return value


def _require_member(actor: User, forum: Forum, *, managing: bool = False) -> None:
    memberships = Membership.objects.current().filter(user=actor, forum=forum)
    if managing:
        memberships = memberships.filter(role__in=Membership.MANAGING_ROLES)
    if sees_no_content(actor) or not memberships.exists():
        raise PermissionDenied(
            _("Kun formand og koordinator kan dette.")
            if managing
            else _("Du er ikke medlem af forummet.")
        )


def _birth_date(identity: IdentityInput) -> tuple[str, datetime.date]:
    """Normalised CPR ('' if none) and the birth date from CPR or as given."""
    cpr, birth_date = "", identity.birth_date
    if identity.cpr:
        try:
            cpr, cpr_birth_date = parse_cpr(identity.cpr)
        except ValidationError as exc:
            raise ValidationError({"cpr": exc.messages}) from None
        if birth_date is not None and birth_date != cpr_birth_date:
            raise ValidationError(
                {"birth_date": [_("Fødselsdatoen passer ikke til CPR-nummeret.")]}
            )
        birth_date = cpr_birth_date
    if birth_date is None:
        raise ValidationError({"cpr": [_("Angiv CPR-nummer eller fødselsdato.")]})
    if birth_date > timezone.localdate():
        raise ValidationError({"birth_date": [_("Fødselsdatoen ligger i fremtiden.")]})
    return cpr, birth_date


def _check_forum_age(forum: Forum, birth_date: datetime.date) -> None:
    try:
        check_age_band(
            age_min=forum.age_min,
            age_max=forum.age_max,
            age=age_on(birth_date, timezone.localdate()),
            forum_name=forum.name,
        )
    except ValidationError as exc:
        raise ValidationError({"forum": exc.messages}) from None


def person_create(
    *, forum: Forum, identity: IdentityInput, cpr: str, birth_date: datetime.date
) -> FocusPerson:
    person = FocusPerson(
        birth_year=birth_date.year,
        municipality=forum.municipality,
        data_key=DataKey.create(),
    )
    for _attempt in range(5):
        person.pseudonym = FocusPerson.new_pseudonym(PSEUDONYM_PREFIX[forum.kind])
        if not FocusPerson.objects.filter(pseudonym=person.pseudonym).exists():
            break
    person.save()
    Identity(
        person=person,
        name=identity.name.strip(),
        cpr=cpr or None,
        birth_date=birth_date.isoformat(),
        address=identity.address.strip() or None,
        cpr_index=blind_index(scope=forum.municipality.code, value=cpr) if cpr else None,
    ).save()
    return person


def person_find_by_cpr(*, forum: Forum, cpr: str) -> FocusPerson | None:
    """The person with this CPR in the forum's municipality, found by blind index."""
    index = blind_index(scope=forum.municipality.code, value=cpr)
    return FocusPerson.objects.filter(identity__cpr_index=index).first()


def _casefile_create(
    *,
    actor: User,
    person: FocusPerson,
    forum: Forum,
    consent: str = CaseFile.Consent.NOT_SOUGHT,
    consent_refused_reason: str = "",
    ksp_letter: str = "",
) -> CaseFile:
    if consent not in CaseFile.Consent.values:
        raise ValidationError({"consent": [_("Ukendt samtykkestatus.")]})
    if consent == CaseFile.Consent.REFUSED:
        consent_refused_reason = require_reason(
            consent_refused_reason,
            "consent_refused_reason",
            _(
                "Når samtykke er afvist, skal det begrundes (mindst 20 tegn), hvorfor sagen alligevel drøftes."
            ),
        )
    if forum.kind == ForumKind.KSP:
        if ksp_letter not in CaseFile.KspLetter.values:
            raise ValidationError({"ksp_letter": [_("En KSP-sag skal have litra a, b eller c.")]})
    elif ksp_letter:
        raise ValidationError({"ksp_letter": [_("Litra bruges kun i KSP.")]})
    if CaseFile.objects.open().filter(person=person, forum=forum).exists():
        raise ValidationError({"person": [_("Personen har allerede en åben sag i forummet.")]})
    _check_forum_age(forum, datetime.date.fromisoformat(person.identity.birth_date))
    try:
        with transaction.atomic():
            return CaseFile.objects.create(
                person=person,
                forum=forum,
                opened_by=actor,
                consent=consent,
                consent_refused_reason=consent_refused_reason,
                ksp_letter=ksp_letter,
                data_key=DataKey.create(),
            )
    except IntegrityError:  # a concurrent opening won the race
        raise ValidationError(
            {"person": [_("Personen har allerede en åben sag i forummet.")]}
        ) from None


@transaction.atomic
def casefile_open(
    *,
    actor: User,
    person: FocusPerson,
    forum: Forum,
    consent: str = CaseFile.Consent.NOT_SOUGHT,
    consent_refused_reason: str = "",
    ksp_letter: str = "",
) -> CaseFile:
    """Put a person on a forum's list; for the forum's chair or coordinator. The forum's age
    band applies: a person who turns 18 in SSP moves to SSP+ only by this recorded decision."""
    _require_member(actor, forum, managing=True)
    return _casefile_create(
        actor=actor,
        person=person,
        forum=forum,
        consent=consent,
        consent_refused_reason=consent_refused_reason,
        ksp_letter=ksp_letter,
    )


@transaction.atomic
def concern_register(
    *,
    actor: User,
    forum: Forum,
    identity: IdentityInput,
    categories: Sequence[str],
    description: str,
    source_agency: Agency,
    ksp_letter: str = "",
) -> ConcernResult:
    """Log a bekymring. The person is found by CPR blind index in the forum's municipality or
    created; the concern goes on the person's open case file in the forum, opened if needed."""
    _require_member(actor, forum)
    errors: dict[str, list[str]] = {}
    if not identity.name.strip():
        errors["name"] = [_("Navn skal udfyldes.")]
    if not description.strip():
        errors["description"] = [_("Beskriv bekymringen.")]
    elif len(description) > MAX_TEXT:
        errors["description"] = [_("Beskrivelsen må højst være %(n)s tegn.") % {"n": MAX_TEXT}]
    try:
        categories = validate_categories(categories)
    except ValidationError as exc:
        errors["categories"] = exc.messages
    if errors:
        raise ValidationError(errors)
    cpr, birth_date = _birth_date(identity)

    existing = person_find_by_cpr(forum=forum, cpr=cpr) if cpr else None
    person = existing or person_create(
        forum=forum, identity=identity, cpr=cpr, birth_date=birth_date
    )
    case_file = CaseFile.objects.open().filter(person=person, forum=forum).first()
    if case_file is None:
        case_file = _casefile_create(actor=actor, person=person, forum=forum, ksp_letter=ksp_letter)
    concern = Concern(
        case_file=case_file,
        source_agency=source_agency,
        categories=list(categories),
        description=description.strip(),
        created_by=actor,
    )
    concern.save()
    casefile_touch(case_file)
    return ConcernResult(concern=concern, person=person, duplicate_of=existing)


def casefile_touch(case_file: CaseFile) -> None:
    """Record activity (retention counts from the last activity)."""
    case_file.last_activity_at = timezone.now()
    case_file.save(update_fields=["last_activity_at"])


@transaction.atomic
def casefile_update(
    *,
    actor: User,
    case_file: CaseFile,
    mode: str | None = None,
    reason: str = "",
    closed_reason: str | None = None,
    expected_release_date: datetime.date | None = None,
) -> CaseFile:
    """Change the discussion mode (to named needs a reason), the KSP release date (which
    drives the release reminders), or close the case file."""
    if mode is not None and mode != case_file.discussion_mode:
        if mode not in CaseFile.Mode.values:
            raise ValidationError({"mode": [_("Ukendt drøftelsesform.")]})
        if mode == CaseFile.Mode.NAMED:
            case_file.named_reason = require_reason(
                reason,
                "reason",
                _("Drøftelse med navn kræver en begrundelse for nødvendigheden (mindst 20 tegn)."),
            )
        case_file.discussion_mode = mode
    if expected_release_date is not None:
        if case_file.forum.kind != ForumKind.KSP:
            raise ValidationError(
                {"expected_release_date": [_("Forventet løsladelse bruges kun i KSP.")]}
            )
        case_file.expected_release_date = expected_release_date
    if closed_reason is not None:
        if not closed_reason.strip():
            raise ValidationError({"closed_reason": [_("Angiv hvorfor sagen lukkes.")]})
        case_file.closed_at = timezone.now()
        case_file.closed_reason = closed_reason.strip()[:500]
    case_file.last_activity_at = timezone.now()
    case_file.save()
    return case_file


@transaction.atomic
def identity_reveal(*, actor: User, person_id: Any, reason: str) -> tuple[IdentityReveal, Identity]:
    """Reveal a person's identity to the actor for a limited time, for a stated reason.

    Allowed only where a named case file puts the person on the actor's forum. Audited as
    reveal_identity; the forum chairs and the municipality's DPOs are notified.
    """
    person = get_object_for(
        actor, FocusPerson.objects.select_related("identity"), person_id, "reveal"
    )
    reason = require_reason(
        reason, "reason", _("Angiv formålet med at se identiteten (mindst 20 tegn).")
    )
    case_file = (
        CaseFile.objects.restrict(actor, "view")
        .filter(person=person, discussion_mode=CaseFile.Mode.NAMED)
        .select_related("forum")
        .first()
    )
    if case_file is None:  # the named case file closed since get_object_for: treat as unseen
        raise Http404
    now = timezone.now()
    reveal = IdentityReveal.objects.create(
        person=person,
        case_file=case_file,
        user=actor,
        reason=reason,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=settings.IDENTITY_REVEAL_MINUTES),
    )
    access_record(
        actor=actor, action=AccessEvent.Action.REVEAL_IDENTITY, objects=[person], reason=reason
    )
    _notify_reveal(actor=actor, person=person, forum=case_file.forum)
    return reveal, person.identity


def _notify_reveal(*, actor: User, person: FocusPerson, forum: Forum) -> None:
    chairs = User.objects.filter(
        memberships__in=Membership.objects.current().filter(forum=forum, role=Membership.Role.CHAIR)
    )
    dpos = Group.objects.get(name=ROLE_DPO).user_set.filter(
        is_active=True, agency__municipality_id=forum.municipality_id
    )
    message = _("%(user)s (%(agency)s) så identiteten på %(pseudonym)s i %(forum)s.") % {
        "user": actor.full_name,
        "agency": actor.agency or "-",
        "pseudonym": person.pseudonym,
        "forum": forum.name,
    }
    link = reverse("coordination:person-detail", args=[person.pk])
    recipients = {user.pk for user in chairs} | {user.pk for user in dpos}
    for recipient_id in sorted(recipients - {actor.pk}):
        Notification.objects.create(
            recipient_id=recipient_id, kind="identity_revealed", message=message, link=link
        )
