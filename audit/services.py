"""The only writers of audit records. Called by domain services and by the permission layer
(through core.permissions' signals); an exception here fails the read or write it records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Agency, User
from audit.models import (
    AccessEvent,
    AccessEventSubject,
    AccountEvent,
    ChainedRecord,
    ChainHead,
    Checkpoint,
    Disclosure,
)
from core import crypto, request_context
from core.models import DataKey, Notification
from core.permissions import ROLE_DPO, AnyUser


def append(record: ChainedRecord, *, seal: tuple[DataKey, str] | None = None) -> ChainedRecord:
    """Append a record to its hash chain. The head row's lock serialises writers, so each
    record links to the one before it; the lock lasts only as long as this transaction.

    ``seal`` (a data key and a reason) encrypts the reason into ``sealed_reason`` once the
    row's place in the chain is known (the associated data names chain and seq), before the
    hash is computed: the hash covers the ciphertext."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(chain=record.CHAIN)
        record.seq = head.seq + 1
        record.prev_hash = head.row_hash
        if seal is not None:
            data_key, text = seal
            record.data_key_id = data_key.pk  # type: ignore[attr-defined]
            record.sealed_reason = crypto.encrypt_value(  # type: ignore[attr-defined]
                data_key.plaintext_key(), text, _sealed_aad(record)
            )
        record.row_hash = record.compute_hash()
        record.save(force_insert=True)
        head.seq, head.row_hash = record.seq, record.row_hash
        head.save(update_fields=["seq", "row_hash"])
    return record


def checkpoint_record(chain: str) -> Checkpoint | None:
    """Sign the chain's current head with AUDIT_SIGNING_KEY. Only the signer holds the key
    (beat, consuming the 'audit' queue); elsewhere this raises crypto.SigningKeyMissing. The
    public key stored in the row is informational: verification never trusts it. The reads
    still pending are chained first, so the signature covers every read made before it."""
    if chain == AccessEvent.CHAIN:
        sequence_all()
    head = ChainHead.objects.filter(chain=chain).first()
    if head is None or head.seq == 0:
        return None
    checkpoint = Checkpoint(
        chain=chain,
        seq=head.seq,
        row_hash=head.row_hash,
        created_at=timezone.now(),
        public_key=crypto.signing_public_key(),
    )
    checkpoint.signature = crypto.sign(checkpoint.message()).hex()
    checkpoint.save()
    return checkpoint


def _subject(obj: models.Model) -> tuple[int, str] | None:
    """(person id, pseudonym) an object is about, if the model says (``audit_subject``)."""
    subject = getattr(obj, "audit_subject", None)
    return subject() if callable(subject) else None


def _forum_ids(
    user: User | None, model: type[models.Model] | None, objects: Sequence[models.Model]
) -> list[int]:
    """The forums in whose capacity ``objects`` were read: each object's own forum
    (``audit_forum``), or for objects that belong to no single forum (a person) the model's
    ``audit_forums_for(user, objects)``, one query."""
    found: set[int] = set()
    for obj in objects:
        forum = getattr(obj, "audit_forum", None)
        if callable(forum) and (forum_id := forum()) is not None:
            found.add(forum_id)
    several = getattr(model, "audit_forums_for", None)
    if objects and user is not None and callable(several):
        found.update(several(user, objects))
    return sorted(found)


def _purpose(meta: request_context.RequestMeta | None) -> str:
    if meta is None or not meta.path:
        return ""
    try:
        return (resolve(meta.path).view_name or "")[:100]
    except Resolver404:
        return ""


