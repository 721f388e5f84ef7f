"""Writes on persons, identities, case files and concerns, and the identity reveal."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from guardian.shortcuts import assign_perm

from accounts.models import Agency, User
from audit.models import AccessEvent
from audit.services import access_record, disclosure_record
from core.crypto import blind_index
from core.models import DataKey, Notification
from core.permissions import ROLE_DPO, get_object_for, sees_no_content
from forums.models import Forum, ForumKind, Membership
from forums.rules import age_on, check_age_band, derive_basis
from forums.selectors import receiving_agency_ids
from persons.categories import validate_categories
from persons.cpr import parse_cpr
from persons.models import (
    CaseFile,
    Concern,
    FocusPerson,
    FocusPersonUserObjectPermission,
    Identity,
    IdentityReveal,
    KnownIdentity,
    PersonGrant,
)

MAX_TEXT = 10_000
# Person ids are drawn at random above any sequence and below 2^53 (exact in JavaScript).
PERSON_ID_FLOOR = 2**32
PERSON_ID_SPAN = 2**53 - 2**32
# What a silent CPR match records as its search criterion: the kind of look-up, never the CPR.
CPR_MATCH_CRITERION = "cpr (blindt indeks)"
MIN_REASON = 20
ADULT_AGE = 18
MAX_REASON = 1000


@dataclass(frozen=True)
class IdentityInput:
    name: str
    cpr: str = ""
    birth_date: datetime.date | None = None
    address: str = ""


@dataclass(frozen=True)
class ConcernResult:
    """What registering a concern gives back: the same whether the CPR was known or new."""

    concern: Concern
    person: FocusPerson


NECESSITY_MESSAGE = _lazy("Begrund, hvorfor forummet har brug for oplysningerne (mindst 20 tegn).")


def require_reason(value: str, field: str, message: str | Promise) -> str:
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


AGE_OVERRIDE_MESSAGE = _lazy(
    "Forummets formand kan godkende en undtagelse med en begrundelse (mindst 20 tegn)."
)


def is_chair(user: User, forum: Forum) -> bool:
    return (
        not sees_no_content(user)
        and Membership.objects.current()
        .filter(user_id=user.pk or 0, forum=forum, role=Membership.Role.CHAIR)
        .exists()
    )


def _check_forum_age(
    forum: Forum,
    birth_date: datetime.date,
    *,
    actor: User,
    age_override_reason: str = "",
    age: int | None = None,
) -> str:
    """The forum's age band: a mismatch is refused unless the forum's chair approves an
    exception with a reason (issue 11). Returns the accepted reason ("" when none needed)."""
    age = age_on(birth_date, timezone.localdate()) if age is None else age
    try:
        check_age_band(age_min=forum.age_min, age_max=forum.age_max, age=age, forum_name=forum.name)
    except ValidationError as exc:
        mismatch = " ".join(exc.messages)
    else:
        return ""
    # The mismatch is told at the forum chosen too (the API's and forms' field of old).
    if not (age_override_reason or "").strip():
        raise ValidationError(
            {"forum": [mismatch], "age_override_reason": [f"{mismatch} {AGE_OVERRIDE_MESSAGE}"]}
        )
    if not is_chair(actor, forum):
        raise ValidationError(
            {
                "forum": [mismatch],
                "age_override_reason": [
                    _("%(mismatch)s Kun forummets formand kan godkende en undtagelse.")
                    % {"mismatch": mismatch}
                ],
            }
        )
    return require_reason(
        age_override_reason, "age_override_reason", f"{mismatch} {AGE_OVERRIDE_MESSAGE}"
    )


def _check_ksp_age(forum: Forum, ksp_letter: str, birth_date: datetime.date) -> None:
    """§ 115 stk. 1 nr. 3 b covers persons under 18 leaving placement: never an adult (no
    exception, for the law gives no basis)."""
    if (
        forum.kind == ForumKind.KSP
        and ksp_letter == CaseFile.KspLetter.B
        and age_on(birth_date, timezone.localdate()) >= ADULT_AGE
    ):
        raise ValidationError(
            {"ksp_letter": [_("Litra b gælder kun personer under 18 år. Personen er over 18.")]}
        )


def person_create(
    *, forum: Forum, identity: IdentityInput, cpr: str, birth_date: datetime.date
) -> FocusPerson:
    person = FocusPerson(
        birth_year=birth_date.year,
        birth_month=birth_date.month,
        municipality=forum.municipality,
        data_key=DataKey.create(),
    )
    for attempt in range(5):
        # A random id, not the next in a sequence: a sequential id would tell whoever logs a
        # concern whether the CPR was new (the highest id) or known (an older one).
        person.pk = secrets.randbelow(PERSON_ID_SPAN) + PERSON_ID_FLOOR
        person.pseudonym = FocusPerson.new_pseudonym()
        try:
            with transaction.atomic():
                person.save(force_insert=True)
            break
        except IntegrityError:  # the id or pseudonym is taken (about never): draw again
            if attempt == 4:
                raise
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


def _person_for_concern(
    *, actor: User, forum: Forum, identity: IdentityInput, cpr: str, birth_date: datetime.date
) -> FocusPerson:
    """The person a concern is about, matched silently by CPR blind index or created.

    The caller learns nothing of which happened (the CPR would otherwise be an oracle for
    "known to some forum"); the look-up is recorded as a search, with the person it found.
    A concurrent registration of the same new CPR loses the unique index race and is then
    matched to the winner's person instead of failing.
    """
    existing = person_find_by_cpr(forum=forum, cpr=cpr) if cpr else None
    if cpr:
        access_record(
            actor=actor,
            action=AccessEvent.Action.SEARCH,
            model=FocusPerson,
            objects=[existing] if existing else [],
            search_criterion=CPR_MATCH_CRITERION,
        )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return person_create(forum=forum, identity=identity, cpr=cpr, birth_date=birth_date)
    except IntegrityError:
        winner = person_find_by_cpr(forum=forum, cpr=cpr) if cpr else None
        if winner is None:
            raise
        return winner


def _check_ksp_letter(forum: Forum, ksp_letter: str) -> None:
    if forum.kind == ForumKind.KSP:
        if ksp_letter not in CaseFile.KspLetter.values:
            raise ValidationError({"ksp_letter": [_("En KSP-sag skal have litra a, b eller c.")]})
    elif ksp_letter:
        raise ValidationError({"ksp_letter": [_("Litra bruges kun i KSP.")]})


def _casefile_create(
    *,
    actor: User,
    person: FocusPerson,
    forum: Forum,
    consent: str = CaseFile.Consent.NOT_SOUGHT,
    consent_refused_reason: str = "",
    ksp_letter: str = "",
    known: KnownIdentity,
    age_override_reason: str = "",
    age: int | None = None,
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
    _check_ksp_letter(forum, ksp_letter)
    if CaseFile.objects.open().filter(person=person, forum=forum).exists():
        raise ValidationError({"person": [_("Personen har allerede en åben sag i forummet.")]})
    birth_date = datetime.date.fromisoformat(person.identity.birth_date)
    _check_ksp_age(forum, ksp_letter, birth_date)
    override = _check_forum_age(
        forum, birth_date, actor=actor, age_override_reason=age_override_reason, age=age
    )
    case_file = CaseFile(
        person=person,
        forum=forum,
        opened_by=actor,
        consent=consent,
        consent_refused_reason=consent_refused_reason or None,
        ksp_letter=ksp_letter,
        data_key=DataKey.create(),
    )
    if override:
        case_file.age_override_reason = override
        case_file.age_override_by = actor
        case_file.age_override_at = timezone.now()
    case_file.set_known_identity(known)
    try:
        with transaction.atomic():
            case_file.save()
            return case_file
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
    necessity: str,
    consent: str = CaseFile.Consent.NOT_SOUGHT,
    consent_refused_reason: str = "",
    ksp_letter: str = "",
    age_override_reason: str = "",
) -> CaseFile:
    """Put a person on a forum's list; for the forum's chair or coordinator. The forum's age
    band applies: a person who turns 18 in SSP moves to SSP+ only by this recorded decision.

    The forum's members learn that the person is of concern: a disclosure from the actor's
    agency to the forum, with the derived § 115 basis and the necessity reason."""
    _require_member(actor, forum, managing=True)
    if not FocusPerson.objects.restrict(actor, "open").filter(pk=person.pk).exists():
        # Only a member who sees the person through a forum moves them; a per-person grant
        # (read-only) does not reach here.
        raise PermissionDenied(_("Du kan kun sætte personer fra dine egne fora på listen."))
    necessity = require_reason(necessity, "necessity", NECESSITY_MESSAGE)
    if actor.agency is None:
        raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
    # The new forum is told who the person is as the actor's own forum knows them.
    source = (
        CaseFile.objects.restrict(actor, "view")
        .filter(person=person)
        .select_related("data_key", "person__identity")
        .order_by("-opened_at")
        .first()
    )
    if source is None:
        raise PermissionDenied(_("Du kan kun sætte personer fra dine egne fora på listen."))
    case_file = _casefile_create(
        actor=actor,
        person=person,
        forum=forum,
        consent=consent,
        consent_refused_reason=consent_refused_reason,
        ksp_letter=ksp_letter,
        known=source.known_identity(),
        age_override_reason=age_override_reason,
    )
    casefile_disclosure_record(
        actor=actor,
        from_agency=actor.agency,
        case_file=case_file,
        source=case_file,
        necessity=necessity,
        data_categories=["sag", "identitet"],
    )
    return case_file


def casefile_disclosure_record(
    *,
    actor: User,
    from_agency: Agency,
    case_file: CaseFile,
    source: Any,
    necessity: str,
    data_categories: Sequence[str],
    to_agency_ids: set[int] | None = None,
) -> None:
    """What ``from_agency`` passes about a case file's person, to the forum's agencies unless
    ``to_agency_ids`` says otherwise, on the basis derived from the agency and the forum kind
    (ValidationError if the KSP letter is missing)."""
    forum = case_file.forum
    basis = derive_basis(agency=from_agency, forum_kind=forum.kind, ksp_letter=case_file.ksp_letter)
    disclosure_record(
        actor=actor,
        from_agency=from_agency,
        to_agency_ids=receiving_agency_ids(forum.pk) if to_agency_ids is None else to_agency_ids,
        forum_id=forum.pk,
        source=source,
        person_id=case_file.person_id,
        person_pseudonym=case_file.person.pseudonym,
        paragraph=basis.paragraph,
        cooperation=basis.cooperation,
        necessity=necessity,
        data_categories=data_categories,
        sealed_under=case_file.data_key,  # erased with the case file (issue 10)
    )


def _check_source(*, actor: User, forum: Forum, source_agency: Agency, source_reason: str) -> str:
    """A concern comes from the actor's own agency; only the forum's chair or coordinator may
    register one on behalf of another agency serving the forum, with a recorded reason."""
    if source_agency.pk == actor.agency_id:
        return ""
    if not source_agency.serves(forum.municipality):
        raise ValidationError(
            {"source_agency": [_("Kilden skal være en myndighed, der deltager i kommunens fora.")]}
        )
    managing = Membership.objects.current().filter(
        user=actor, forum=forum, role__in=Membership.MANAGING_ROLES
    )
    if not managing.exists():
        raise ValidationError(
            {"source_agency": [_("Du kan kun registrere bekymringer fra din egen myndighed.")]}
        )
    return require_reason(
        source_reason,
        "source_reason",
        _(
            "Begrund, hvorfor bekymringen registreres på en anden myndigheds vegne (mindst 20 tegn)."
        ),
    )


@transaction.atomic
def concern_register(
    *,
    actor: User,
    forum: Forum,
    identity: IdentityInput,
    categories: Sequence[str],
    description: str,
    source_agency: Agency | None,
    necessity: str,
    source_reason: str = "",
    ksp_letter: str = "",
    channel: str = "bekymring",
    age_override_reason: str = "",
) -> ConcernResult:
    """Log a bekymring: information passed from the source agency to the forum, recorded as a
    disclosure with the derived § 115 basis and the necessity reason.

    The person is matched silently by CPR blind index in the forum's municipality, or created;
    the concern goes on the person's open case file in the forum, opened if needed. The user
    sees the person only through that case file.
    """
    _require_member(actor, forum)
    source_agency = source_agency or actor.agency
    if source_agency is None:
        raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
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
    try:
        necessity = require_reason(necessity, "necessity", NECESSITY_MESSAGE)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        source_reason = _check_source(
            actor=actor, forum=forum, source_agency=source_agency, source_reason=source_reason
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _check_ksp_letter(forum, ksp_letter)  # before matching: else an answer differs by CPR
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    cpr, birth_date = _birth_date(identity)
    # From the birth date given, before matching: the answer must not differ by CPR.
    _check_ksp_age(forum, ksp_letter, birth_date)

    person = _person_for_concern(
        actor=actor, forum=forum, identity=identity, cpr=cpr, birth_date=birth_date
    )
    case_file = CaseFile.objects.open().filter(person=person, forum=forum).first()
    if case_file is None:
        case_file = _casefile_create(
            actor=actor,
            person=person,
            forum=forum,
            ksp_letter=ksp_letter,
            known=KnownIdentity(
                name=identity.name.strip(),
                cpr=cpr or None,
                birth_date=birth_date.isoformat(),
                address=identity.address.strip() or None,
            ),
            age_override_reason=age_override_reason,
        )
    concern = Concern(
        case_file=case_file,
        source_agency=source_agency,
        source_reason=source_reason or None,
        categories=list(categories),
        description=description.strip(),
        created_by=actor,
    )
    concern.save()
    casefile_touch(case_file)
    casefile_disclosure_record(
        actor=actor,
        from_agency=source_agency,
        case_file=case_file,
        source=concern,
        necessity=necessity,
        data_categories=[channel, *concern.categories],
    )
    notify_concern_new(actor=actor, concern=concern)
    return ConcernResult(concern=concern, person=person)


def notify_concern_new(*, actor: User, concern: Concern) -> None:
    """Every current coordinator of the concern's forum (but the actor) is told that a concern
    awaits a decision: pseudonym and forum only, never name, CPR or text."""
    case_file = concern.case_file
    coordinators = (
        Membership.objects.current()
        .filter(forum_id=case_file.forum_id, role=Membership.Role.COORDINATOR)
        .exclude(user_id=actor.pk)
        .values_list("user_id", flat=True)
        .distinct()
    )
    message = _("Ny bekymring om %(pseudonym)s i %(forum)s afventer beslutning.") % {
        "pseudonym": case_file.person.pseudonym,
        "forum": case_file.forum.name,
    }
    link = reverse("persons:concern-decide", args=[concern.pk])
    Notification.objects.bulk_create(
        Notification(recipient_id=user_id, kind="concern_new", message=message, link=link)
        for user_id in sorted(set(coordinators))
    )


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
            if actor.agency is None:
                raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
            # Every member agency may now reveal who the person is: that is a disclosure.
            casefile_disclosure_record(
                actor=actor,
                from_agency=actor.agency,
                case_file=case_file,
                source=case_file,
                necessity=case_file.named_reason,
                data_categories=["identitet"],
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
def identity_reveal(
    *, actor: User, person_id: Any, reason: str
) -> tuple[IdentityReveal, KnownIdentity]:
    """Reveal a person's identity to the actor for a limited time, for a stated reason: the
    identity as the named case file's forum knows it, not what other forums registered.

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
        .select_related("forum", "data_key")
        .order_by("-opened_at")
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
        actor=actor,
        action=AccessEvent.Action.REVEAL_IDENTITY,
        objects=[person],
        reason=reason,
        sealed_under=case_file.data_key,  # erased with the case file (issue 10)
    )
    _notify_reveal(actor=actor, person=person, forum=case_file.forum)
    return reveal, case_file.known_identity()


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


