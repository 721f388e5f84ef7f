"""Migration operations that encrypt existing plaintext text columns in place (issue 10: the
free-text reasons of persons 0009 and coordination 0011).

The associated data of a value names its field, so each column moves aside
(``<name>_plain``), an EncryptedTextField takes its name, the rows are encrypted with
core.crypto directly (historical models have no custom methods), and the plaintext column goes.
Rows whose data key was destroyed stay NULL: their text is unreadable by design. Backwards
decrypts. Used only by migrations, so it must keep working for them: change it only in ways
that leave the operations they produce the same.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import migrations, models

import core.fields
from core import crypto

# model -> (lookup of the data key id from the row, the text fields to encrypt)
Reasons = dict[str, tuple[str, list[str]]]


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


def _encrypt(app_label: str, reasons: Reasons, apps: Any, schema_editor: Any) -> None:
    keys = _Keys(apps)
    for model_name, (key_path, fields) in reasons.items():
        model = apps.get_model(app_label, model_name)
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


def _decrypt(app_label: str, reasons: Reasons, apps: Any, schema_editor: Any) -> None:
    keys = _Keys(apps)
    for model_name, (key_path, fields) in reasons.items():
        model = apps.get_model(app_label, model_name)
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


def encrypt_text_columns(
    app_label: str,
    reasons: Reasons,
    verbose_names: dict[tuple[str, str], str],
    lengths: dict[tuple[str, str], int] | None = None,
) -> list[Any]:
    """The operations that turn plaintext CharFields into EncryptedTextFields of the same name,
    encrypting the existing rows; reversible (backwards decrypts)."""
    lengths = lengths or {}
    before: list[Any] = []
    after: list[Any] = []
    for model_name, (key_path, fields) in reasons.items():
        for field in fields:
            before += [
                # A default for the old column, so that going back can add it to existing rows.
                migrations.AlterField(
                    model_name=model_name,
                    name=field,
                    field=models.CharField(
                        blank=True,
                        default="",
                        max_length=lengths.get((model_name, field), 1000),
                        verbose_name=verbose_names[(model_name, field)],
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
                        verbose_name=verbose_names[(model_name, field)],
                    ),
                ),
            ]
            after.append(migrations.RemoveField(model_name, f"{field}_plain"))
    data = migrations.RunPython(
        functools.partial(_encrypt, app_label, reasons),
        functools.partial(_decrypt, app_label, reasons),
    )
    return [*before, data, *after]
