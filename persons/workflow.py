"""The forum's workflow steps (issue 11): deciding a concern, consent records, the move at 18.

Each is a service as in persons.services: keyword-only, atomic, permission checked inside, the
disclosure it makes recorded in the same transaction (the changed rows reach the change log
through audit.registry)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from forums.models import Forum, ForumKind
from forums.rules import age_on
from persons.models import CaseFile, CaseFileTransfer, Concern, ConsentRecord
from persons.selectors import adult_month_limit
from persons.services import (
    ADULT_AGE,
    MAX_REASON,
    _casefile_create,
    _require_member,
    casefile_disclosure_record,
    casefile_touch,
    notify_concern_new,
    require_reason,
)

TRANSFER_NOTICE_MONTHS = 3
TRANSFER_TARGET_KINDS = (ForumKind.SSP_PLUS, ForumKind.PSP)


def _renamed(error: ValidationError, field: str) -> ValidationError:
    """A rule of the forum a concern or person moves to, reported on the field that chose it."""
    return ValidationError({field: list(dict.fromkeys(error.messages))})


def _target_forum(*, actor: User, source: Forum, target: Forum | None) -> Forum:
    """Another forum of the same municipality that the actor also chairs or coordinates."""
    if target is None:
        raise ValidationError({"target_forum": [_("Vælg det forum, sagen skal videre til.")]})
    if target.pk == source.pk:
        raise ValidationError({"target_forum": [_("Vælg et andet forum end det nuværende.")]})
    if target.municipality_id != source.municipality_id:
        raise ValidationError(
            {"target_forum": [_("Sagen kan kun gå videre til et forum i samme kommune.")]}
        )
    try:
        _require_member(actor, target, managing=True)
    except PermissionDenied:
        raise ValidationError(
            {"target_forum": [_("Du skal være formand eller koordinator i det forum.")]}
        ) from None
    return target


def _managed_open(actor: User, case_file: CaseFile) -> CaseFile:
    """The case file, locked, if it is open on a forum the actor manages; else 404-like."""
    locked = (
        CaseFile.objects.restrict(actor, "change")
        .select_for_update(of=("self",))
        .select_related("forum", "person", "data_key")
        .filter(pk=case_file.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("Kun formand og koordinator kan dette."))
    return locked


@transaction.atomic
def concern_decide(
    *,
    actor: User,
    concern: Concern,
    decision: str,
    reason: str = "",
    target_forum: Forum | None = None,
) -> Concern:
    """The coordinator's (or chair's) decision on a new concern: bring it to the forum (the
    next session's proposed agenda takes it), no further action (with a reason), or pass it on
    to another forum of the municipality that the actor also manages (with a reason; a copy is
    registered there, a disclosure from this forum to that one)."""
    locked = (
        Concern.objects.restrict(actor, "change")
        .select_for_update(of=("self",))
        .select_related("case_file__forum", "case_file__person", "case_file__data_key")
        .filter(pk=concern.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("Kun formand og koordinator kan dette."))
    concern = locked
    if concern.decision != Concern.Decision.PENDING:
        raise ValidationError({"decision": [_("Bekymringen er allerede besluttet.")]})
    choices = Concern.Decision
    if decision not in (choices.BRING_TO_FORUM, choices.NO_ACTION, choices.PASSED_ON):
        raise ValidationError({"decision": [_("Vælg en beslutning.")]})
    reason = (reason or "").strip()
    if decision == choices.BRING_TO_FORUM:
        if len(reason) > MAX_REASON:  # optional here, but bounded as every reason is
            raise ValidationError(
                {"reason": [_("Begrundelsen må højst være %(n)s tegn.") % {"n": MAX_REASON}]}
            )
    else:
        reason = require_reason(reason, "reason", _("Begrund beslutningen (mindst 20 tegn)."))
    if decision == choices.PASSED_ON:
        target = _target_forum(actor=actor, source=concern.case_file.forum, target=target_forum)
        concern.passed_to = _pass_on(actor=actor, concern=concern, target=target, reason=reason)
    concern.decision = decision
    concern.decision_reason = reason or None
    concern.decided_by = actor
    concern.decided_at = timezone.now()
    concern.save(
        update_fields=["decision", "decision_reason", "decided_by", "decided_at", "passed_to"]
    )
    casefile_touch(concern.case_file)
    return concern


def _pass_on(*, actor: User, concern: Concern, target: Forum, reason: str) -> Concern:
    """Register a copy of the concern on the person's open case file in the target forum
    (opened with the identity this forum knows), recorded as a disclosure to that forum."""
    if actor.agency is None:
        raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
    source = concern.case_file
    case_file = CaseFile.objects.open().filter(person_id=source.person_id, forum=target).first()
    categories = ["bekymring", *concern.categories]
    if case_file is None:
        try:
            case_file = _casefile_create(
                actor=actor,
                person=source.person,
                forum=target,
                known=source.known_identity(),
            )
        except ValidationError as error:
            raise _renamed(error, "target_forum") from None
        categories.append("identitet")
    copy = Concern.objects.create(
        case_file=case_file,
        source_agency=concern.source_agency,
        categories=list(concern.categories),
        description=concern.description,
        created_by=actor,
    )
    try:
        casefile_disclosure_record(
            actor=actor,
            from_agency=actor.agency,
            case_file=case_file,
            source=copy,
            necessity=reason,
            data_categories=categories,
        )
    except ValidationError as error:
        raise _renamed(error, "target_forum") from None
    casefile_touch(case_file)
    notify_concern_new(actor=actor, concern=copy)
    return copy


def age_on_day(case_file: CaseFile, day: datetime.date) -> int:
    """The person's age on a day: from the birth date the forum knows, else (month
    granularity) from birth year and month, counting an unknown month as December (younger)."""
    birth_date = case_file.known_identity().birth_date
    if birth_date:
        return age_on(datetime.date.fromisoformat(birth_date), day)
    person = case_file.person
    month = person.birth_month or 12
    return day.year - person.birth_year - (day.month < month)


CONSENT_BY_DECISION = {
    ConsentRecord.Decision.OBTAINED: CaseFile.Consent.OBTAINED,
    ConsentRecord.Decision.REFUSED: CaseFile.Consent.REFUSED,
    ConsentRecord.Decision.WITHDRAWN: CaseFile.Consent.REFUSED,
}


@transaction.atomic
def consent_record(
    *,
    actor: User,
    case_file: CaseFile,
    given_by: str,
    decision: str,
    given_on: datetime.date,
    note: str = "",
) -> ConsentRecord:
    """Record who gave, refused or withdrew consent, and when (the chair or coordinator of the
    case file's forum). Under 18 the young person or a custody holder decides, from 18 the
    person. A new row each time (the history stays); the case file holds the latest decision."""
    case_file = _managed_open(actor, case_file)
    errors: dict[str, list[str]] = {}
    if decision not in ConsentRecord.Decision.values:
        errors["decision"] = [_("Vælg om samtykket er givet, afvist eller trukket tilbage.")]
    if given_on > timezone.localdate():
        errors["given_on"] = [_("Datoen ligger i fremtiden.")]
    if given_by not in ConsentRecord.GivenBy.values:
        errors["given_by"] = [_("Vælg hvem der har taget stilling.")]
    elif "given_on" not in errors:
        adult = age_on_day(case_file, given_on) >= ADULT_AGE
        if adult and given_by != ConsentRecord.GivenBy.PERSON:
            errors["given_by"] = [
                _("Personen var fyldt 18 år på datoen og tager selv stilling til samtykke.")
            ]
        elif not adult and given_by == ConsentRecord.GivenBy.PERSON:
            errors["given_by"] = [
                _(
                    "Personen var under 18 år på datoen: vælg den unge eller "
                    "forældremyndighedsindehaveren."
                )
            ]
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        errors["note"] = [_("Bemærkningen må højst være %(n)s tegn.") % {"n": MAX_REASON}]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        case_file=case_file,
        given_by=given_by,
        decision=decision,
        given_on=given_on,
        note=note or None,
        recorded_by=actor,
    )
    # A record dated earlier than the last one is history, not the current state.
    latest = ConsentRecord.objects.filter(case_file=case_file).order_by("-given_on", "-pk")[0]
    case_file.consent = CONSENT_BY_DECISION[ConsentRecord.Decision(latest.decision)]
    case_file.last_activity_at = timezone.now()
    case_file.save(update_fields=["consent", "last_activity_at"])
    return record


def turns_18_soon(case_file: CaseFile, *, within_months: int = TRANSFER_NOTICE_MONTHS) -> bool:
    """The selector's rule (persons.selectors.turning_18_soon) for one case file."""
    person = case_file.person
    index = person.birth_year * 12 + (person.birth_month or 1)
    return index <= adult_month_limit(within_months=within_months)


@transaction.atomic
def casefile_transfer(
    *, actor: User, case_file: CaseFile, target_forum: Forum, reason: str
) -> CaseFileTransfer:
    """The move at 18 from an SSP case file to SSP+ or PSP of the same municipality, a recorded
    decision of someone who manages both forums: the target case file opens with the identity
    SSP knows (a disclosure from SSP to the target forum), the SSP case file closes, and the
    transfer links the two."""
    case_file = _managed_open(actor, case_file)
    if case_file.forum.kind != ForumKind.SSP:
        raise ValidationError({"case_file": [_("Kun en SSP-sag kan overgå ved 18 år.")]})
    if CaseFileTransfer.objects.filter(from_case_file=case_file).exists():
        raise ValidationError({"case_file": [_("Sagen er allerede overgået.")]})
    errors: dict[str, list[str]] = {}
    try:
        target = _target_forum(actor=actor, source=case_file.forum, target=target_forum)
    except ValidationError as error:
        errors.update(error.message_dict)
    else:
        if target.kind not in TRANSFER_TARGET_KINDS:
            errors["target_forum"] = [_("Sagen kan kun overgå til SSP+ eller PSP.")]
    if not turns_18_soon(case_file):
        errors["case_file"] = [
            _("Personen fylder ikke 18 år inden for %(n)s måneder.") % {"n": TRANSFER_NOTICE_MONTHS}
        ]
    try:
        reason = require_reason(reason, "reason", _("Begrund overgangen (mindst 20 tegn)."))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if actor.agency is None:
        raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
    try:
        # The target's age band as of the 18th birthday: the move is decided up to three
        # months ahead, and this recorded decision is what the band would otherwise ask for.
        new = _casefile_create(
            actor=actor,
            person=case_file.person,
            forum=target,
            known=case_file.known_identity(),
            age=max(ADULT_AGE, age_on_day(case_file, timezone.localdate())),
        )
        casefile_disclosure_record(
            actor=actor,
            from_agency=actor.agency,
            case_file=new,
            source=new,
            necessity=reason,
            data_categories=["sag", "identitet"],
        )
    except ValidationError as error:
        raise _renamed(error, "target_forum") from None
    case_file.closed_at = timezone.now()
    case_file.closed_reason = _("Overgået til %(forum)s ved 18 år.") % {"forum": target.name}
    case_file.last_activity_at = case_file.closed_at
    case_file.save(update_fields=["closed_at", "closed_reason", "last_activity_at"])
    return CaseFileTransfer.objects.create(
        from_case_file=case_file, to_case_file=new, reason=reason, decided_by=actor
    )
