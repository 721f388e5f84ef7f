"""Writes on notes; sharing with the forum is a disclosure under § 115."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import Disclosure
from audit.services import disclosure_record
from coordination.models import Note, NoteRevision
from core.permissions import get_object_for
from forums.rules import derive_basis
from forums.selectors import receiving_agency_ids as forum_receiving_agency_ids
from persons.models import CaseFile, Concern
from persons.services import casefile_touch, require_reason

MAX_NOTE = 20_000


def receiving_agency_ids(case_file: CaseFile) -> set[int]:
    """Agencies of the forum's current members: who receives what is shared there now."""
    return forum_receiving_agency_ids(case_file.forum_id)


def _case_categories(case_file: CaseFile) -> list[str]:
    categories: set[str] = set()
    for codes in Concern.objects.filter(case_file=case_file).values_list("categories", flat=True):
        categories.update(codes)
    return sorted(categories)


@transaction.atomic
def note_create(
    *,
    actor: User,
    case_file: CaseFile,
    body: str,
    visibility: str = Note.Visibility.AGENCY,
    necessity: str = "",
    legal_basis: dict[str, str] | None = None,
) -> Note:
    """Write a note (the caller fetched the case file through the permission layer). A note
    written straight to the forum is shared at once, with its disclosure."""
    if actor.agency is None:
        raise PermissionDenied(_("Kun medarbejdere i en myndighed kan skrive notater."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Notatet er tomt.")]})
    if len(body) > MAX_NOTE:
        raise ValidationError({"body": [_("Notatet må højst være %(n)s tegn.") % {"n": MAX_NOTE}]})
    if visibility not in Note.Visibility.values:
        raise ValidationError({"visibility": [_("Ukendt synlighed.")]})
    note = Note(case_file=case_file, body=body, author=actor, agency=actor.agency)
    note.save()
    casefile_touch(case_file)
    if visibility == Note.Visibility.FORUM:
        note_share(actor=actor, note=note, necessity=necessity, legal_basis=legal_basis)
    return note


@transaction.atomic
def note_share(
    *, actor: User, note: Note, necessity: str, legal_basis: dict[str, str] | None = None
) -> Disclosure:
    """Share an agency note with its forum: needs a necessity reason; the § 115 basis is
    derived from the agency and the forum kind, and a contradicting one is refused."""
    if note.visibility == Note.Visibility.FORUM:
        raise ValidationError({"visibility": [_("Notatet er allerede delt med forummet.")]})
    if actor.agency_id != note.agency_id:
        raise PermissionDenied(_("Kun notatets egen myndighed kan dele det."))
    necessity = require_reason(
        necessity,
        "necessity",
        _("Begrund hvorfor det er nødvendigt at dele notatet (mindst 20 tegn)."),
    )
    case_file = note.case_file
    try:
        basis = derive_basis(
            agency=note.agency,
            forum_kind=case_file.forum.kind,
            ksp_letter=case_file.ksp_letter or None,
            requested=legal_basis,
        )
    except ValidationError as exc:
        raise ValidationError({"legal_basis": exc.messages}) from None
    note.visibility = Note.Visibility.FORUM
    note.shared_at = timezone.now()
    note.shared_by = actor
    note.necessity = necessity
    note.legal_paragraph, note.legal_cooperation = basis.paragraph, basis.cooperation
    note.save(
        update_fields=[
            "visibility",
            "shared_at",
            "shared_by",
            "necessity",
            "legal_paragraph",
            "legal_cooperation",
        ]
    )
    return disclosure_record(
        actor=actor,
        from_agency=note.agency,
        to_agency_ids=receiving_agency_ids(case_file),
        forum_id=case_file.forum_id,
        source=note,
        person_id=case_file.person_id,
        person_pseudonym=case_file.person.pseudonym,
        paragraph=basis.paragraph,
        cooperation=basis.cooperation,
        necessity=necessity,
        data_categories=["notat", *_case_categories(case_file)],
        sealed_under=case_file.data_key,  # erased with the case file (issue 10)
    )


@transaction.atomic
def note_correct(*, actor: User, note_id: Any, body: str, reason: str) -> NoteRevision:
    """Correct (berigtige) one's own note: the text before is kept, with the reason, both
    encrypted under the case file's key. A note already shared keeps its disclosure record
    (what was shared was shared); the correction is recorded in the change log."""
    note = get_object_for(
        actor,
        Note.objects.select_for_update(of=("self",)).select_related("case_file__data_key"),
        note_id,
        "correct",
    )
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Notatet er tomt.")]})
    if len(body) > MAX_NOTE:
        raise ValidationError({"body": [_("Notatet må højst være %(n)s tegn.") % {"n": MAX_NOTE}]})
    if body == note.body:
        raise ValidationError({"body": [_("Teksten er uændret.")]})
    reason = require_reason(
        reason, "reason", _("En rettelse kræver en begrundelse (mindst 20 tegn).")
    )
    revision = NoteRevision(note=note, body=note.body, reason=reason, revised_by=actor)
    revision.save()
    note.body = body
    note.save()
    casefile_touch(note.case_file)
    return revision
