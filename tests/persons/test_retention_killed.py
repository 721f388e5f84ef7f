"""A retention sweep killed midway leaves every person whole or gone, and the next run finishes.

Real processes, as in tests/coordination/test_worker_killed.py: worker A takes the sweep
(``persons.tasks.apply_retention``) and is killed with SIGKILL after it deleted some persons;
each person is deleted in one transaction, so PostgreSQL rolls back the one in progress. Every
seeded person is then either entirely gone (rows, data keys, with a tombstone and a DELETE_DATA
event) or entirely whole (rows present and readable, keys unwrap, no tombstone). The message
was not acknowledged (acks_late), so Redis hands it to worker B after the visibility timeout,
and B's run deletes the rest.
"""

from __future__ import annotations

import datetime
import os
import signal
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AccessEvent
from audit.verify import verify_all
from coordination.models import Note
from coordination.services import note_create
from core.crypto import KEY_BYTES
from core.models import DataKey
from persons.models import CaseFile, Concern, DeletedCaseFile, FocusPerson, Identity
from persons.services import IdentityInput, concern_register
from persons.tasks import apply_retention
from tests.workers import start_worker, wait_for
from tests.world import NECESSITY, OTHER_NAME, PERSON_NAME, World

QUEUE = "killtest-retention"  # apart from the session worker's queue and the reminder test's
PERSONS = 200
BIRTH_DATE = datetime.date(2012, 3, 1)


@dataclass(frozen=True)
class Seeded:
    person_id: int
    name: str
    case_file_id: int
    concern_id: int
    concern_text: str
    note_id: int
    note_text: str
    data_key_ids: tuple[UUID, UUID]  # the person's and the case file's


def seed(world: World) -> list[Seeded]:
    seeded = []
    for n in range(PERSONS):
        name, concern_text, note_text = (
            f"Testperson Nummer{n}",
            f"Bekymring nummer {n} om fravær",
            f"Notat nummer {n} om skolen",
        )
        result = concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name=name, birth_date=BIRTH_DATE),
            categories=["vold"],
            description=concern_text,
            source_agency=world.school,
            necessity=NECESSITY,
        )
        case_file = result.concern.case_file
        note = note_create(actor=world.school_member, case_file=case_file, body=note_text)
        seeded.append(
            Seeded(
                person_id=result.person.pk,
                name=name,
                case_file_id=case_file.pk,
                concern_id=result.concern.pk,
                concern_text=concern_text,
                note_id=note.pk,
                note_text=note_text,
                data_key_ids=(result.person.data_key_id, case_file.data_key_id),
            )
        )
    return seeded


def delete_events_per_person() -> Counter[int]:
    events = AccessEvent.objects.filter(action=AccessEvent.Action.DELETE_DATA)
    return Counter(pid for ids in events.values_list("person_ids", flat=True) for pid in ids)


def is_gone(s: Seeded, events: Counter[int]) -> list[str]:
    """What is wrong with ``s`` as a deleted person (empty: wholly gone)."""
    problems = []
    if FocusPerson.objects.filter(pk=s.person_id).exists():
        problems.append("person row")
    if Identity.objects.filter(person_id=s.person_id).exists():
        problems.append("identity row")
    if CaseFile.objects.filter(pk=s.case_file_id).exists():
        problems.append("case file row")
    if Concern.objects.filter(case_file_id=s.case_file_id).exists():
        problems.append("concern rows")
    if Note.objects.filter(case_file_id=s.case_file_id).exists():
        problems.append("note rows")
    if DataKey.objects.filter(pk__in=s.data_key_ids).exists():
        problems.append("data key rows")
    tombstones = list(DeletedCaseFile.objects.filter(case_file_id=s.case_file_id))
    if len(tombstones) != 1 or not tombstones[0].person_deleted:
        problems.append(f"tombstones {[(t.pk, t.person_deleted) for t in tombstones]}")
    elif tombstones[0].person_id != s.person_id:
        problems.append("tombstone of another person")
    if events[s.person_id] != 1:
        problems.append(f"{events[s.person_id]} DELETE_DATA events")
    return problems


