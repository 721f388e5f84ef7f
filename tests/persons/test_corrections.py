"""Berigtigelse: a forum corrects the identity it holds and an author their note; the values
before are kept with the reason, encrypted; nobody else's record is changed."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from coordination.models import Note, NoteRevision
from coordination.services import note_correct
from core.models import DataKey
from persons.corrections import IdentityChange, identity_correct
from persons.models import CaseFile, Identity, IdentityCorrection
from tests.world import AGENCY_NOTE_TEXT, OTHER_CPR, OTHER_NAME, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

REASON = "Navnet var stavet forkert i bekymringen fra skolen; rettet efter samtale."
NEW_NAME = "Rasmus Rettetbarn"


def correct(world: World, actor=None, **change) -> IdentityCorrection:
    return identity_correct(
        actor=actor or world.coordinator,
        case_file_id=world.case_file.pk,
        change=IdentityChange(**change),
        reason=REASON,
    )


def raw(table: str, column: str, pk_column: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def test_the_forum_corrects_the_identity_and_keeps_the_old_one(world):
    correction = correct(world, name=NEW_NAME)

    case_file = CaseFile.objects.get(pk=world.case_file.pk)
    assert case_file.known_identity().name == NEW_NAME
    assert case_file.known_identity().cpr == PERSON_CPR  # untouched
    assert Identity.objects.get(pk=world.person.pk).name == NEW_NAME  # its only forum
    stored = IdentityCorrection.objects.get(pk=correction.pk)
    assert (stored.old_name, stored.reason, stored.shared_corrected) == (PERSON_NAME, REASON, True)
    assert PERSON_NAME.encode() not in raw(
        "persons_identitycorrection", "old_name", "id", stored.pk
    )
    assert b"stavet" not in raw("persons_identitycorrection", "reason", "id", stored.pk)
    changes = repr(list(LogEntry.objects.values_list("changes", "changes_text")))
    for secret in (PERSON_NAME, NEW_NAME, "stavet"):
        assert secret not in changes


def test_another_forums_registration_is_left_alone(world):
    CaseFile.objects.create(
        person=world.person,
        forum=world.other_forum,
        opened_by=world.outsider,
        data_key=DataKey.create(),
    )

    correction = correct(world, name=NEW_NAME)

    assert not correction.shared_corrected
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME
    assert CaseFile.objects.get(pk=world.case_file.pk).known_identity().name == NEW_NAME


def test_a_cpr_of_another_person_is_not_merged_and_not_announced(world):
    correction = correct(world, cpr=OTHER_CPR)  # no error: the same answer as for a new CPR

    assert not correction.shared_corrected
    assert Identity.objects.get(pk=world.person.pk).cpr == PERSON_CPR
    other = Identity.objects.get(pk=world.other_person.pk)
    assert (other.name, other.cpr) == (OTHER_NAME, OTHER_CPR)
    assert CaseFile.objects.get(pk=world.case_file.pk).known_identity().cpr == OTHER_CPR


def test_a_new_cpr_moves_the_index_and_the_birth_year(world):
    correct(world, cpr="010315-4321")
    identity = Identity.objects.get(pk=world.person.pk)
    assert identity.cpr == "0103154321"
    assert identity.birth_date == "2015-03-01"
    assert identity.person.birth_year == 2015


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({}, "name"),
        ({"cpr": "12345"}, "cpr"),
        ({"cpr": "3213124567"}, "cpr"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(world, change, field):
    with pytest.raises(ValidationError) as refused:
        correct(world, **change)
    assert field in refused.value.message_dict
    assert not IdentityCorrection.objects.exists()
    assert CaseFile.objects.get(pk=world.case_file.pk).known_identity().name == PERSON_NAME


def test_only_the_forums_chair_or_coordinator_corrects_the_identity(world):
    with pytest.raises(PermissionDenied):
        correct(world, actor=world.school_member, name=NEW_NAME)
    for outsider in (world.outsider, world.expired_member, world.dpo):
        with pytest.raises(Http404):
            correct(world, actor=outsider, name=NEW_NAME)
    assert not IdentityCorrection.objects.exists()


def test_the_author_corrects_a_note_and_the_old_text_is_kept(world):
    revision = note_correct(
        actor=world.school_member,
        note_id=world.agency_note.pk,
        body="Fraværet skyldtes sygdom i familien.",
        reason=REASON,
    )

    assert Note.objects.get(pk=world.agency_note.pk).body == "Fraværet skyldtes sygdom i familien."
    stored = NoteRevision.objects.get(pk=revision.pk)
    assert (stored.body, stored.reason) == (AGENCY_NOTE_TEXT, REASON)
    assert b"iagttagelse" not in raw("coordination_noterevision", "body", "id", stored.pk)
    changes = repr(list(LogEntry.objects.values_list("changes", "changes_text")))
    assert "iagttagelse" not in changes and "sygdom" not in changes


def test_only_the_author_corrects_a_note(world):
    # The coordinator is in the school too and sees the note: 403, not 404.
    with pytest.raises(PermissionDenied):
        note_correct(
            actor=world.coordinator, note_id=world.agency_note.pk, body="Andet", reason=REASON
        )
    with pytest.raises(Http404):
        note_correct(actor=world.outsider, note_id=world.agency_note.pk, body="x", reason=REASON)
    with pytest.raises(ValidationError):
        note_correct(
            actor=world.school_member,
            note_id=world.agency_note.pk,
            body=AGENCY_NOTE_TEXT,
            reason=REASON,
        )
    assert not NoteRevision.objects.exists()
