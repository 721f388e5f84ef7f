"""Serializer fields for encrypted reasons: the decrypted text, never the stored bytes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class DecryptedTextField(serializers.CharField):
    """Read-only: the decrypted text of an EncryptedTextField, "" when there is none (the shape
    the API had while reasons were plaintext columns)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> str:
        value = super().get_attribute(instance)
        return "" if value is None else str(value)
