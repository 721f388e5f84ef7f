"""Retention of the audit trail (docs/audit-retention.md): access events are kept
AUDIT_ACCESS_RETENTION_DAYS (default 183), disclosures as long as the data they describe plus
that period, the change log (django-auditlog) that period.

A chain is pruned from its start: the longest prefix of expired rows. A cut checkpoint naming
the last pruned row is signed first (so this runs where AUDIT_SIGNING_KEY is: beat, queue
"audit"), then the database function ``tvaers_audit_prune`` (audit/0009), owned by the tables'
owner and the only way past the append-only triggers, deletes the prefix after checking that
cut and that every row it deletes has expired. Both happen in one transaction: no cut without
its deletion, no deletion without its cut. ``audit_verify`` then starts at the newest cut.

Account changes (AccountEvent) are not pruned: accounts are the staff's, not data subjects of
the forums, and their history is the proof of who could see what when.

Audit imports no domain app: whether a disclosure's person is gone is read from the persons
tables by plain SQL.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.lockout import login_logs_prune
from audit.models import AccessEvent, ChainedRecord, Checkpoint, Disclosure
from audit.services import sequence_all
from core import crypto

logger = logging.getLogger(__name__)

BATCH = 2000


def prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what has expired: ``{"access_event": n, "disclosure": n, "changelog": n,
    "login_log": n}`` (the last: django-axes' login history, accounts.lockout).
    Idempotent; each chain in its own transaction. On SQLite (development) the chains are
    kept: it has neither the database function nor roles."""
    period = datetime.timedelta(days=settings.AUDIT_ACCESS_RETENTION_DAYS)
    pruned = {"access_event": 0, "disclosure": 0, "changelog": 0, "login_log": 0}
    pruned["login_log"] = login_logs_prune((now or timezone.now()) - period)
    if connection.vendor != "postgresql":
        logger.info("audit pruning needs PostgreSQL; only the change log is pruned here")
        with transaction.atomic():
            before = (now or timezone.now()) - period
            with connection.cursor() as cursor:
                cursor.execute('DELETE FROM auditlog_logentry WHERE "timestamp" < %s', [before])
                pruned["changelog"] = cursor.rowcount
        return pruned
    sequence_all()  # every read made so far takes its place before a cut is placed
    for model, expired_upto in (
        (AccessEvent, _access_events_expired_upto),
        (Disclosure, _disclosures_expired_upto),
    ):
        with transaction.atomic():
            before = _now(now) - period
            upto = expired_upto(before)
            if upto is not None:
                pruned[model.CHAIN] = _cut_and_prune(model, upto)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT tvaers_changelog_prune(%s)", [_now(now) - period])
        pruned["changelog"] = int(cursor.fetchone()[0])
    if any(pruned.values()):
        logger.info("audit pruned: %s", pruned)
    return pruned


def _now(now: datetime.datetime | None) -> datetime.datetime:
    """The moment expiry is judged at: never later than the database's clock, which the
    database function judges by (a clock ahead of it would be refused)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        database_now: datetime.datetime = cursor.fetchone()[0]
    return min(now or timezone.now(), database_now)


def _first_seq(model: type[ChainedRecord]) -> int | None:
    return chained(model).order_by("seq").values_list("seq", flat=True).first()


def chained(model: type[ChainedRecord]) -> QuerySet[Any, Any]:
    """The rows that have their place in the chain (access events wait briefly without)."""
    return model._default_manager.filter(seq__isnull=False)


def _access_events_expired_upto(before: datetime.datetime) -> int | None:
    """The last seq of the longest prefix of access events that occurred before ``before``."""
    first = _first_seq(AccessEvent)
    if first is None:
        return None
    young = (
        chained(AccessEvent)
        .filter(occurred_at__gte=before)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    if young is None:
        upto = chained(AccessEvent).order_by("-seq").values_list("seq", flat=True).first()
    else:
        upto = young - 1
    return upto if upto is not None and upto >= first else None


def _disclosures_expired_upto(before: datetime.datetime) -> int | None:
    """The last seq of the longest prefix of disclosures whose person is gone and whose last
    case file was deleted before ``before``. A person gone without a tombstone keeps theirs."""
    upto = None
    rows = Disclosure.objects.order_by("seq").values_list("seq", "person_id")
    last_seq = 0
    while True:
        batch = list(rows.filter(seq__gt=last_seq)[:BATCH])
        if not batch:
            return upto
        expired = _persons_expired({person_id for _, person_id in batch}, before)
        for seq, person_id in batch:
            if person_id not in expired:
                return upto
            upto = seq
        last_seq = batch[-1][0]


def _persons_expired(person_ids: set[int], before: datetime.datetime) -> set[int]:
    ids = sorted(person_ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM persons_focusperson WHERE id = ANY(%s)", [ids])
        living = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT person_id FROM persons_deletedcasefile WHERE person_id = ANY(%s) "
            "GROUP BY person_id HAVING max(deleted_at) < %s",
            [ids, before],
        )
        deleted_long_ago = {row[0] for row in cursor.fetchall()}
    return deleted_long_ago - living


def _cut_and_prune(model: type[ChainedRecord], upto: int) -> int:
    """Sign a cut at ``upto`` and delete the chain up to it (the caller's transaction)."""
    row_hash = model._default_manager.filter(seq=upto).values_list("row_hash", flat=True).get()
    cut = Checkpoint(
        chain=model.CHAIN,
        seq=upto,
        row_hash=row_hash,
        created_at=timezone.now(),
        public_key=crypto.signing_public_key(),
        is_cut=True,
    )
    cut.signature = crypto.sign(cut.message()).hex()
    cut.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tvaers_audit_prune(%s, %s)", [model.CHAIN, upto])
        row: Any = cursor.fetchone()
    return int(row[0])
