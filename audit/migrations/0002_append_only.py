"""Append-only audit tables, enforced by the database itself.

Plain SQL triggers (not a library's, whose ignore switches any session could flip) refuse
UPDATE, DELETE and TRUNCATE on the audit tables, and are set ENABLE ALWAYS so that even
``session_replication_role = replica`` does not skip them. Only the tables' owner can disable
them; the application's role needs nothing but INSERT and SELECT on these tables (README).
"""

from django.db import migrations

APPEND_ONLY = [
    "audit_accessevent",
    "audit_accesseventsubject",
    "audit_disclosure",
    "audit_checkpoint",
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tvaers_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def pg_statements(table):
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION tvaers_audit_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION tvaers_audit_append_only()",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
    ]


def sqlite_statements(table):
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit table {table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in APPEND_ONLY:
                for statement in pg_statements(table):
                    cursor.execute(statement)

        elif vendor == "sqlite":
            for table in APPEND_ONLY:
                for statement in sqlite_statements(table):
                    cursor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in APPEND_ONLY:
            if vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            elif vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        if vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS tvaers_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
