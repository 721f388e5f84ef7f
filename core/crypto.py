"""Envelope encryption, the one place Tværs touches `cryptography`.

Each focus person and each case file owns a random 256-bit *data key*. Data keys are stored
only wrapped (AES-256-GCM) by a master key from ``FIELD_ENCRYPTION_KEYS``; the newest master
key wraps, every configured key unwraps, so ``rotate_keys`` only re-wraps data keys. Values are
AES-256-GCM under their data key with associated data naming model, primary key and field, so a
ciphertext copied to another row or field fails to decrypt. Destroying a data key (its wrapped
bytes are erased) makes everything under it unreadable for good, in backups too.

Failure is always loud: a value that does not decrypt raises, it is never returned as stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class CryptoError(Exception):
    """Content could not be decrypted; the message names no content."""


class DecryptionError(CryptoError):
    """Wrong key, tampered value, or a value moved to another row or field."""


class DataKeyDestroyed(CryptoError):
    """The data key was destroyed (crypto-shredding): the content is gone."""


class UnknownMasterKey(CryptoError):
    """A data key is wrapped by a master key no longer configured."""


@dataclass(frozen=True)
class WrappedKey:
    master_key_id: str
    wrapped: bytes


def _keyring() -> list[tuple[str, bytes]]:
    keyring: list[tuple[str, bytes]] = settings.FIELD_ENCRYPTION_KEYS
    return keyring


def newest_master_key_id() -> str:
    return _keyring()[0][0]


def master_key_ids() -> list[str]:
    """The ids of the configured master keys, newest first; never the keys themselves."""
    return [key_id for key_id, _ in _keyring()]


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT_VERSION:
        raise DecryptionError("malformed ciphertext")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc


def _wrap_aad(data_key_id: str) -> bytes:
    return f"tvaers:data-key:{data_key_id}".encode()


def new_data_key(data_key_id: str) -> tuple[bytes, WrappedKey]:
    """A fresh data key and its wrapped form under the newest master key."""
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    return key, wrap_data_key(data_key_id, key)


def wrap_data_key(data_key_id: str, key: bytes) -> WrappedKey:
    master_id, master_key = _keyring()[0]
    return WrappedKey(master_id, _seal(master_key, key, _wrap_aad(data_key_id)))


def unwrap_data_key(data_key_id: str, wrapped: WrappedKey) -> bytes:
    master_key = dict(_keyring()).get(wrapped.master_key_id)
    if master_key is None:
        raise UnknownMasterKey(f"master key {wrapped.master_key_id!r} is not configured")
    return _open(master_key, wrapped.wrapped, _wrap_aad(data_key_id))


def value_aad(label: str, pk: object, field_name: str) -> bytes:
    """Associated data binding a value to one field of one row."""
    return f"tvaers:value:{label}:{pk}:{field_name}".encode()


def encrypt_value(key: bytes, plaintext: str, aad: bytes) -> bytes:
    return _seal(key, plaintext.encode("utf-8"), aad)


def decrypt_value(key: bytes, sealed: bytes, aad: bytes) -> str:
    return _open(key, sealed, aad).decode("utf-8")


_CPR = re.compile(r"([0-9]{6})[- ]?([0-9]{4})")


def normalise_cpr(cpr: str) -> str:
    """The 10 digits of a CPR number written ddmmyy-xxxx, ddmmyy xxxx or ddmmyyxxxx (surrounding
    whitespace ignored); ValueError for anything else.

    ASCII digits only: other scripts' digits (Arabic-Indic, fullwidth, superscript) would give
    another blind index for the same person, or none at all, so they are refused, not mapped.
    """
    match = _CPR.fullmatch(cpr.strip())
    if match is None:
        raise ValueError("not a CPR number")
    return match.group(1) + match.group(2)


def blind_index(*, scope: str, value: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value within a scope (e.g. a municipality).

    Equal values in the same scope give equal indexes, so duplicates are found without
    decrypting; without ``BLIND_INDEX_KEY`` the index reveals nothing, and indexes of the same
    person in different scopes cannot be linked.
    """
    key: bytes = settings.BLIND_INDEX_KEY
    message = f"{scope}\x1f{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class SigningKeyMissing(CryptoError):
    """This process holds no AUDIT_SIGNING_KEY: only the audit signer (beat) signs."""


def _signing_key() -> Ed25519PrivateKey:
    seed: bytes | None = settings.AUDIT_SIGNING_KEY
    if seed is None:
        raise SigningKeyMissing(
            "AUDIT_SIGNING_KEY is not configured in this process; audit checkpoints are signed "
            "only by the process started with AUDIT_SIGNER=1 and the key (beat, queue 'audit')."
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_of(seed: bytes) -> str:
    """The Ed25519 public key of a 32-byte seed, URL-safe base64 (what AUDIT_PUBLIC_KEY holds)."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def sign(message: bytes) -> bytes:
    """Ed25519 signature with AUDIT_SIGNING_KEY (audit checkpoints); SigningKeyMissing in a
    process that does not sign."""
    return _signing_key().sign(message)


def signing_public_key() -> str:
    """The public half of AUDIT_SIGNING_KEY, URL-safe base64: enough to verify checkpoints."""
    raw = _signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def audit_public_keys() -> list[str]:
    """The keys checkpoints are verified with: AUDIT_PUBLIC_KEY, configured apart from the
    database (never the key a checkpoint row carries). Several after a key rotation."""
    configured: list[str] = settings.AUDIT_PUBLIC_KEYS
    return list(configured)


def verify_signature(public_key: str, message: bytes, signature: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_key))
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