def is_whole(s: Seeded, events: Counter[int]) -> list[str]:
    """What is wrong with ``s`` as an untouched person (empty: wholly there)."""
    person = FocusPerson.objects.filter(pk=s.person_id).select_related("identity").first()
    if person is None:
        return ["person row"]
    problems = []
    if Identity.objects.filter(person_id=s.person_id).count() != 1:
        problems.append("identity row")
    elif person.identity.name != s.name:
        problems.append("identity does not decrypt to the name")
    case_file = CaseFile.objects.filter(pk=s.case_file_id, person_id=s.person_id).first()
    if case_file is None:
        problems.append("case file row")
    else:
        concerns = list(Concern.objects.filter(case_file=case_file))
        if [(c.pk, c.description) for c in concerns] != [(s.concern_id, s.concern_text)]:
            problems.append("concern")
        notes = list(Note.objects.filter(case_file=case_file))
        if [(n.pk, n.body) for n in notes] != [(s.note_id, s.note_text)]:
            problems.append("note")
    keys = {key.pk: key for key in DataKey.objects.filter(pk__in=s.data_key_ids)}
    for key_id in s.data_key_ids:
        key = keys.get(key_id)
        if key is None or key.wrapped is None or key.destroyed_at is not None:
            problems.append(f"data key {key_id} gone or destroyed")
        elif len(key.plaintext_key()) != KEY_BYTES:  # fresh from the database: really unwraps
            problems.append(f"data key {key_id} does not unwrap")
    if DeletedCaseFile.objects.filter(case_file_id=s.case_file_id).exists():
        problems.append("tombstone")
    if DeletedCaseFile.objects.filter(person_id=s.person_id).exists():
        problems.append("tombstone naming the person")
    if events[s.person_id]:
        problems.append(f"{events[s.person_id]} DELETE_DATA events")
    return problems


def other_backends() -> int:
    """Sessions on the test database other than this process's (a killed worker's backend
    holds its locks until PostgreSQL notices the closed connection and rolls back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_killed_retention_sweep_leaves_every_person_whole_or_gone(world, child_env):
    seeded = seed(world)
    ids = [s.case_file_id for s in seeded]
    long_ago = timezone.now() - datetime.timedelta(days=400)
    assert CaseFile.objects.filter(pk__in=ids).update(last_activity_at=long_ago) == PERSONS

    def deleted() -> int:
        return DeletedCaseFile.objects.count()

    worker_a = start_worker(child_env, "retention-killed", QUEUE)
    worker_b = None
    try:
        apply_retention.apply_async(queue=QUEUE)
        assert wait_for(lambda: deleted() >= 1, 60), "worker A never started the sweep"
        os.kill(worker_a.pid, signal.SIGKILL)
        worker_a.wait(timeout=10)
        deleted_when_killed = deleted()
        assert deleted_when_killed < PERSONS, (
            f"the sweep deleted all {PERSONS} persons before the kill; nothing was tested "
            "(raise PERSONS)"
        )
        assert wait_for(lambda: other_backends() == 0, 30), (
            "the killed worker's database session did not end"
        )

        # After the kill: each person whole or gone, nothing in between.
        events = delete_events_per_person()
        gone, whole, broken = [], [], []
        for s in seeded:
            gone_problems = is_gone(s, events)
            whole_problems = is_whole(s, events) if gone_problems else ["gone"]
            if not gone_problems:
                gone.append(s)
            elif not whole_problems:
                whole.append(s)
            else:
                broken.append((s.person_id, gone_problems, whole_problems))
        assert not broken, f"persons neither whole nor gone after the kill: {broken[:5]}"
        assert gone, "no person was deleted before the kill"
        assert whole, "no person was left whole by the kill"
        assert len(gone) == deleted() == sum(events.values())
        assert verify_all().ok

        # The next run: the unacknowledged message goes to worker B, which deletes the rest.
        worker_b = start_worker(child_env, "retention-survivor", QUEUE)
        assert wait_for(lambda: deleted() == PERSONS, 120), (
            f"only {deleted()} of {PERSONS} case files deleted after the redelivery"
        )
    finally:
        for process in (worker_a, worker_b):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

    events = delete_events_per_person()
    unfinished = [(s.person_id, p) for s in seeded if (p := is_gone(s, events))]
    assert not unfinished, f"persons not wholly gone after the second run: {unfinished[:5]}"
    assert DeletedCaseFile.objects.count() == PERSONS
    assert set(DeletedCaseFile.objects.values_list("case_file_id", flat=True)) == set(ids)
    assert AccessEvent.objects.filter(action=AccessEvent.Action.DELETE_DATA).count() == PERSONS
    assert verify_all().ok
    # The world's own persons were not due and are untouched.
    assert FocusPerson.objects.get(pk=world.person.pk).identity.name == PERSON_NAME
    assert FocusPerson.objects.get(pk=world.other_person.pk).identity.name == OTHER_NAME
