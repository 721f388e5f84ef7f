"""The change log (django-auditlog): every domain change is logged with its actor, and no
log row carries a person's plaintext or the ciphertext standing for it."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, cast

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.models import User
from config.celery import app
from core.tasks import SYSTEM_EMAIL, SystemActorTask, record_worker_heartbeat
from forums.models import Membership
from persons.models import CaseFile
from tests.factories import UserFactory
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    OTHER_CPR,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
)

REASON = "Nødvendigt at drøfte med navn for at koordinere skolens og politiets indsats."
# Everything tests/world.py says about the two persons, in every spelling a log could use.
PLAINTEXTS = [
    PERSON_NAME,
    *PERSON_NAME.split(),
    PERSON_CPR,
    f"{PERSON_CPR[:6]}-{PERSON_CPR[6:]}",
    "2012-03-01",  # the birth date the CPR gives
    OTHER_NAME,
    *OTHER_NAME.split(),
    OTHER_CPR,
    f"{OTHER_CPR[:6]}-{OTHER_CPR[6:]}",
    "2011-06-15",
    "Testvej 12",
    "Testvej",
    AGENCY_NOTE_TEXT,
    FORUM_NOTE_TEXT,
    CONCERN_TEXT,
    "Bekymring i det andet forum",
]
ENCRYPTED_COLUMNS = {
    "persons_identity": ["name", "cpr", "birth_date", "address"],
    "coordination_note": ["body"],
    "persons_concern": ["description"],
    "core_datakey": ["wrapped"],
}


def logentry_dump() -> str:
    """Every column of every change-log row, as stored and as Python sees it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM auditlog_logentry")
        raw = cursor.fetchall()
    decoded = list(LogEntry.objects.values())
    assert raw and len(raw) == len(decoded)
    return "\n".join(
        [
            repr(raw),
            repr(decoded),
            json.dumps(decoded, default=str, ensure_ascii=False),
            json.dumps(decoded, default=str),  # non-ASCII escaped as JSON would store it
        ]
    )


def ciphertext_spellings() -> list[str]:
    spellings = []
    with connection.cursor() as cursor:
        for table, columns in ENCRYPTED_COLUMNS.items():
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 - fixed names
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    data = bytes(value)
                    assert len(data) > 16
                    spellings += [
                        data.hex(),
                        base64.b64encode(data).decode(),
                        base64.urlsafe_b64encode(data).decode(),
                        base64.b64encode(data).decode().rstrip("="),
                    ]
    return spellings


def entries_for(obj, action=None):
    entries = LogEntry.objects.get_for_object(obj)
    if action is not None:
        entries = entries.filter(action=action)
    return entries


# --- what is logged ------------------------------------------------------------------------


@pytest.mark.django_db
def test_world_creates_are_logged(world):
    membership = Membership.objects.filter(forum=world.forum).first()
    for obj in [
        world.person,
        world.person.identity,
        world.case_file,
        world.concern,
        world.agency_note,
        world.forum_note,
        membership,
        world.forum,
        world.other_person,
        world.other_case_file,
    ]:
        assert entries_for(obj, LogEntry.Action.CREATE).count() == 1, obj


@pytest.mark.django_db
def test_world_changes_are_logged(world):
    shared = entries_for(world.forum_note, LogEntry.Action.UPDATE)
    assert any(e.changes_dict.get("visibility") == ["agency", "forum"] for e in shared)
    assert entries_for(world.case_file, LogEntry.Action.UPDATE).exists()  # activity touched
    assert (
        entries_for(world.forum, LogEntry.Action.UPDATE)
        .filter(changes__has_key="agencies")
        .exists()
    )


@pytest.mark.django_db
def test_person_entries_carry_the_person_id(world):
    for obj in [world.person, world.person.identity, world.case_file, world.concern]:
        entry = entries_for(obj, LogEntry.Action.CREATE).get()
        assert entry.additional_data["person_id"] == world.person.pk


