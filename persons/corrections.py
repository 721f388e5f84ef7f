"""Correction (berigtigelse, GDPR art. 16) of the identity a forum holds: a recorded change with
a reason, the values before it kept encrypted under the same case file key.

The forum's own record (``CaseFile.known_*``) is always corrected. The person's shared record
(``Identity``, with the CPR blind index used for matching) is corrected too only when the
corrector chairs or coordinates every open case file of the person: another forum's
registration is not theirs to change. A corrected CPR that belongs to another person is not
written to the shared record either, and the answer is the same as when it is (the look-up
stays silent, like a concern's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.crypto import blind_index
from core.permissions import get_object_for, visible_to
from persons.cpr import parse_cpr
from persons.models import CaseFile, IdentityCorrection, KnownIdentity
from persons.services import require_reason

MAX_IDENTITY_FIELD = 200


@dataclass(frozen=True)
class IdentityChange:
    """The corrected values; None leaves a value as it is."""

    name: str | None = None
    cpr: str | None = None
    address: str | None = None


def _clean(change: IdentityChange) -> IdentityChange:
    def text(value: str | None, field: str) -> str | None:
        if value is None or not value.strip():
            return None
        if len(value.strip()) > MAX_IDENTITY_FIELD:
            raise ValidationError({field: [_("Højst %(n)s tegn.") % {"n": MAX_IDENTITY_FIELD}]})
        return value.strip()

    cpr = text(change.cpr, "cpr")
    if cpr is not None:
        try:
            cpr = parse_cpr(cpr)[0]
        except ValidationError as error:
            raise ValidationError({"cpr": error.messages}) from None
    cleaned = IdentityChange(text(change.name, "name"), cpr, text(change.address, "address"))
    if cleaned == IdentityChange():
        raise ValidationError({"name": [_("Angiv mindst én oplysning, der skal rettes.")]})
    return cleaned


@transaction.atomic
def identity_correct(
    *, actor: User, case_file_id: Any, change: IdentityChange, reason: str
) -> IdentityCorrection:
    case_file = get_object_for(
        actor,
        CaseFile.objects.select_for_update(of=("self",)).select_related(
            "person__identity", "forum__municipality", "data_key"
        ),
        case_file_id,
        "change",
    )
    change = _clean(change)
    reason = require_reason(
        reason, "reason", _("En rettelse kræver en begrundelse (mindst 20 tegn).")
    )
    before = case_file.known_identity()
    birth_date = before.birth_date
    if change.cpr is not None:
        birth_date = parse_cpr(change.cpr)[1].isoformat()
    after = KnownIdentity(
        name=change.name if change.name is not None else before.name,
        cpr=change.cpr if change.cpr is not None else before.cpr,
        birth_date=birth_date,
        address=change.address if change.address is not None else before.address,
    )
    correction = IdentityCorrection(
        case_file=case_file,
        old_name=before.name,
        old_cpr=before.cpr,
        old_birth_date=before.birth_date,
        old_address=before.address,
        reason=reason,
        corrected_by=actor,
    )
    case_file.set_known_identity(after)
    case_file.save()
    correction.shared_corrected = _correct_shared(actor, case_file, change, after)
    correction.save()
    return correction


def _correct_shared(
    actor: User, case_file: CaseFile, change: IdentityChange, after: KnownIdentity
) -> bool:
    person = case_file.person
    open_files = CaseFile.objects.filter(person=person, closed_at__isnull=True)
    managed = visible_to(actor, open_files, "change")
    if open_files.exclude(pk__in=managed.values("pk")).exists():
        return False  # another forum's registration is not this corrector's to change
    identity = person.identity
    if change.cpr is not None:
        index = blind_index(scope=case_file.forum.municipality.code, value=change.cpr)
        if type(identity).objects.filter(cpr_index=index).exclude(pk=identity.pk).exists():
            # Another person has that CPR: no merge here, and no different answer either.
            return False
        identity.cpr, identity.birth_date, identity.cpr_index = after.cpr, after.birth_date, index
        person.birth_year = parse_cpr(change.cpr)[1].year
    if change.name is not None:
        identity.name = after.name
    if change.address is not None:
        identity.address = after.address
    try:
        with transaction.atomic():
            identity.save()
            person.save(update_fields=["birth_year"])
    except IntegrityError:  # the same CPR registered for someone else at this moment
        return False
    return True