# --- Per-person grants ---------------------------------------------------------------------

GRANT_DATA_CATEGORIES = ("person", "helhedsplan")
GRANT_SWEEP_BATCH = 500
VIEW_PERSON_CODENAME = "view_focusperson"


def _grant_expiry_errors(expires_at: datetime.datetime) -> list[str]:
    now = timezone.now()
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    if expires_at <= now:
        return [_("Udløbet skal ligge i fremtiden.")]
    last_day = timezone.localdate(now) + datetime.timedelta(days=settings.PERSON_GRANT_MAX_DAYS)
    if timezone.localdate(expires_at) > last_day:
        return [
            _("Adgang kan højst gives for %(n)s dage ad gangen.")
            % {"n": settings.PERSON_GRANT_MAX_DAYS}
        ]
    return []


def _grantee_errors(*, actor: User, case_file: CaseFile, grantee: User) -> list[str]:
    if grantee.pk == actor.pk:
        return [_("Du kan ikke give dig selv adgang.")]
    if (
        not grantee.is_active
        or grantee.agency is None
        or sees_no_content(grantee)
        or not grantee.agency.serves(case_file.forum.municipality)
    ):
        # One answer for all: whether an account exists in another municipality is no secret
        # to hand out. Staff of another municipality are outside § 115's local cooperation.
        return [
            _(
                "Adgang kan kun gives til en aktiv medarbejder i en myndighed, "
                "der deltager i kommunens fora."
            )
        ]
    if Membership.objects.current().filter(user=grantee, forum_id=case_file.forum_id).exists():
        return [_("Brugeren er medlem af forummet og har allerede adgang.")]
    if PersonGrant.objects.active().filter(person_id=case_file.person_id, grantee=grantee).exists():
        return [_("Brugeren har allerede en aktiv adgang til personen.")]
    return []


