"""The application's database role (``manage.py grant_app_role``, run after every migrate by
docker-compose) can append and read audit rows but, connected as itself, can neither change,
delete nor truncate them, nor switch their triggers off. The application works under it.
Spot checks are append-only like the rest of the audit."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse

from audit.management.commands.grant_app_role import scram_verifier
from audit.models import AccessEvent, SpotCheck
from audit.services import access_record
from persons.models import CaseFile

ROOT = Path(__file__).resolve().parents[2]
AUDIT_TABLES = [
    "audit_accessevent",
    "audit_accesseventsubject",
    "audit_disclosure",
    "audit_checkpoint",
    "audit_accountevent",
    "audit_spotcheck",
    "audit_pseudonymalias",
    "auditlog_logentry",
]
PASSWORD = "app-role-password-for-tests-" + secrets.token_hex(4)


@pytest.fixture
def app_role(transactional_db, monkeypatch) -> Iterator[str]:
    """A fresh application role in the test database (committed, so it can connect)."""
    role = f"tvaers_app_test_{secrets.token_hex(3)}"
    monkeypatch.setenv("APP_DATABASE_PASSWORD", PASSWORD)
    call_command("grant_app_role", role, stdout=open(os.devnull, "w"))  # noqa: SIM115
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def connect_as(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        password=PASSWORD,
        autocommit=True,
    )


def refused(db: psycopg.Connection, statement: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        db.execute(statement)
    return str(error.value)


def test_the_role_appends_and_reads_but_cannot_change_or_disarm_the_audit(app_role, world):
    event = access_record(actor=world.coordinator, action="search", search_criterion="q=A")
    with connect_as(app_role) as db:
        assert db.execute("SELECT current_user").fetchone() == (app_role,)
        db.execute(
            "INSERT INTO audit_checkpoint (chain, seq, row_hash, created_at, public_key, "
            "signature) VALUES ('test', 1, %s, now(), '', '')",
            ["0" * 64],
        )
        assert db.execute("SELECT count(*) FROM audit_checkpoint").fetchone() == (1,)
        seen = db.execute("SELECT count(*) FROM audit_accessevent").fetchone()
        assert seen == (AccessEvent.objects.count(),)

        for table in AUDIT_TABLES:
            # Refused for want of privilege, before any trigger runs.
            assert "permission denied" in refused(db, f"UPDATE {table} SET id = id")  # noqa: S608
            assert "permission denied" in refused(db, f"DELETE FROM {table}")  # noqa: S608
            assert "permission denied" in refused(db, f"TRUNCATE {table}")
            assert "must be owner" in refused(db, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "must be owner" in refused(
            db, "ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_no_change"
        )
        assert "must be owner" in refused(
            db, "DROP TRIGGER audit_accessevent_no_change ON audit_accessevent"
        )
        assert "must be owner" in refused(db, "DROP FUNCTION tvaers_audit_append_only()")

        privileges = db.execute(
            "SELECT has_table_privilege('audit_chainhead', 'UPDATE'), "
            "has_table_privilege('audit_chainhead', 'DELETE'), "
            "has_table_privilege('core_notification', 'UPDATE'), "
            "has_table_privilege('core_notification', 'DELETE'), "
            "has_table_privilege('audit_accessevent', 'UPDATE')"
        ).fetchone()
        assert privileges == (True, False, True, True, False)
    assert AccessEvent.objects.get(pk=event.pk).search_criterion == "q=A"


def test_the_application_runs_as_the_role(app_role, child_env):
    """Appending (which locks and advances the chain head), signing and verifying work under
    the application role's privileges."""
    url = urlsplit(child_env["DATABASE_URL"])
    netloc = f"{app_role}:{PASSWORD}@{url.hostname}:{url.port}"
    script = (
        "from django.contrib.auth.models import AnonymousUser\n"
        "from audit.services import access_record, checkpoint_record\n"
        "from audit.verify import verify_all\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT current_user'); print(c.fetchone()[0])\n"
        "for _ in range(2):\n"
        "    access_record(actor=AnonymousUser(), action='search', search_criterion='q=B')\n"
        "assert checkpoint_record('access_event') is not None\n"
        "result = verify_all()\n"
        "print(result.ok, result.checked, result.problem)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**child_env, "DATABASE_URL": urlunsplit(url._replace(netloc=netloc))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert app_role in lines
    assert lines[-1] == "True 2"


def test_granting_is_idempotent_and_new_tables_start_append_only(app_role, monkeypatch):
    monkeypatch.delenv("APP_DATABASE_PASSWORD")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_domain_table (id bigserial PRIMARY KEY, v int)")
    try:
        with connect_as(app_role) as db:  # the password was left as it was
            db.execute("INSERT INTO later_domain_table (v) VALUES (1)")
            refused(db, "UPDATE later_domain_table SET v = 2")

        call_command("grant_app_role", app_role, stdout=open(os.devnull, "w"))  # noqa: SIM115

        with connect_as(app_role) as db:
            db.execute("UPDATE later_domain_table SET v = 2")
            db.execute("DELETE FROM later_domain_table")
            refused(db, "UPDATE audit_accessevent SET id = id")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_domain_table")


def test_the_password_reaches_postgresql_only_as_a_scram_verifier(app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [app_role])
        stored = cursor.fetchone()[0]

    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert PASSWORD not in stored
    assert scram_verifier(PASSWORD) != scram_verifier(PASSWORD)  # salted


@pytest.mark.django_db
def test_the_owner_a_powerful_role_and_odd_names_are_refused():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute("CREATE ROLE tvaers_too_powerful SUPERUSER")  # rolled back with the test
    with pytest.raises(CommandError, match="owner"):
        call_command("grant_app_role", owner)
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", "tvaers_too_powerful")
    with pytest.raises(CommandError, match="lower-case"):
        call_command("grant_app_role", 'x"; DROP TABLE audit_accessevent; --')


# --- spot checks are append-only ------------------------------------------------------------


@pytest.fixture
def spot_check(world):
    event = access_record(actor=world.school_member, action="view_person", objects=[world.person])
    return SpotCheck.objects.create(access_event=event, reviewer=world.dpo, finding="ok")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE audit_spotcheck SET finding = 'follow_up'", "UPDATE"),
        ("DELETE FROM audit_spotcheck", "DELETE"),
        ("TRUNCATE audit_spotcheck", "TRUNCATE"),
    ],
)
def test_spot_checks_cannot_be_changed_even_by_the_owner(spot_check, statement, operation):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending FK checks would block TRUNCATE
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    with (
        pytest.raises(ProgrammingError, match=f"append-only: {operation} refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert SpotCheck.objects.get().finding == "ok"


@pytest.mark.django_db
def test_a_second_review_changes_nothing(spot_check, world, client):
    client.force_login(world.dpo)

    response = client.post(
        reverse("audit:spot-check-review", args=[spot_check.access_event_id]),
        {"finding": "follow_up", "comment": "later"},
    )

    assert response.status_code == 302
    assert SpotCheck.objects.get().finding == "ok"


def test_the_role_forgets_the_change_log_only_of_objects_that_are_gone(app_role, world):
    """Retention deletes a deleted person's change-log rows through the owner's function; the
    role cannot delete them itself, nor use the function on data that still exists."""
    content_type = ContentType.objects.get_for_model(CaseFile).pk
    alive = str(world.case_file.pk)
    with connect_as(app_role) as db:
        refused(db, "DELETE FROM auditlog_logentry")
        message = refused(
            db, f"SELECT tvaers_changelog_forget({content_type}, ARRAY['{alive}', '987654321'])"
        )
        assert "still exists" in message
        gone = db.execute(
            f"SELECT tvaers_changelog_forget({content_type}, ARRAY['987654321'])"
        ).fetchone()
        assert gone == (0,)