def access_record(
    *,
    actor: AnyUser,
    action: str,
    objects: Sequence[models.Model] = (),
    model: type[models.Model] | None = None,
    search_criterion: str = "",
    reason: str = "",
    sealed_under: DataKey | None = None,
) -> AccessEvent:
    """One access event for ``objects`` shown to ``actor`` (a list page gives one event),
    with the forums it was read for and the purpose (the route). With ``sealed_under`` (the
    data key of the case file the reason concerns) the reason is stored encrypted under it,
    readable until the case file is deleted (``reason_text``); codes are not sealed."""
    model = model or (type(objects[0]) if objects else None)
    subjects = dict(s for s in map(_subject, objects) if s is not None)
    meta = request_context.current()
    user = actor if isinstance(actor, User) else None
    event = AccessEvent(
        actor=user,
        actor_agency_id=user.agency_id if user else None,
        action=action,
        content_type=ContentType.objects.get_for_model(model) if model else None,
        object_ids=[str(obj.pk) for obj in objects],
        person_ids=list(subjects),
        person_pseudonyms=list(subjects.values()),
        search_criterion=search_criterion[:500],
        reason="" if sealed_under is not None else reason[:1000],
        request_id=meta.request_id if meta else "",
        ip_address=meta.ip_address if meta else None,
        forum_ids=_forum_ids(user, model, objects),
        purpose=_purpose(meta),
    )
    event_subjects = [
        AccessEventSubject(event=event, person_id=pid, pseudonym=pseudonym)
        for pid, pseudonym in subjects.items()
    ]
    if sealed_under is not None:
        # The sealed reason's associated data names the row's place in the chain, so a sealed
        # event (a reveal, an extension: rare) takes its place at once, under the head's lock.
        append(event, seal=(sealed_under, reason[:1000]))
        AccessEventSubject.objects.bulk_create(event_subjects)
        return event
    buffer = _buffer.get()
    if buffer is not None:
        buffer.append((event, event_subjects))
    else:
        _insert_pending([(event, event_subjects)])
    return event


# The reads of one request, written together when it ends (audit.middleware): two statements
# per request however many reads it made. None outside a request: written at once.
PendingRead = tuple[AccessEvent, list[AccessEventSubject]]
_buffer: ContextVar[list[PendingRead] | None] = ContextVar("tvaers_audit_buffer", default=None)


@contextmanager
def buffered_reads() -> Iterator[list[PendingRead]]:
    """Collect the access events recorded inside the block; the caller flushes them with
    ``flush_reads`` before anything read is shown (audit.middleware does, per request)."""
    reads: list[PendingRead] = []
    token = _buffer.set(reads)
    try:
        yield reads
    finally:
        _buffer.reset(token)


def flush_reads(reads: list[PendingRead]) -> None:
    """Write the collected access events (and empty the list): one INSERT for the events, one
    for their subjects. An exception here must keep the read from being served."""
    if reads:
        _insert_pending(reads)
        reads.clear()


def _insert_pending(reads: Sequence[PendingRead]) -> None:
    """Insert access events without their place in the chain (seq NULL, no hashes): no lock,
    so reads across the country do not queue behind each other. ``sequence_pending`` chains
    them shortly after, in id order."""
    # No savepoint: a failure fails the whole request's audit write, never half of it.
    with transaction.atomic(savepoint=False):
        AccessEvent.objects.bulk_create([event for event, _ in reads])
        subjects = [subject for event, event_subjects in reads for subject in event_subjects]
        for subject in subjects:
            subject.event_id = subject.event.pk  # bulk_create gave the events their ids
        if subjects:
            AccessEventSubject.objects.bulk_create(subjects)


SEQUENCE_BATCH = 5000


