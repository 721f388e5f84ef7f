"""Recompute the audit hash chains and check them against the head rows and the signed
checkpoints. Used by ``manage.py audit_verify``, the DPO page and the API."""

from __future__ import annotations

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


def verify_chain(model: type[ChainedRecord], public_key: str | None = None) -> VerifyResult:
    chain = model.CHAIN
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
        key = public_key or checkpoint.public_key
        if not crypto.verify_signature(
            key, checkpoint.message(), bytes.fromhex(checkpoint.signature)
        ):
            return VerifyResult(
                False,
                checked,
                None,
                f"{chain}: checkpoint {checkpoint.pk} has an invalid signature",
            )
        if hashes_at.get(checkpoint.seq) != checkpoint.row_hash:
            return VerifyResult(
                False,
                checked,
                None,
                f"{chain}: signed checkpoint at seq {checkpoint.seq} no longer matches (tail removed or rewritten)",
            )
    return VerifyResult(True, checked)


def verify_all(public_key: str | None = None) -> VerifyResult:
    total = 0
    for model in CHAINS:
        result = verify_chain(model, public_key)
        total += result.checked
        if not result.ok:
            return VerifyResult(False, total, result.first_bad, result.problem)
    return VerifyResult(True, total)