@pytest.mark.django_db
def test_change_through_a_request_names_its_actor(world, client):
    client.force_login(world.coordinator)
    before = set(entries_for(world.case_file).values_list("pk", flat=True))

    response = client.patch(
        f"/api/v1/case-files/{world.case_file.pk}/",
        data={"mode": "named", "reason": REASON},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert CaseFile.objects.get(pk=world.case_file.pk).discussion_mode == "named"
    new = entries_for(world.case_file, LogEntry.Action.UPDATE).exclude(pk__in=before)
    entry = new.get()
    assert entry.actor == world.coordinator
    assert entry.changes_dict["discussion_mode"] == ["anonymous", "named"]
    # The reason is encrypted under the case file's key: the change log keeps no trace of it.
    assert "named_reason" not in entry.changes_dict
    assert REASON not in str(entry.changes) + entry.changes_text


@pytest.mark.django_db
def test_change_outside_a_request_has_no_actor(world):
    membership = Membership.objects.create(
        forum=world.forum, user=UserFactory.create(), valid_from=datetime.date(2026, 1, 1)
    )
    assert entries_for(membership, LogEntry.Action.CREATE).get().actor is None


# --- what is never logged ------------------------------------------------------------------


@pytest.fixture
def busy_world(world, client):
    """The world plus changes through the API: a case file named, a concern registered with
    an identity, a note written and shared, and an identity revealed."""
    client.force_login(world.coordinator)
    assert (
        client.patch(
            f"/api/v1/case-files/{world.case_file.pk}/",
            data={"mode": "named", "reason": REASON},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/persons/{world.person.pk}/reveal/",
            data={"reason": REASON},
            content_type="application/json",
        ).status_code
        == 200
    )
    client.force_login(world.school_member)
    response = client.post(
        f"/api/v1/case-files/{world.case_file.pk}/notes/",
        data={"body": AGENCY_NOTE_TEXT + " (igen)"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    response = client.post(
        f"/api/v1/notes/{response.json()['id']}/share/",
        data={"necessity": REASON},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return world


@pytest.mark.django_db
def test_no_plaintext_in_the_change_log(busy_world):
    dump = logentry_dump()
    assert "discussion_mode" in dump  # the dump does hold the logged changes
    for plaintext in PLAINTEXTS:
        assert plaintext not in dump, plaintext
        assert plaintext.lower() not in dump.lower(), plaintext


@pytest.mark.django_db
def test_no_ciphertext_or_blind_index_in_the_change_log(busy_world):
    dump = logentry_dump()
    spellings = ciphertext_spellings()
    assert len(spellings) >= 4 * 8
    for spelling in spellings:
        assert spelling not in dump
    with connection.cursor() as cursor:
        cursor.execute("SELECT cpr_index FROM persons_identity WHERE cpr_index IS NOT NULL")
        indexes = [row[0] for row in cursor.fetchall()]
    assert indexes
    for index in indexes:
        assert index not in dump


@pytest.mark.django_db
def test_identity_entries_name_no_identity_field(busy_world):
    identity_type = ContentType.objects.get(app_label="persons", model="identity")
    entries = LogEntry.objects.filter(content_type=identity_type)
    assert entries.count() >= 2
    for entry in entries:
        assert not {"name", "cpr", "birth_date", "address", "cpr_index"} & set(entry.changes_dict)
        assert entry.object_repr.startswith("Identitet for ")
        assert entry.serialized_data is None


# --- tasks act as the system user ----------------------------------------------------------


@pytest.mark.django_db
def test_system_user_exists_and_cannot_log_in():
    system = User.objects.get(email=SYSTEM_EMAIL)
    assert not system.is_active
    assert not system.has_usable_password()
    assert system.agency_id is None
    assert not system.groups.exists()


def test_system_actor_task_is_the_apps_task_base():
    assert issubclass(app.Task, SystemActorTask)
    assert isinstance(cast(Any, record_worker_heartbeat)._get_current_object(), SystemActorTask)
    app.loader.import_default_modules()
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert ours
    assert all(isinstance(task, SystemActorTask) for task in ours)


@pytest.fixture
def membership_task():
    """A task defined the ordinary way (@app.task, no base): it gets SystemActorTask."""

    @app.task(name="tests.audit.create_membership")
    def create_membership(forum_id: int, user_id: int) -> int:
        membership = Membership.objects.create(
            forum_id=forum_id, user_id=user_id, valid_from=datetime.date(2026, 1, 1)
        )
        return membership.pk

    yield create_membership
    app.tasks.pop("tests.audit.create_membership", None)


@pytest.mark.django_db
def test_task_changes_are_attributed_to_the_system_user(world, membership_task):
    assert isinstance(membership_task, SystemActorTask)
    system = User.objects.get(email=SYSTEM_EMAIL)
    newcomer = UserFactory.create()

    result = membership_task.apply(args=[world.forum.pk, newcomer.pk])

    membership = Membership.objects.get(pk=result.get())
    entry = entries_for(membership, LogEntry.Action.CREATE).get()
    assert entry.actor == system
    assert entry.actor_email == SYSTEM_EMAIL

    # The system actor ends with the task: a later change outside any task has no actor.
    later = Membership.objects.create(
        forum=world.other_forum, user=newcomer, valid_from=datetime.date(2026, 1, 1)
    )
    assert entries_for(later, LogEntry.Action.CREATE).get().actor is None


@pytest.mark.django_db
def test_task_inside_a_request_context_keeps_the_system_actor(world, membership_task):
    """A task run eagerly while a user's actor is set (e.g. from a view) still acts as the
    system user for its own changes: the innermost actor wins."""
    from auditlog.context import set_actor

    system = User.objects.get(email=SYSTEM_EMAIL)
    newcomer = UserFactory.create()
    with set_actor(world.coordinator):
        pk = membership_task.apply(args=[world.forum.pk, newcomer.pk]).get()

    entry = entries_for(Membership.objects.get(pk=pk), LogEntry.Action.CREATE).get()
    assert entry.actor == system
