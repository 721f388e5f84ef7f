"""Free-text reasons encrypted under the case file's data key (issue 10).

The associated data of a value names its field, so each reason moves aside (``<name>_plain``),
the encrypted field takes its name, the rows are encrypted with core.crypto directly (historical
models have no custom methods), and the plaintext column goes. Rows whose data key was
destroyed stay NULL: their text is unreadable by design. Reversible: backwards decrypts.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

import core.fields
from core import crypto

# model -> (lookup of the data key id, fields)
REASONS: dict[str, tuple[str, list[str]]] = {
    "casefile": ("data_key_id", ["closed_reason", "named_reason", "consent_refused_reason"]),
    "concern": ("case_file__data_key_id", ["source_reason"]),
    "identityreveal": ("case_file__data_key_id", ["reason"]),
    "persongrant": ("case_file__data_key_id", ["reason"]),
}
LENGTH = {("casefile", "closed_reason"): 500}  # the old columns' max_length when not 1000
VERBOSE = {
    ("casefile", "closed_reason"): "begrundelse for lukning",
    ("casefile", "named_reason"): "begrundelse for drøftelse med navn",
    ("casefile", "consent_refused_reason"): "begrundelse trods afvist samtykke",
    ("concern", "source_reason"): "begrundelse for anden kilde",
    ("identityreveal", "reason"): "begrundelse",
    ("persongrant", "reason"): "begrundelse",
}


class _Keys:
    """Unwrapped data keys by id; None for a destroyed key."""

    def __init__(self, apps: Any) -> None:
        self.model = apps.get_model("core", "DataKey")
        self.cache: dict[str, bytes | None] = {}

    def get(self, key_id: Any) -> bytes | None:
        name = str(key_id)
        if name not in self.cache:
            row = self.model.objects.filter(pk=key_id).first()
            if row is None or row.wrapped is None:
                self.cache[name] = None
            else:
                wrapped = crypto.WrappedKey(row.master_key_id, bytes(row.wrapped))
                self.cache[name] = crypto.unwrap_data_key(name, wrapped)
        return self.cache[name]


def _check_constraints_now(schema_editor: Any) -> None:
    """PostgreSQL refuses to alter a table with pending (deferred) foreign-key checks, which
    the updates above leave: run them now, before the columns change."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def encrypt_reasons(apps: Any, schema_editor: Any) -> None:
    keys = _Keys(apps)
    for model_name, (key_path, fields) in REASONS.items():
        model = apps.get_model("persons", model_name)
        label = model._meta.label_lower
        manager = model._base_manager.using(schema_editor.connection.alias)
        for field in fields:
            plain = f"{field}_plain"
            rows = manager.exclude(**{plain: ""}).values_list("pk", plain, key_path)
            for pk, text, key_id in rows.iterator():
                key = keys.get(key_id)
                if key is None:
                    continue  # destroyed: the text is gone, leave NULL
                sealed = crypto.encrypt_value(key, text, crypto.value_aad(label, pk, field))
                manager.filter(pk=pk).update(**{field: sealed})
    _check_constraints_now(schema_editor)


def decrypt_reasons(apps: Any, schema_editor: Any) -> None:
    keys = _Keys(apps)
    for model_name, (key_path, fields) in REASONS.items():
        model = apps.get_model("persons", model_name)
        label = model._meta.label_lower
        manager = model._base_manager.using(schema_editor.connection.alias)
        for field in fields:
            rows = manager.filter(**{f"{field}__isnull": False}).values_list("pk", field, key_path)
            for pk, sealed, key_id in rows.iterator():
                key = keys.get(key_id)
                if key is None:
                    continue
                text = crypto.decrypt_value(key, bytes(sealed), crypto.value_aad(label, pk, field))
                manager.filter(pk=pk).update(**{f"{field}_plain": text})
    _check_constraints_now(schema_editor)


def _operations() -> tuple[list[Any], list[Any], list[Any]]:
    before: list[Any] = []
    after: list[Any] = []
    for model_name, (key_path, fields) in REASONS.items():
        for field in fields:
            before += [
                # A default for the old column, so that going back can add it to existing rows.
                migrations.AlterField(
                    model_name=model_name,
                    name=field,
                    field=models.CharField(
                        blank=True,
                        default="",
                        max_length=LENGTH.get((model_name, field), 1000),
                        verbose_name=VERBOSE[(model_name, field)],
                    ),
                ),
                migrations.RenameField(model_name, field, f"{field}_plain"),
                migrations.AddField(
                    model_name=model_name,
                    name=field,
                    field=core.fields.EncryptedTextField(
                        blank=True,
                        null=True,
                        key_path=key_path.removesuffix("_id").replace("__", "."),
                        verbose_name=VERBOSE[(model_name, field)],
                    ),
                ),
            ]
            after.append(migrations.RemoveField(model_name, f"{field}_plain"))
    return before, [migrations.RunPython(encrypt_reasons, decrypt_reasons)], after


_BEFORE, _DATA, _AFTER = _operations()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_datakey_notification"),
        ("persons", "0008_identity_correction"),
    ]

    operations = [*_BEFORE, *_DATA, *_AFTER]
