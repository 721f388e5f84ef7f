"""Create (or bring up to date) the database role web, worker and beat connect as.

    manage.py grant_app_role tvaers_app --password-env APP_DATABASE_PASSWORD

Run by the table owner (the role that migrates) after every ``migrate``, so new tables are
covered; it is idempotent. The application role gets:

- SELECT, INSERT on the append-only audit tables (every table guarded by the
  ``tvaers_audit_append_only`` trigger, plus ``audit_pseudonymalias`` and django-auditlog's
  ``auditlog_logentry``): it can add audit rows and read them, never change, delete or
  truncate them, and, owning nothing, never disable the triggers;
- SELECT, INSERT, UPDATE on ``audit_chainhead`` (appends lock and advance the head);
- UPDATE of only ``seq``, ``prev_hash`` and ``row_hash`` on ``audit_accessevent``: the
  sequencer chains the reads written pending, and the trigger lets nothing else change;
- SELECT, INSERT, UPDATE, DELETE on every other table; USAGE, SELECT on the sequences;
- by default privilege, only SELECT, INSERT on tables the owner creates later, until this
  command runs again: a new table is never writable by accident.

The password is read from the environment variable named by ``--password-env`` (never from the
command line) and sent to PostgreSQL only as a SCRAM-SHA-256 verifier, so it appears in no
statement log. See docs/decisions/0014-tamper-evidence-beyond-the-app.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

# Audit records without an append-only trigger: append-only through privileges alone.
APPEND_ONLY_BY_PRIVILEGE = ("audit_pseudonymalias", "auditlog_logentry")
CHAIN_HEAD = "audit_chainhead"
SEQUENCED = "audit_accessevent"  # pending rows get their chain position (audit.services)
FORGET_FUNCTION = "tvaers_changelog_forget(integer, text[])"
PRUNE_FUNCTIONS = ("tvaers_audit_prune(text, bigint)", "tvaers_changelog_prune(timestamptz)")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def append_only_tables(cursor: Any) -> set[str]:
    """Tables in the current schema guarded by the append-only trigger (audit migrations)."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE p.proname = 'tvaers_audit_append_only' "
        "AND c.relnamespace = current_schema()::regnamespace"
    )
    return {row[0] for row in cursor.fetchall()} | set(APPEND_ONLY_BY_PRIVILEGE)


class Command(BaseCommand):
    help = "Create or update the application's database role (INSERT, SELECT on audit tables)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="Name of the application role, e.g. tvaers_app.")
        parser.add_argument(
            "--password-env",
            default="APP_DATABASE_PASSWORD",
            help="Environment variable holding the role's password (default: %(default)s). "
            "Unset: the password is left as it is.",
        )

    def handle(self, *args: Any, role: str, password_env: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role needs PostgreSQL.")
        if not ROLE_NAME.match(role):
            raise CommandError("The role name must be lower-case letters, digits and _.")
        password = os.environ.get(password_env, "")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database, schema = cursor.fetchone()
            if role == owner:
                raise CommandError("Run this as the owner of the tables, not as the role itself.")
            self._ensure_role(cursor, role, owner, password)
            self._grant(cursor, role, database, schema)
        self.stdout.write(f"Role {role} may read and append audit rows, never change them.")

    def _ensure_role(self, cursor: Any, role: str, owner: str, password: str) -> None:
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOREPLICATION NOBYPASSRLS"
            )
        elif row[0]:
            raise CommandError(
                f"Role {role} has superuser, createrole, createdb, bypassrls or replication "
                "rights; the application role must have none."
            )
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        if cursor.fetchone()[0]:
            raise CommandError(f"Role {role} is a member of {owner}, the tables' owner.")
        if password:
            # A literal, not a parameter: utility statements take no bind parameters. The
            # verifier is base64 and $ : only, so it needs no escaping beyond the quotes.
            cursor.execute(f"ALTER ROLE {quote(role)} LOGIN PASSWORD '{scram_verifier(password)}'")

    def _grant(self, cursor: Any, role: str, database: str, schema: str) -> None:
        who, where = quote(role), quote(schema)
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') "
            "AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname"
        )
        tables = [row[0] for row in cursor.fetchall()]
        append_only = append_only_tables(cursor)
        statements = [
            f"GRANT CONNECT ON DATABASE {quote(database)} TO {who}",
            f"GRANT USAGE ON SCHEMA {where} TO {who}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
            f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {where} TO {who}",
            *(
                f"GRANT UPDATE, DELETE ON {where}.{quote(table)} TO {who}"
                for table in tables
                if table not in append_only and table != CHAIN_HEAD
            ),
            *(
                [f"GRANT UPDATE ON {where}.{quote(CHAIN_HEAD)} TO {who}"]
                if CHAIN_HEAD in tables
                else []
            ),
            *(
                [f"GRANT UPDATE (seq, prev_hash, row_hash) ON {where}.{quote(SEQUENCED)} TO {who}"]
                if SEQUENCED in tables
                else []
            ),
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT, INSERT ON TABLES TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
            # The sanctioned pruning path (audit/0009, docs/audit-retention.md): the role may
            # call the owner's functions, which prune only what has expired behind a signed
            # cut; the period they enforce is pinned from the settings on every run.
            # Retention's deletion of the change log of deleted objects (core 0004).
            f"GRANT EXECUTE ON FUNCTION {where}.{FORGET_FUNCTION} TO {who}",
            *(
                statement
                for function in PRUNE_FUNCTIONS
                for statement in (
                    f"GRANT EXECUTE ON FUNCTION {where}.{function} TO {who}",
                    f"ALTER FUNCTION {where}.{function} SET tvaers.audit_retention_days = "
                    f"'{int(settings.AUDIT_ACCESS_RETENTION_DAYS)}'",
                )
            ),
        ]
        for statement in statements:
            cursor.execute(statement)
