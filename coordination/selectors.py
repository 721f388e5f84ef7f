"""Reads of notes, always through core.permissions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordination.models import Note
from core.permissions import AnyUser, get_object_for, visible_to
from persons.models import CaseFile, FocusPerson


def notes_base() -> QuerySet[Note, Any]:
    """Notes with what reading them needs (case file key, person, author): hand to visible_to."""
    return Note.objects.select_related("case_file__data_key", "case_file__person", "author")


def notes_of_person(*, user: AnyUser, person: FocusPerson) -> list[Note]:
    return list(
        visible_to(user, Note.objects.filter(case_file__person=person))
        .select_related(
            "case_file__data_key", "case_file__person", "case_file__forum", "author", "agency"
        )
        .order_by("-created_at")
    )


def note_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> Note:
    notes: QuerySet[Note, Any] = Note.objects.select_related(
        "case_file__data_key", "case_file__person", "case_file__forum", "agency"
    )
    return get_object_for(user, notes, pk, action)


def casefile_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> CaseFile:
    return get_object_for(
        user, CaseFile.objects.select_related("forum", "person", "data_key"), pk, action
    )
