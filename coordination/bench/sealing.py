"""Encryption for the generator through the normal path: data keys minted as
``DataKey.create`` mints them (``core.crypto.new_data_key``), values sealed by the model field's
own ``EncryptedTextField.pre_save`` (its format, key lookup and associated data), on unsaved
instances whose primary key is known in advance. Each key is unwrapped once, by keeping it."""

from __future__ import annotations

import random
import uuid
from typing import Any

from django.db import models

from core import crypto
from core.fields import EncryptedTextField
from core.models import DataKey


def mint_key(rng: random.Random) -> DataKey:
    """An unsaved DataKey with its plaintext key kept in memory, ready for COPY."""
    data_key = DataKey(id=uuid.UUID(int=rng.getrandbits(128), version=4))
    key, wrapped = crypto.new_data_key(str(data_key.id))
    data_key.master_key_id, data_key.wrapped = wrapped.master_key_id, wrapped.wrapped
    data_key._plaintext = key
    return data_key


DATA_KEY_FIELDS = ["id", "master_key_id", "wrapped", "created_at", "destroyed_at"]


def data_key_row(data_key: DataKey, created_at: Any) -> tuple[Any, ...]:
    return (data_key.id, data_key.master_key_id, data_key.wrapped, created_at, None)


class Sealer:
    """Seals text for one model's encrypted fields."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields: dict[str, EncryptedTextField] = {
            f.name: f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        }

    def stub(self, pk: int, **related: Any) -> models.Model:
        """An unsaved instance with its primary key and the relations its key path follows."""
        instance = self.model(pk=pk)
        for name, value in related.items():
            setattr(instance, name, value)
        return instance

    def seal(self, instance: models.Model, name: str, text: str | None) -> bytes | None:
        if text is None:
            return None
        model_field = self.fields[name]
        instance.__dict__[model_field.attname] = text
        sealed: bytes | None = model_field.pre_save(instance, add=True)
        return sealed
