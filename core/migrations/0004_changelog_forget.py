"""``tvaers_changelog_forget(content_type, object_pks)``: delete the change-log rows of objects
that no longer exist, for retention's deletion (persons.retention). The application's role may
only insert and read django-auditlog's table; this SECURITY DEFINER function of the table owner
is its one way to delete there, and it refuses while any of the objects still exists, so it
cannot be used to hide the history of living data.

SQLite (``make run``) has no roles: retention deletes the rows directly there.
"""

from django.db import migrations

FORGET = """
CREATE OR REPLACE FUNCTION tvaers_changelog_forget(p_content_type integer, p_object_pks text[])
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
AS $$
DECLARE
    v_table regclass;
    v_pk name;
    v_alive boolean;
    v_count bigint;
BEGIN
    SELECT to_regclass(quote_ident(app_label || '_' || model)) INTO v_table
    FROM django_content_type WHERE id = p_content_type;
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'content type % has no table: forget refused', p_content_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT a.attname INTO v_pk
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = v_table AND i.indisprimary;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I::text = ANY($1))', v_table, v_pk)
        INTO v_alive USING p_object_pks;
    IF v_alive THEN
        RAISE EXCEPTION 'an object of % still exists: forget refused', v_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM auditlog_logentry
    WHERE content_type_id = p_content_type AND object_pk = ANY(p_object_pks);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
"""
FUNCTION = "tvaers_changelog_forget(integer, text[])"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = '"' + cursor.fetchone()[0].replace('"', '""') + '"'
        cursor.execute(FORGET.format(schema=schema))
        cursor.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_usersession"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(install, remove)]
