"""A prunable audit chain (docs/audit-retention.md).

Expired access events and disclosures, and old change-log rows, go through one sanctioned path
only: SECURITY DEFINER functions owned by the tables' owner (the role that migrates), with the
search path pinned:

- ``tvaers_audit_prune(chain, upto_seq)`` deletes a chain's rows with ``seq <= upto_seq`` (with
  the access events' subject rows and spot checks, and the chain's checkpoints before the cut)
  only when a signed cut checkpoint (``is_cut``) stands at exactly ``upto_seq`` and names that
  row's hash, and only when every row it deletes has expired: access events older than the
  retention period; disclosures whose person is gone, deleted longer ago than that period.
  The account changes are not pruned (refused).
- ``tvaers_changelog_prune(before)`` deletes django-auditlog rows older than ``before``, which
  must itself lie the retention period back.

The period is pinned on each function (``SET tvaers.audit_retention_days``) from
AUDIT_ACCESS_RETENTION_DAYS, here and again by ``grant_app_role`` after every migrate; no caller
can change it. The append-only trigger function is replaced so that it lets a DELETE through
only inside ``tvaers_audit_prune``: the flag ``tvaers.pruning`` is on (the function sets it,
transaction-locally, and its SET clause restores it on exit) and ``current_user`` is the table's
owner (as it is inside a SECURITY DEFINER function of the owner). An application-role session
setting the flag itself is still refused; UPDATE and TRUNCATE stay refused always. EXECUTE is
revoked from PUBLIC; ``grant_app_role`` grants it to the application role.

SQLite has no functions or roles: nothing is pruned there (audit.retention skips the chains).
Adding the column makes Django rebuild ``audit_checkpoint`` on SQLite, which drops its triggers
(0008 did the same to ``audit_accessevent``), so the 0002 triggers are put back there.
"""

from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = [
    "audit_accessevent",
    "audit_accesseventsubject",
    "audit_disclosure",
    "audit_checkpoint",
    "audit_accountevent",
    "audit_spotcheck",
]

REFUSE_ALL = """
CREATE OR REPLACE FUNCTION tvaers_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

ALLOW_PRUNING = """
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
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

PRUNE = """
CREATE OR REPLACE FUNCTION tvaers_audit_prune(p_chain text, p_upto_seq bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET tvaers.pruning = 'off'
SET tvaers.audit_retention_days = '{days}'
AS $$
DECLARE
    v_before timestamptz :=
        now() - make_interval(days => current_setting('tvaers.audit_retention_days')::int);
    v_count bigint;
BEGIN
    IF p_chain NOT IN ('access_event', 'disclosure') THEN
        RAISE EXCEPTION 'audit chain % is not pruned', p_chain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- A cut checkpoint must stand at exactly this row and name its hash. (Its signature is
    -- checked by audit_verify against AUDIT_PUBLIC_KEY, outside the database.)
    IF NOT EXISTS (
        SELECT 1 FROM audit_checkpoint c
        WHERE c.chain = p_chain AND c.seq = p_upto_seq AND c.is_cut AND c.signature <> ''
          AND c.row_hash = CASE p_chain
              WHEN 'access_event' THEN
                  (SELECT e.row_hash FROM audit_accessevent e WHERE e.seq = p_upto_seq)
              ELSE (SELECT d.row_hash FROM audit_disclosure d WHERE d.seq = p_upto_seq)
          END
    ) THEN
        RAISE EXCEPTION 'no signed cut of % at seq %: prune refused', p_chain, p_upto_seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF p_chain = 'access_event' THEN
        IF EXISTS (
            SELECT 1 FROM audit_accessevent
            WHERE seq <= p_upto_seq AND occurred_at >= v_before
        ) THEN
            RAISE EXCEPTION 'access events up to seq % have not all expired: prune refused',
                p_upto_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('tvaers.pruning', 'on', true);
        DELETE FROM audit_spotcheck WHERE access_event_id IN (
            SELECT id FROM audit_accessevent WHERE seq <= p_upto_seq);
        DELETE FROM audit_accesseventsubject WHERE event_id IN (
            SELECT id FROM audit_accessevent WHERE seq <= p_upto_seq);
        DELETE FROM audit_accessevent WHERE seq <= p_upto_seq;
        GET DIAGNOSTICS v_count = ROW_COUNT;
    ELSE
        -- A disclosure lives as long as its person's data plus the period: the person is gone
        -- and their last case file was deleted longer ago than that (no tombstone: kept).
        IF EXISTS (
            SELECT 1 FROM audit_disclosure d
            WHERE d.seq <= p_upto_seq AND (
                EXISTS (SELECT 1 FROM persons_focusperson p WHERE p.id = d.person_id)
                OR coalesce(
                    (SELECT max(t.deleted_at) FROM persons_deletedcasefile t
                     WHERE t.person_id = d.person_id),
                    'infinity'::timestamptz
                ) >= v_before
            )
        ) THEN
            RAISE EXCEPTION 'disclosures up to seq % have not all expired: prune refused',
                p_upto_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('tvaers.pruning', 'on', true);
        DELETE FROM audit_disclosure WHERE seq <= p_upto_seq;
        GET DIAGNOSTICS v_count = ROW_COUNT;
    END IF;
    -- Checkpoints before the cut name rows that are gone; the cut now stands for them.
    DELETE FROM audit_checkpoint WHERE chain = p_chain AND seq < p_upto_seq;
    RETURN v_count;
END
$$;
"""

CHANGELOG_PRUNE = """
CREATE OR REPLACE FUNCTION tvaers_changelog_prune(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET tvaers.audit_retention_days = '{days}'
AS $$
DECLARE
    v_count bigint;
BEGIN
    IF p_before > now() - make_interval(
        days => current_setting('tvaers.audit_retention_days')::int
    ) THEN
        RAISE EXCEPTION 'change-log rows after % have not expired: prune refused', p_before
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM auditlog_logentry WHERE "timestamp" < p_before;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
"""

FUNCTIONS = ["tvaers_audit_prune(text, bigint)", "tvaers_changelog_prune(timestamptz)"]


def quote(identifier):
    return '"' + identifier.replace('"', '""') + '"'


def sqlite_restore_triggers(apps, schema_editor):
    """0002's SQLite triggers, on every append-only table that lost them to a table rebuild."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in APPEND_ONLY:
            for op in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit table {table} is append-only: {op} refused'); "
                    "END"
                )


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        sqlite_restore_triggers(apps, schema_editor)
        return
    if connection.vendor != "postgresql":
        return
    days = int(settings.AUDIT_ACCESS_RETENTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
        cursor.execute(ALLOW_PRUNING)
        cursor.execute(PRUNE.format(schema=schema, days=days))
        cursor.execute(CHANGELOG_PRUNE.format(schema=schema, days=days))
        for function in FUNCTIONS:
            cursor.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for function in FUNCTIONS:
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}")
        cursor.execute(REFUSE_ALL)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_access_event_forum_purpose"),
    ]

    operations = [
        # Reversed last: puts the SQLite triggers back after the column's removal rebuilt the
        # table.
        migrations.RunPython(migrations.RunPython.noop, sqlite_restore_triggers),
        migrations.AddField(
            model_name="checkpoint",
            name="is_cut",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunPython(install, remove),
    ]
