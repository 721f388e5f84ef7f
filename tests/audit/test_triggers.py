"""The audit tables are append-only in the database itself: UPDATE, DELETE and TRUNCATE are
refused whether they come through the ORM or raw SQL, and the guards are ENABLE ALWAYS so a
replication-role session does not skip them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from audit.models import AccessEvent, AccessEventSubject, Checkpoint, Disclosure
from audit.services import access_record, checkpoint_record
from audit.verify import verify_all

APPEND_ONLY = [
    "audit_accountevent",
    "audit_accessevent",
    "audit_accesseventsubject",
    "audit_disclosure",
    "audit_checkpoint",
]


def refused(operation: str):
    """The database refuses the statement; the savepoint keeps the test's transaction usable.
    The trigger raises SQLSTATE 42501 (insufficient_privilege), which Django surfaces as
    ProgrammingError."""
    return pytest.raises(ProgrammingError, match=rf"append-only: {operation} refused")


def snapshot() -> list[tuple[str, list[tuple[Any, ...]]]]:
    with connection.cursor() as cursor:
        state = []
        for table in APPEND_ONLY:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - fixed names
            state.append((table, cursor.fetchall()))
    return state


@pytest.fixture
def audit_rows(world):
    """A search event without subjects (deletable as far as the ORM's PROTECT goes), a person
    read with a subject row, the world's disclosure and a checkpoint."""
    bare = access_record(actor=world.coordinator, action="search", search_criterion="q=ABC")
    read = access_record(actor=world.school_member, action="view_person", objects=[world.person])
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None
    assert read.subjects.count() == 1
    assert not bare.subjects.exists()
    with connection.cursor() as cursor:
        # Run the deferred foreign-key checks of these inserts now: PostgreSQL refuses TRUNCATE
        # and ALTER TABLE on a table with pending trigger events, which would mask the guard.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    before = snapshot()
    assert all(rows for _, rows in before)
    yield {
        "bare": bare,
        "read": read,
        "disclosure": Disclosure.objects.order_by("seq").first(),
        "checkpoint": checkpoint,
        "subject": read.subjects.get(),
    }
    assert snapshot() == before  # nothing changed, whatever was tried
    assert verify_all().ok


# --- through the ORM -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AccessEvent, Disclosure, Checkpoint, AccessEventSubject])
def test_queryset_update_is_refused(audit_rows, model):
    column = "pseudonym" if model is AccessEventSubject else "chain"
    if model in (AccessEvent, Disclosure):
        column = "prev_hash"
    with refused("UPDATE"), transaction.atomic():
        model.objects.all().update(**{column: "f" * 32})


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["bare", "disclosure", "checkpoint", "subject"])
def test_queryset_delete_is_refused(audit_rows, key):
    row = audit_rows[key]
    with refused("DELETE"), transaction.atomic():
        type(row).objects.filter(pk=row.pk).delete()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["bare", "disclosure", "checkpoint", "subject"])
def test_instance_delete_is_refused(audit_rows, key):
    row = audit_rows[key]
    with refused("DELETE"), transaction.atomic():
        row.delete()


@pytest.mark.django_db
def test_instance_save_of_existing_access_event_is_refused(audit_rows):
    event = AccessEvent.objects.get(pk=audit_rows["read"].pk)
    event.reason = "added later"
    with refused("UPDATE"), transaction.atomic():
        event.save()


@pytest.mark.django_db
def test_instance_save_of_existing_disclosure_is_refused(audit_rows):
    disclosure = Disclosure.objects.get(pk=audit_rows["disclosure"].pk)
    disclosure.necessity = "Noget andet"
    with refused("UPDATE"), transaction.atomic():
        disclosure.save(update_fields=["necessity"])


@pytest.mark.django_db
def test_instance_save_of_existing_checkpoint_is_refused(audit_rows):
    checkpoint = Checkpoint.objects.get(pk=audit_rows["checkpoint"].pk)
    checkpoint.seq += 1
    with refused("UPDATE"), transaction.atomic():
        checkpoint.save()


@pytest.mark.django_db
def test_new_rows_can_still_be_appended(world):
    """The guard is about change: INSERT goes on working."""
    count = AccessEvent.objects.count()
    access_record(actor=world.coordinator, action="search", search_criterion="q=DEF")
    access_record(actor=world.school_member, action="view_person", objects=[world.person])
    assert checkpoint_record("access_event") is not None
    assert AccessEvent.objects.count() == count + 2
    assert verify_all().ok


# --- raw SQL -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_raw_update_is_refused(audit_rows, table):
    with refused("UPDATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id")  # noqa: S608 - fixed names


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_raw_delete_is_refused(audit_rows, table):
    with refused("DELETE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_raw_truncate_is_refused(audit_rows, table):
    with refused("TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.django_db
def test_truncate_of_a_referencing_table_does_not_cascade_into_the_trail(audit_rows):
    """TRUNCATE ... CASCADE from the users table would reach the audit tables: refused too."""
    with refused("TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user CASCADE")


# --- the guards themselves -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_guards_are_enable_always(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
            [table],
        )
        triggers = dict(cursor.fetchall())
    assert triggers == {f"{table}_no_change": "A", f"{table}_no_truncate": "A"}


@pytest.mark.django_db
def test_replica_role_does_not_bypass_the_guard(audit_rows):
    event = audit_rows["read"]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            with refused("UPDATE"), transaction.atomic():
                cursor.execute(
                    "UPDATE audit_accessevent SET reason = 'replica' WHERE id = %s", [event.pk]
                )
            with refused("DELETE"), transaction.atomic():
                cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [event.pk])
            with refused("TRUNCATE"), transaction.atomic():
                cursor.execute("TRUNCATE audit_accessevent CASCADE")
            # The premise: in this session the replica role does skip an ordinary trigger.
            with transaction.atomic():
                cursor.execute(
                    "ALTER TABLE audit_accessevent ENABLE TRIGGER audit_accessevent_no_change"
                )
                cursor.execute(
                    "UPDATE audit_accessevent SET reason = 'replica' WHERE id = %s", [event.pk]
                )
                assert cursor.rowcount == 1
                transaction.set_rollback(True)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    assert AccessEvent.objects.get(pk=event.pk).reason == ""
    test_guards_are_enable_always("audit_accessevent")