def _lock_person(person_id: int) -> FocusPerson:
    """Serialises grants on one person with each other and with the sweep."""
    return FocusPerson.objects.select_for_update().get(pk=person_id)


def drop_ungranted_permissions(pairs: set[tuple[int, int]]) -> int:
    """Delete guardian's view rows of these (user, person) pairs where no active grant is
    left; the check sits in the DELETE itself, so a grant made meanwhile keeps its row."""
    if not pairs:
        return 0
    match = Q()
    for user_id, person_id in pairs:
        match |= Q(user_id=user_id, content_object_id=person_id)
    active = PersonGrant.objects.active().filter(
        grantee_id=OuterRef("user_id"), person_id=OuterRef("content_object_id")
    )
    deleted, _counts = (
        FocusPersonUserObjectPermission.objects.filter(
            match, permission__codename=VIEW_PERSON_CODENAME
        )
        .exclude(Exists(active))
        .delete()
    )
    return deleted


@transaction.atomic
def person_grant_create(
    *,
    actor: User,
    case_file: CaseFile,
    grantee: User,
    expires_at: datetime.datetime,
    reason: str,
) -> PersonGrant:
    """Give one named user outside the forum read access to the case file's person (the person
    and the helhedsplan, never identity, concerns, notes or minutes) until ``expires_at``, for
    a reason. For the forum's chair or coordinator while the case file is open. Guardian's
    view permission plus the grant's terms; recorded as a disclosure from the actor's agency to
    the grantee's; the grantee is notified with pseudonym and link only."""
    forum = case_file.forum
    _require_member(actor, forum, managing=True)
    if actor.agency is None:
        raise PermissionDenied(_("Kun medarbejdere i en myndighed kan give adgang."))
    person = _lock_person(case_file.person_id)
    errors: dict[str, list[str]] = {}
    if not CaseFile.objects.open().filter(pk=case_file.pk).exists():
        errors["case_file"] = [_("Sagen er lukket.")]
    if grantee_errors := _grantee_errors(actor=actor, case_file=case_file, grantee=grantee):
        errors["user"] = grantee_errors
    if expiry_errors := _grant_expiry_errors(expires_at):
        errors["expires_at"] = expiry_errors
    try:
        reason = require_reason(
            reason, "reason", _("Begrund, hvorfor adgangen er nødvendig (mindst 20 tegn).")
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        basis = derive_basis(
            agency=actor.agency, forum_kind=forum.kind, ksp_letter=case_file.ksp_letter or None
        )
    except ValidationError as exc:
        errors.setdefault("case_file", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    grant = PersonGrant.objects.create(
        person=person,
        case_file=case_file,
        grantee=grantee,
        granted_by=actor,
        reason=reason,
        expires_at=expires_at,
    )
    assign_perm(f"persons.{VIEW_PERSON_CODENAME}", grantee, person)
    disclosure_record(
        actor=actor,
        from_agency=actor.agency,
        to_agency_ids=[grantee.agency_id] if grantee.agency_id else [],
        forum_id=forum.pk,
        source=grant,
        person_id=person.pk,
        person_pseudonym=person.pseudonym,
        paragraph=basis.paragraph,
        cooperation=basis.cooperation,
        necessity=reason,
        data_categories=GRANT_DATA_CATEGORIES,
        sealed_under=case_file.data_key,
    )
    Notification.objects.create(
        recipient=grantee,
        kind="person_grant",
        message=_("Du har fået adgang til %(p)s fra %(f)s til og med %(d)s.")
        % {
            "p": person.pseudonym,
            "f": forum.name,
            "d": timezone.localtime(expires_at).strftime("%d.%m.%Y"),
        },
        link=reverse("coordination:person-detail", args=[person.pk]),
    )
    return grant


@transaction.atomic
def person_grant_revoke(*, actor: User, grant: PersonGrant) -> PersonGrant:
    """End a grant at once (the chair or coordinator of the granting forum): the terms are
    marked revoked and guardian's row removed; the grantee is told."""
    _require_member(actor, grant.case_file.forum, managing=True)
    person = _lock_person(grant.person_id)
    grant.refresh_from_db(fields=["revoked_at", "revoked_by"])
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by = actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        Notification.objects.create(
            recipient_id=grant.grantee_id,
            kind="person_grant_revoked",
            message=_("Din adgang til %(p)s er trukket tilbage.") % {"p": person.pseudonym},
        )
    drop_ungranted_permissions({(grant.grantee_id, grant.person_id)})
    return grant


@transaction.atomic
def person_grants_expire() -> int:
    """The sweep (beat): remove guardian's view row where no active grant is left (expired,
    revoked or the case file closed). Access already ended then (restrict checks the terms);
    this keeps guardian's table true. Idempotent; concurrent sweeps skip each other's rows.
    Returns the number of rows removed."""
    permission = FocusPersonUserObjectPermission.objects.filter(
        user_id=OuterRef("grantee_id"),
        content_object_id=OuterRef("person_id"),
        permission__codename=VIEW_PERSON_CODENAME,
    )
    ended = (
        PersonGrant.objects.filter(
            Q(revoked_at__isnull=False)
            | Q(expires_at__lte=timezone.now())
            | Q(case_file__closed_at__isnull=False)
        )
        .filter(Exists(permission))
        .select_related("person")
        .select_for_update(skip_locked=True, of=("self", "person"))
        .order_by("pk")[:GRANT_SWEEP_BATCH]
    )
    return drop_ungranted_permissions({(grant.grantee_id, grant.person_id) for grant in ended})
