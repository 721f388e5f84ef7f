"""Remove the free-text reasons from change-log rows written before they were encrypted
(issue 10): the change log stores no reason text. The reasons themselves live on, encrypted,
in their rows (persons 0009, coordination 0011) until their case file is deleted.

Runs as the migrating (owner) role, which may update django-auditlog's table; the application
role may not.
"""

from typing import Any

from django.db import migrations

# (app label, model) -> the reason fields the change log recorded in plaintext before
REASONS = {
    ("persons", "casefile"): ["closed_reason", "named_reason", "consent_refused_reason"],
    ("persons", "concern"): ["source_reason"],
    ("persons", "identityreveal"): ["reason"],
    ("persons", "persongrant"): ["reason"],
    ("coordination", "note"): ["necessity"],
    ("coordination", "agendaitem"): ["necessity"],
    ("coordination", "minutesrevision"): ["reason"],
}


def scrub(apps: Any, schema_editor: Any) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    log_entry = apps.get_model("auditlog", "LogEntry")
    manager = log_entry._base_manager.using(schema_editor.connection.alias)
    for (app_label, model), fields in REASONS.items():
        kind = content_type.objects.filter(app_label=app_label, model=model).first()
        if kind is None:
            continue
        rows = manager.filter(content_type=kind, changes__has_any_keys=fields)
        for pk, changes in rows.values_list("pk", "changes").iterator():
            kept = {k: v for k, v in changes.items() if k not in fields}
            manager.filter(pk=pk).update(changes=kept)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0010_sealed_reasons"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("persons", "0009_encrypted_reasons"),
        ("coordination", "0011_encrypted_reasons"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
