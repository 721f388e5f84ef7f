"""Access events written without their place in the chain (issue 12).

Reads append their events on the request path with ``seq`` NULL and no hashes; one sequencer
(audit.services.sequence_pending) gives them seq, previous hash and hash shortly after. The
append-only trigger now lets exactly that change through on ``audit_accessevent``: from a
pending row (seq NULL, hashes empty) to a chained one no further than the chain's head, with
every other column unchanged.
Any other UPDATE, and every DELETE outside ``tvaers_audit_prune``, stays refused.

PostgreSQL compares the rows as JSON minus the three chain columns, so a column added later is
covered without touching the trigger. SQLite (``make run``) lists the columns as they are now;
altering ``seq`` rebuilds its table, which drops the triggers, so they are created again.
"""

from django.db import migrations, models

ALLOW_SEQUENCING = """
CREATE OR REPLACE FUNCTION tvaers_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Only tvaers_audit_prune() sets the flag, and only there is current_user the owner
    -- (SECURITY DEFINER); a session of the application role setting it itself is refused.
    IF TG_OP = 'DELETE'
       AND current_setting('tvaers.pruning', true) = 'on'
       AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        RETURN OLD;
    END IF;
    -- The sequencer chaining a pending access event: seq and hashes set once, nothing else.
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_accessevent' THEN
        IF OLD.seq IS NULL AND OLD.prev_hash = '' AND OLD.row_hash = ''
           AND NEW.seq IS NOT NULL AND length(NEW.prev_hash) = 64
           AND length(NEW.row_hash) = 64
           -- Never past the head: the sequencer advances the head first, so a row placed
           -- beyond it (out of verification's sight, or jamming the next seq) is refused.
           AND NEW.seq <= (SELECT h.seq FROM audit_chainhead h WHERE h.chain = 'access_event')
           AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'row_hash')
               = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'row_hash')
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# As 0009 left it, for the way back.
ALLOW_PRUNING = """
CREATE OR REPLACE FUNCTION tvaers_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('tvaers.pruning', true) = 'on'
       AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TABLE = "audit_accessevent"
CHAIN_COLUMNS = {"seq", "prev_hash", "row_hash"}


def sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    model = apps.get_model("audit", "AccessEvent")
    unchanged = " AND ".join(
        f'NEW."{field.column}" IS OLD."{field.column}"'
        for field in model._meta.concrete_fields
        if field.column not in CHAIN_COLUMNS
    )
    refuse = f"BEGIN SELECT RAISE(ABORT, 'audit table {TABLE} is append-only: %s refused'); END"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        # Column names from the model, no input.
        allowed = (
            "OLD.seq IS NULL AND OLD.prev_hash = '' AND OLD.row_hash = '' "  # noqa: S608
            "AND NEW.seq IS NOT NULL AND length(NEW.prev_hash) = 64 "
            "AND length(NEW.row_hash) = 64 AND NEW.seq <= "
            "(SELECT h.seq FROM audit_chainhead h WHERE h.chain = 'access_event') "
            f"AND {unchanged}"
        )
        cursor.execute(  # names from the model, no input
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} WHEN NOT ({allowed}) "
            + refuse % "UPDATE"
        )
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            + refuse % "DELETE"
        )


def sqlite_strict_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        for op in ("UPDATE", "DELETE"):
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'audit table {TABLE} is append-only: {op} refused'); "
                "END"
            )


def chain_pending(apps, schema_editor):
    """On the way back, seq becomes NOT NULL again: chain what is pending first (while the
    trigger still lets the sequencer through), with the sequencer itself, so the hashes are
    the ones verification recomputes."""
    from audit.services import sequence_all

    sequence_all()


def pg_install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(ALLOW_SEQUENCING)


def pg_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(ALLOW_PRUNING)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0011_scrub_reasons_from_changelog"),
    ]

    operations = [
        # Reversed last: the strict SQLite triggers back after the way back rebuilt the table.
        migrations.RunPython(migrations.RunPython.noop, sqlite_strict_triggers),
        migrations.AlterField(
            model_name="accessevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="access_pending_idx"
            ),
        ),
        migrations.RunPython(sqlite_triggers, sqlite_strict_triggers),
        migrations.RunPython(pg_install, pg_remove),
        # Reversed first: no pending row may be left when seq turns NOT NULL again.
        migrations.RunPython(migrations.RunPython.noop, chain_pending),
    ]
