"""Parsing and generation of the secrets Tværs reads from its environment.

Kept free of Django and of `cryptography` so settings can validate keys at start-up and an
operator can generate them before any configuration exists: ``python -m config.keys``.
The cryptography itself lives in ``core.crypto``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

KEY_BYTES = 32

# Development defaults: derived from public strings, so they are worthless as secrets and are
# refused whenever DEBUG is off.
DEV_SECRET_KEY = "django-insecure-tvaers-development-only-never-use-in-production"  # noqa: S105
DEV_FIELD_ENCRYPTION_KEYS = "dev1:" + base64.urlsafe_b64encode(
    hashlib.sha256(b"tvaers development field key").digest()
).decode("ascii")
DEV_BLIND_INDEX_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"tvaers development blind index key").digest()
).decode("ascii")
DEV_AUDIT_SIGNING_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"tvaers development audit signing key").digest()
).decode("ascii")


class KeyFormatError(ValueError):
    """A configured key is malformed; the message names what is wrong, never the key."""


def decode_key(value: str, *, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise KeyFormatError(f"{name} is not valid URL-safe base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"{name} must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def parse_keyring(value: str, *, name: str = "FIELD_ENCRYPTION_KEYS") -> list[tuple[str, bytes]]:
    """Parse ``id:key,id:key``; the first entry is the newest and wraps new data keys."""
    keyring: list[tuple[str, bytes]] = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id.isidentifier():
            raise KeyFormatError(
                f"{name} entries must look like 'id:base64key' (id: letters, digits, _)"
            )
        keyring.append((key_id, decode_key(encoded, name=f"{name}[{key_id}]")))
    if not keyring:
        raise KeyFormatError(f"{name} holds no key")
    ids = [key_id for key_id, _ in keyring]
    if len(set(ids)) != len(ids):
        raise KeyFormatError(f"{name} repeats a key id")
    return keyring


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def main() -> None:
    """Print a fresh set of production secrets in env-file form, and nothing else on stdout:
    ``python -m config.keys >> .env`` on a fresh checkout with no environment at all."""
    # Imported here, not above: settings import this module and must not need cryptography.
    from core.crypto import public_key_of

    key_id = "k" + secrets.token_hex(3)
    signing = new_key()
    print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"FIELD_ENCRYPTION_KEYS={key_id}:{new_key()}")
    print(f"BLIND_INDEX_KEY={new_key()}")
    print(f"AUDIT_SIGNING_KEY={signing}")
    # Its public half, which every process verifies the audit checkpoints with.
    print(f"AUDIT_PUBLIC_KEY={public_key_of(decode_key(signing, name='AUDIT_SIGNING_KEY'))}")


if __name__ == "__main__":
    main()
