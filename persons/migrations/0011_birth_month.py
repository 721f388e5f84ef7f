"""Fill FocusPerson.birth_month (issue 11) from each identity's encrypted birth date.

The historical models have no custom fields' behaviour, so the value is decrypted with
core.crypto directly, as core.migration_crypto does. Persons whose data key is destroyed (or
whose birth date cannot be read) keep NULL: the 18th-birthday flag then counts by birth year
alone. Batched by primary key, so a large table is never read into memory at once."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import migrations

from core import crypto

BATCH = 500
LABEL = "persons.identity"  # the associated data names the live model, not the historical one


def _unwrap(keys: Any, key_id: Any) -> bytes | None:
    row = keys.filter(pk=key_id).values_list("master_key_id", "wrapped").first()
    if row is None or row[1] is None:
        return None
    try:
        return crypto.unwrap_data_key(str(key_id), crypto.WrappedKey(row[0], bytes(row[1])))
    except crypto.CryptoError:  # an unknown master key or a bad wrap: leave the person as is
        return None


def _month(key: bytes, person_id: Any, sealed: Any) -> int | None:
    try:
        text = crypto.decrypt_value(
            key, bytes(sealed), crypto.value_aad(LABEL, person_id, "birth_date")
        )
        return datetime.date.fromisoformat(text).month
    except (crypto.CryptoError, ValueError):  # unreadable or no date: the month stays unknown
        return None


def fill_birth_month(apps: Any, schema_editor: Any) -> None:
    alias = schema_editor.connection.alias
    persons = apps.get_model("persons", "FocusPerson")._base_manager.using(alias)
    identities = apps.get_model("persons", "Identity")._base_manager.using(alias)
    keys = apps.get_model("core", "DataKey")._base_manager.using(alias)
    last = None
    while True:
        batch = persons.filter(birth_month__isnull=True).order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        rows = list(batch.values_list("pk", "data_key_id")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        sealed = dict(
            identities.filter(
                person_id__in=[pk for pk, _ in rows], birth_date__isnull=False
            ).values_list("person_id", "birth_date")
        )
        for person_id, key_id in rows:
            if person_id not in sealed:
                continue
            key = _unwrap(keys, key_id)
            month = _month(key, person_id, sealed[person_id]) if key else None
            if month is not None:
                persons.filter(pk=person_id).update(birth_month=month)


class Migration(migrations.Migration):
    dependencies = [("persons", "0010_workflow_steps"), ("core", "0001_initial")]

    operations = [migrations.RunPython(fill_birth_month, migrations.RunPython.noop)]