def sequence_pending(limit: int = SEQUENCE_BATCH) -> int:
    """Give up to ``limit`` pending access events their seq, previous hash and hash, in id
    order, under the chain head's lock (so a sealed append and a second sequencer wait). One
    transaction: a sequencer killed half way leaves every row pending for the next run.
    Returns how many rows were chained."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(chain=AccessEvent.CHAIN)
        rows = list(AccessEvent.objects.filter(seq__isnull=True).order_by("id")[:limit])
        for row in rows:
            row.seq = head.seq + 1
            row.prev_hash = head.row_hash
            row.row_hash = row.compute_hash()
            head.seq, head.row_hash = row.seq, row.row_hash
        if rows:
            # The head first: the trigger lets a row take a seq only up to the head's.
            head.save(update_fields=["seq", "row_hash"])
            _write_chain_positions(rows)
    return len(rows)


def _write_chain_positions(rows: Sequence[AccessEvent]) -> None:
    """One UPDATE for the whole batch on PostgreSQL (arrays unnested into a join), where
    Django's bulk_update would build a CASE of thousands of branches."""
    if connection.vendor != "postgresql":
        AccessEvent.objects.bulk_update(rows, ["seq", "prev_hash", "row_hash"], batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accessevent AS e SET seq = v.seq, prev_hash = v.prev_hash, "
            "row_hash = v.row_hash FROM (SELECT unnest(%s::bigint[]) AS id, "
            "unnest(%s::bigint[]) AS seq, unnest(%s::varchar[]) AS prev_hash, "
            "unnest(%s::varchar[]) AS row_hash) AS v WHERE e.id = v.id AND e.seq IS NULL",
            [
                [row.pk for row in rows],
                [row.seq for row in rows],
                [row.prev_hash for row in rows],
                [row.row_hash for row in rows],
            ],
        )
        if cursor.rowcount != len(rows):
            raise RuntimeError("access events changed while they were being chained")


def sequence_all() -> int:
    """Chain every pending access event, batch after batch (a backlog after an outage clears
    in one call); stops at a batch that was not full, so constant traffic cannot keep it."""
    total = done = sequence_pending(SEQUENCE_BATCH)
    while done == SEQUENCE_BATCH:
        done = sequence_pending(SEQUENCE_BATCH)
        total += done
    return total


def disclosure_record(
    *,
    actor: User,
    from_agency: Agency,
    to_agency_ids: Iterable[int],
    forum_id: int,
    source: models.Model,
    person_id: int,
    person_pseudonym: str,
    paragraph: str,
    cooperation: str,
    necessity: str,
    data_categories: Iterable[str] = (),
    sealed_under: DataKey | None = None,
) -> Disclosure:
    """One disclosure; with ``sealed_under`` (the case file's data key) the necessity is stored
    encrypted under it, readable until the case file is deleted (``reason_text``)."""
    disclosure = Disclosure(
        actor=actor,
        from_agency=from_agency,
        to_agency_ids=sorted(set(to_agency_ids) - {from_agency.pk}),
        forum_id=forum_id,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        person_id=person_id,
        person_pseudonym=person_pseudonym,
        paragraph=paragraph,
        cooperation=cooperation,
        necessity="" if sealed_under is not None else necessity,
        data_categories=sorted(set(data_categories)),
    )
    if sealed_under is None:
        append(disclosure)
    else:
        append(disclosure, seal=(sealed_under, necessity))
    return disclosure


def _sealed_aad(record: ChainedRecord) -> bytes:
    """Binds a sealed reason to its chain, row and key: copied to another row, it fails."""
    key_id = getattr(record, "data_key_id", None)
    return f"tvaers:audit:{record.CHAIN}:{record.seq}:{key_id}:reason".encode()


def _unwrapped_keys(ids: set[Any]) -> dict[Any, bytes | None]:
    """The data keys of sealed reasons, unwrapped, in one query; None for a key destroyed or
    deleted with its case file."""
    keys: dict[Any, bytes | None] = dict.fromkeys(ids)
    for data_key in DataKey.objects.filter(pk__in=ids):
        try:
            keys[data_key.pk] = data_key.plaintext_key()
        except crypto.DataKeyDestroyed:
            keys[data_key.pk] = None
    return keys


def reason_text(
    record: AccessEvent | Disclosure, keys: dict[Any, bytes | None] | None = None
) -> str | None:
    """The reason (necessity) of an audit row for the DPO: the plain column for rows not
    sealed, else decrypted under the case file's data key; None once that key is destroyed
    (the case file was deleted). A ciphertext that does not authenticate raises. ``keys``
    caches unwrapped keys across the rows of one page or export."""
    plain = record.reason if isinstance(record, AccessEvent) else record.necessity
    if record.sealed_reason is None:
        return plain
    if record.data_key_id is None:
        return None
    keys = {} if keys is None else keys
    if record.data_key_id not in keys:
        keys.update(_unwrapped_keys({record.data_key_id}))
    key = keys[record.data_key_id]
    if key is None:
        return None
    return crypto.decrypt_value(key, bytes(record.sealed_reason), _sealed_aad(record))


