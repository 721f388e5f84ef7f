"""Recompute the audit hash chains and check them against the head rows and the signed
checkpoints. Used by ``manage.py audit_verify``, the DPO page and the API.

Checkpoints are verified with AUDIT_PUBLIC_KEY (or keys given to ``audit_verify``), configured
outside the database: the public key a checkpoint row carries is never trusted, since whoever
can write the row can write a key of their own beside a forged signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.models import (
    GENESIS_HASH,
    AccessEvent,
    AccountEvent,
    ChainedRecord,
    ChainHead,
    Checkpoint,
    Disclosure,
)
from core import crypto

# Checked in this order; a new chain goes at the end. Beat signs each (audit.tasks).
CHAINS: list[type[ChainedRecord]] = [AccessEvent, Disclosure, AccountEvent]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None  # id of the first bad row, when a row is to blame
    problem: str = ""


def verify_chain(
    model: type[ChainedRecord], public_keys: Sequence[str] | None = None
) -> VerifyResult:
    """``public_keys``: the keys a checkpoint may be signed with; AUDIT_PUBLIC_KEY if None."""
    chain = model.CHAIN
    keys = list(crypto.audit_public_keys() if public_keys is None else public_keys)
    # Judge the chain as it stood when we started, so appends and checkpoints committing while
    # we read (the system is in use) are no false alarm. Checkpoints first, then the head: a
    # genuine head is never behind a checkpoint read before it, so every checkpoint must find
    # its row, and a head rewound to hide a cut tail is caught by the checkpoints.
    checkpoint_list = list(Checkpoint.objects.filter(chain=chain).order_by("seq"))
    head = ChainHead.objects.filter(chain=chain).first()
    rows = model._default_manager.order_by("seq")
    if head is not None:
        rows = rows.filter(seq__lte=head.seq)
    checkpoint_seqs = {checkpoint.seq for checkpoint in checkpoint_list}
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    hashes_at: dict[int, str] = {}
    for row in rows.iterator(chunk_size=2000):
        where = f"{chain} row id {row.pk} (seq {row.seq})"
        if row.seq != expected_seq:
            return VerifyResult(
                False, checked, row.pk, f"{where}: expected seq {expected_seq}; rows are missing"
            )
        if row.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, row.pk, f"{where}: does not link to the row before it"
            )
        if row.compute_hash() != row.row_hash:
            return VerifyResult(False, checked, row.pk, f"{where}: content does not match its hash")
        if row.seq in checkpoint_seqs:
            hashes_at[row.seq] = row.row_hash
        expected_prev, expected_seq, checked = row.row_hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or (last_seq and head.row_hash != expected_prev)):
        return VerifyResult(
            False,
            checked,
            None,
            f"{chain}: the head says seq {head.seq}, the table ends at {last_seq} (tail removed?)",
        )
    for checkpoint in checkpoint_list:
        if not _signed_by(keys, checkpoint):
            return VerifyResult(
                False,
                checked,
                None,
                f"{chain}: checkpoint {checkpoint.pk} has an invalid signature under the "
                f"configured public key (seq {checkpoint.seq})",
            )
        if hashes_at.get(checkpoint.seq) != checkpoint.row_hash:
            return VerifyResult(
                False,
                checked,
                None,
                f"{chain}: signed checkpoint at seq {checkpoint.seq} no longer matches (tail removed or rewritten)",
            )
    return VerifyResult(True, checked)


def _signed_by(keys: Sequence[str], checkpoint: Checkpoint) -> bool:
    try:
        signature = bytes.fromhex(checkpoint.signature)
    except ValueError:
        return False
    message = checkpoint.message()
    return any(crypto.verify_signature(key, message, signature) for key in keys)


def verify_all(public_keys: Sequence[str] | None = None) -> VerifyResult:
    total = 0
    for model in CHAINS:
        result = verify_chain(model, public_keys)
        total += result.checked
        if not result.ok:
            return VerifyResult(False, total, result.first_bad, result.problem)
    return VerifyResult(True, total)
