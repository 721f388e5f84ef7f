"""Encrypted model fields: models declare them and never call crypto by hand.

``EncryptedTextField(key_path="case_file.data_key")`` stores AES-256-GCM ciphertext (bytea)
under the data key found by following ``key_path`` from the row, with associated data naming
model, primary key and field. Reading the attribute decrypts (and caches) the plaintext;
assigning a string marks it for encryption on ``save()``. A model with such fields derives
from ``EncryptedModel``, whose ``save()`` encrypts after the insert when the primary key was
not known before it. Bulk writes cannot encrypt and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, router, transaction

from core import crypto

PENDING = "_encrypted_fields_pending"
SAVING = "_encrypted_save_in_progress"


@dataclass(frozen=True)
class _Sealed:
    """Ciphertext as stored, with its plaintext once decrypted."""

    ciphertext: bytes
    plaintext: str | None = None


class _EncryptedAttribute:
    def __init__(self, field: EncryptedTextField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:  # deferred: load the ciphertext like Django would
            instance.refresh_from_db(fields=[name])
        state = instance.__dict__[name]
        if not isinstance(state, _Sealed):
            return state
        if state.plaintext is None:
            plaintext = crypto.decrypt_value(
                self.field.data_key_for(instance).plaintext_key(),
                state.ciphertext,
                self.field.aad_for(instance),
            )
            instance.__dict__[name] = state = _Sealed(state.ciphertext, plaintext)
        return state.plaintext

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            value = _Sealed(bytes(value))  # from the database
        elif value is not None and not isinstance(value, str):
            raise TypeError(f"{self.field.name} takes text, not {type(value).__name__}")
        instance.__dict__[self.field.attname] = value


if TYPE_CHECKING:
    _BinaryField = models.BinaryField[Any, Any]
else:
    _BinaryField = models.BinaryField


class EncryptedTextField(_BinaryField):
    description = "Text encrypted under the row's data key"

    def __init__(self, *args: Any, key_path: str, **kwargs: Any) -> None:
        self.key_path = key_path
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_path"] = self.key_path
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _EncryptedAttribute(self))

    def data_key_for(self, instance: models.Model) -> Any:
        target: Any = instance
        for part in self.key_path.split("."):
            target = getattr(target, part)
        return target

    def aad_for(self, instance: models.Model) -> bytes:
        return crypto.value_aad(instance._meta.label_lower, instance.pk, self.name)

    def pre_save(self, model_instance: models.Model, add: bool) -> bytes | None:
        state = model_instance.__dict__.get(self.attname)
        if state is None:
            return None
        if isinstance(state, _Sealed):
            return state.ciphertext
        if model_instance.pk is None:
            if not getattr(model_instance, SAVING, False):
                raise crypto.CryptoError(
                    f"{model_instance._meta.label}.{self.name} can only be written through save()"
                )
            getattr(model_instance, PENDING).add(self.attname)
            return None
        ciphertext = crypto.encrypt_value(
            self.data_key_for(model_instance).plaintext_key(), state, self.aad_for(model_instance)
        )
        model_instance.__dict__[self.attname] = _Sealed(ciphertext, state)
        return ciphertext

    def value_from_object(self, obj: models.Model) -> Any:
        # Serializers, admin and change logs get the stored form, never plaintext.
        state = obj.__dict__.get(self.attname)
        return state.ciphertext if isinstance(state, _Sealed) else None

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> None:
        return None  # never editable in forms or admin


class EncryptedModel(models.Model):
    """Base for models with encrypted fields: encrypts once the primary key exists."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            setattr(self, PENDING, set())
            setattr(self, SAVING, True)
            try:
                super().save(*args, **kwargs)
                pending = getattr(self, PENDING)
                if pending:
                    # The associated data names the primary key, known only after the insert.
                    super().save(update_fields=sorted(pending), using=using)
            finally:
                setattr(self, SAVING, False)
                setattr(self, PENDING, set())