def reason_shown(
    record: AccessEvent | Disclosure, keys: dict[Any, bytes | None] | None = None
) -> str:
    """``reason_text`` as pages and exports show it: "slettet" once erased."""
    shown: str | None = getattr(record, REASON_SHOWN_ATTR, None)
    if shown is not None:
        return shown
    text = reason_text(record, keys)
    return gettext("slettet") if text is None else text


REASON_SHOWN_ATTR = "_tvaers_reason_shown"
AuditRow = TypeVar("AuditRow", AccessEvent, Disclosure)


def reasons_shown(records: Sequence[AuditRow]) -> Sequence[AuditRow]:
    """Decrypt the reasons of one page of rows with one query for all their data keys (not one
    per row), and keep each on its row for ``reason_shown``. Returns ``records``."""
    keys = _unwrapped_keys(
        {r.data_key_id for r in records if r.sealed_reason is not None and r.data_key_id}
    )
    for record in records:
        setattr(record, REASON_SHOWN_ATTR, reason_shown(record, keys))
    return records


@transaction.atomic
def account_event_record(
    *,
    actor: AnyUser | None,
    target: User,
    action: str,
    details: Mapping[str, Any] | None = None,
    notify_municipality_ids: Iterable[int] = (),
) -> AccountEvent:
    """One change to ``target``'s account. ``details`` holds ids, flags and role names, never a
    password or its hash. Unless the account holder made the change, the DPOs of the account's
    municipality (and of ``notify_municipality_ids``, e.g. the agency it left) are told."""
    meta = request_context.current()
    user = actor if isinstance(actor, User) and actor.is_authenticated else None
    event = AccountEvent(
        actor_id=user.pk if user else None,
        actor_agency_id=user.agency_id if user else None,
        target_id=target.pk,
        action=action,
        details=dict(details or {}),
        request_id=meta.request_id if meta else "",
        ip_address=meta.ip_address if meta else None,
    )
    append(event)
    if user is None or user.pk != target.pk:
        _notify_account_change(event, user, target, set(notify_municipality_ids))
    return event


def _notify_account_change(
    event: AccountEvent, actor: User | None, target: User, municipality_ids: set[int]
) -> None:
    agency = Agency.objects.filter(pk=target.agency_id).first() if target.agency_id else None
    if agency is not None:
        municipality_ids.add(agency.municipality_id)
    dpos = User.objects.filter(groups__name=ROLE_DPO, is_active=True)
    if municipality_ids:
        dpos = dpos.filter(agency__municipality_id__in=municipality_ids)
    # else: an account outside the agencies (a system administrator) serves every municipality.
    message = gettext("%(action)s for %(target)s (%(agency)s) af %(actor)s.") % {
        "action": AccountEvent.Action(event.action).label,
        "target": target.full_name or target.email,
        "agency": agency.name if agency else "-",
        "actor": actor.full_name if actor else gettext("systemet"),
    }
    link = reverse("audit:user-history", args=[target.pk])
    recipients = set(dpos.values_list("pk", flat=True)) - {actor.pk if actor else None}
    Notification.objects.bulk_create(
        Notification(recipient_id=pk, kind="account_changed", message=message[:500], link=link)
        for pk in sorted(recipients)
    )


def on_objects_accessed(
    sender: type[models.Model],
    *,
    user: AnyUser,
    objects: list[models.Model],
    action: str,
    signal: Any = None,
    **details: Any,
) -> None:
    access_record(actor=user, action=action, objects=objects, model=sender, **details)


def on_access_denied(
    sender: type[models.Model], *, user: AnyUser, pk: str, action: str, **_: Any
) -> None:
    access_record(
        actor=user,
        action=AccessEvent.Action.DENIED,
        model=sender,
        reason=f"{action} {sender._meta.label_lower}:{pk}",
    )
