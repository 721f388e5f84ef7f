"""Recompute the audit hash chains and check them against the head rows and the signed
checkpoints. Used by ``manage.py audit_verify``, the DPO page and the API.

Checkpoints are verified with AUDIT_PUBLIC_KEY (or keys given to ``audit_verify``), configured
outside the database: the public key a checkpoint row carries is never trusted, since whoever
can write the row can write a key of their own beside a forged signature.

A chain pruned by audit.retention starts after its newest cut checkpoint: the first remaining
row must follow the cut's seq and link to its hash (docs/audit-retention.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from audit.models import (
    GENESIS_HASH,
    AccessEvent,
    AccountEvent,
    ChainedRecord,
    ChainHead,
    Checkpoint,
    Disclosure,
)
from audit.selectors import audit_backlog
from core import crypto

# Checked in this order; a new chain goes at the end. Beat signs each (audit.tasks).
CHAINS: list[type[ChainedRecord]] = [AccessEvent, Disclosure, AccountEvent]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None  # id of the first bad row, when a row is to blame
    problem: str = ""  # in the active language: the DPO reads it on the page and in the API


def verify_chain(
    model: type[ChainedRecord], public_keys: Sequence[str] | None = None
) -> VerifyResult:
    """``public_keys``: the keys a checkpoint may be signed with; AUDIT_PUBLIC_KEY if None.
    The chain is verified from its newest cut (audit.retention), or from genesis."""
    keys = list(crypto.audit_public_keys() if public_keys is None else public_keys)
    result, cut_id = _verify_chain(model, keys)
    if not result.ok and _newest_cut_id(model.CHAIN) != cut_id:
        # A prune committed while we read: its rows went behind a cut we had not seen.
        result, _ = _verify_chain(model, keys)
    if result.ok and model is AccessEvent:
        return _verify_pending(result)
    return result


def _verify_pending(result: VerifyResult) -> VerifyResult:
    """Access events not yet chained are covered by the database's trigger (nothing but their
    chain position can be set); what can go wrong is the sequencer stopping, so a pending row
    older than AUDIT_PENDING_ALARM_SECONDS fails verification."""
    count, age = audit_backlog()
    if age <= settings.AUDIT_PENDING_ALARM_SECONDS:
        return result
    problem = _(
        "%(chain)s: %(count)s hændelser har ventet %(age)s sekunder på deres plads i kæden "
        "(kører sekvenseringen?)"
    ) % {
        "chain": capfirst(AccessEvent._meta.verbose_name_plural),
        "count": count,
        "age": int(age),
    }
    return VerifyResult(False, result.checked, None, problem)


def _newest_cut_id(chain: str) -> int | None:
    return (
        Checkpoint.objects.filter(chain=chain, is_cut=True)
        .order_by("-seq", "-id")
        .values_list("id", flat=True)
        .first()
    )


def _verify_chain(
    model: type[ChainedRecord], keys: Sequence[str]
) -> tuple[VerifyResult, int | None]:
    chain = model.CHAIN
    label = str(capfirst(model._meta.verbose_name_plural))
    # Judge the chain as it stood when we started, so appends and checkpoints committing while
    # we read (the system is in use) are no false alarm. Checkpoints first, then the head: a
    # genuine head is never behind a checkpoint read before it, so every checkpoint must find
    # its row, and a head rewound to hide a cut tail is caught by the checkpoints.
    checkpoint_list = list(Checkpoint.objects.filter(chain=chain).order_by("seq", "id"))
    head = ChainHead.objects.filter(chain=chain).first()
    rows = model._default_manager.filter(seq__isnull=False).order_by("seq")
    if head is not None:
        rows = rows.filter(seq__lte=head.seq)
    # The newest cut: the rows up to it were pruned, and the chain goes on from its hash. Its
    # signature is checked first, since everything before it is taken on its word.
    cuts = [checkpoint for checkpoint in checkpoint_list if checkpoint.is_cut]
    cut = cuts[-1] if cuts else None
    if cut is not None and not _signed_by(keys, cut):
        return VerifyResult(
            False,
            0,
            None,
            _(
                "%(chain)s: kontrolpunkt %(id)s har en ugyldig signatur under den konfigurerede "
                "offentlige nøgle (seq %(seq)s, et snit: rækkerne før det er slettet)"
            )
            % {"chain": label, "id": cut.pk, "seq": cut.seq},
        ), cut.pk
    checkpoint_seqs = {checkpoint.seq for checkpoint in checkpoint_list}
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    hashes_at: dict[int, str] = {}
    if cut is not None:
        expected_prev, expected_seq = cut.row_hash, cut.seq + 1
        hashes_at[cut.seq] = cut.row_hash
    for row in rows.iterator(chunk_size=2000):
        if cut is not None and row.seq <= cut.seq:
            return VerifyResult(
                False,
                checked,
                row.pk,
                _("%(where)s: ligger før det signerede snit ved seq %(cut)s (burde være slettet)")
                % {"where": _where(label, row), "cut": cut.seq},
            ), cut.pk
        if row.seq != expected_seq:
            problem = _("%(where)s: seq %(expected)s var ventet; der mangler rækker") % {
                "where": _where(label, row),
                "expected": expected_seq,
            }
            return VerifyResult(False, checked, row.pk, problem), _id(cut)
        if row.prev_hash != expected_prev:
            problem = _("%(where)s: peger ikke på rækken før den") % {"where": _where(label, row)}
            return VerifyResult(False, checked, row.pk, problem), _id(cut)
        if row.compute_hash() != row.row_hash:
            problem = _("%(where)s: indholdet svarer ikke til rækkens hash") % {
                "where": _where(label, row)
            }
            return VerifyResult(False, checked, row.pk, problem), _id(cut)
        if row.seq in checkpoint_seqs:
            hashes_at[row.seq] = row.row_hash
        expected_prev, expected_seq, checked = row.row_hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or (last_seq and head.row_hash != expected_prev)):
        return VerifyResult(
            False,
            checked,
            None,
            _(
                "%(chain)s: hovedet siger seq %(head)s, men tabellen slutter ved seq %(last)s "
                "(er de sidste rækker fjernet?)"
            )
            % {"chain": label, "head": head.seq, "last": last_seq},
        ), _id(cut)
    for checkpoint in checkpoint_list:
        if not _signed_by(keys, checkpoint):
            return VerifyResult(
                False,
                checked,
                None,
                _(
                    "%(chain)s: kontrolpunkt %(id)s har en ugyldig signatur under den "
                    "konfigurerede offentlige nøgle (seq %(seq)s)"
                )
                % {"chain": label, "id": checkpoint.pk, "seq": checkpoint.seq},
            ), _id(cut)
        if cut is not None and checkpoint.seq < cut.seq:
            continue  # its row was pruned; the cut stands for it
        if hashes_at.get(checkpoint.seq) != checkpoint.row_hash:
            return VerifyResult(
                False,
                checked,
                None,
                _(
                    "%(chain)s: det signerede kontrolpunkt ved seq %(seq)s passer ikke længere "
                    "(de sidste rækker er fjernet eller omskrevet)"
                )
                % {"chain": label, "seq": checkpoint.seq},
            ), _id(cut)
    return VerifyResult(True, checked), _id(cut)


def _where(label: str, row: ChainedRecord) -> str:
    return _("%(chain)s, række id %(id)s (seq %(seq)s)") % {
        "chain": label,
        "id": row.pk,
        "seq": row.seq,
    }


def _id(checkpoint: Checkpoint | None) -> int | None:
    return checkpoint.pk if checkpoint is not None else None


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
