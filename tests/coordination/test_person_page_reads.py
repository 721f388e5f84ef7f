"""The person page reads its notes and concerns by the ids of the case files it already holds
(issue 12): the permission filter still decides, whatever case files a caller passes, and the
case file objects handed back are the ones given (no second read)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coordination.selectors import notes_on_case_files
from persons.models import CaseFile
from persons.selectors import concerns_on_case_files
from tests.world import AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT

pytestmark = pytest.mark.django_db


def _case_files(*pks: int) -> list[CaseFile]:
    return list(CaseFile.objects.select_related("forum", "data_key", "person").filter(pk__in=pks))


def test_notes_keep_the_agency_rule_and_get_the_given_case_file(world):
    case_files = _case_files(world.case_file.pk)
    mine = notes_on_case_files(user=world.school_member, case_files=case_files)
    police = notes_on_case_files(user=world.police_member, case_files=case_files)
    assert {note.pk for note in mine} == {world.agency_note.pk, world.forum_note.pk}
    # The school's agency-only note stays with the school.
    assert [note.pk for note in police] == [world.forum_note.pk]
    with CaptureQueriesContext(connection) as context:
        bodies = {note.body for note in mine}
        forums = {note.case_file.forum.name for note in mine}
    assert bodies == {AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT}
    assert forums == {world.forum.name}
    assert all(note.case_file is case_files[0] for note in mine)
    assert len(context.captured_queries) == 0  # key, case file and forum came with the page


def test_a_case_file_the_user_may_not_see_yields_nothing(world):
    """An insider's first try: hand the selectors another forum's case file."""
    foreign = _case_files(world.other_case_file.pk)
    assert notes_on_case_files(user=world.school_member, case_files=foreign) == []
    assert concerns_on_case_files(user=world.school_member, case_files=foreign) == []
    closed_to_former = _case_files(world.case_file.pk)
    assert notes_on_case_files(user=world.expired_member, case_files=closed_to_former) == []
    assert concerns_on_case_files(user=world.expired_member, case_files=closed_to_former) == []
    assert notes_on_case_files(user=world.dpo, case_files=closed_to_former) == []


def test_concerns_come_with_the_given_case_file(world):
    case_files = _case_files(world.case_file.pk)
    concerns = concerns_on_case_files(user=world.chair, case_files=case_files)
    assert [concern.pk for concern in concerns] == [world.concern.pk]
    assert concerns[0].case_file is case_files[0]


def test_no_case_files_no_query(world):
    with CaptureQueriesContext(connection) as context:
        assert notes_on_case_files(user=world.school_member, case_files=[]) == []
        assert concerns_on_case_files(user=world.school_member, case_files=[]) == []
    assert len(context.captured_queries) == 0
