"""The audit trail: disclosures and access events chained as audit.services chains them
(``ChainedRecord.compute_hash`` on unsaved instances, in seq order), written by COPY with
their subject index, and the chain heads moved to the last row."""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audit.models import (
    GENESIS_HASH,
    AccessEvent,
    AccessEventSubject,
    ChainedRecord,
    ChainHead,
    Disclosure,
)
from audit.services import _sealed_aad  # the one definition of a sealed reason's associated data
from coordination.bench import texts
from coordination.bench.casework import DisclosurePlan, basis
from coordination.bench.copying import Timings, copy_rows, indexes_built_after, next_id
from coordination.bench.people import BenchUser
from coordination.bench.persons import CaseFilePlan
from core import crypto
from persons.models import CaseFile, FocusPerson

CHUNK = 50_000
PERSON_PAGE = "coordination:person-detail"
PERSON_LIST = "coordination:person-list"


class Chain:
    """Links records of one chain in the order they are given."""

    def __init__(self, model: type[ChainedRecord]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        # Shared by every record: none is mutated here, and this keeps a column added later
        # (with its default) in the hash as the services would hash it.
        self.defaults = [f.get_default() for f in fields]
        self.seq, self.head = 0, GENESIS_HASH

    def record(self, **values: Any) -> Any:
        """An unsaved instance, built positionally (Django's fast path, as from_db does)."""
        if not self.seq and set(values) - set(self.attnames):  # a misspelt name, once
            raise ValueError(
                f"{self.model.__name__}: no {sorted(set(values) - set(self.attnames))}"
            )
        pairs = zip(self.attnames, self.defaults, strict=True)
        model: Any = self.model  # positional fields: beyond what the stubs can type
        return model(*[values.get(name, default) for name, default in pairs])

    def link(
        self, record: ChainedRecord, seal: Callable[[ChainedRecord], None] | None = None
    ) -> tuple[Any, ...]:
        self.seq += 1
        record.seq, record.prev_hash = self.seq, self.head
        if seal is not None:
            seal(record)  # the associated data names the row's seq
        record.row_hash = self.head = record.compute_hash()
        return tuple(getattr(record, name) for name in self.attnames)

    def save_head(self) -> None:
        ChainHead.objects.update_or_create(
            chain=self.model.CHAIN, defaults={"seq": self.seq, "row_hash": self.head}
        )


def _sealer(key: Any, text: str) -> Callable[[ChainedRecord], None]:
    def seal(record: ChainedRecord) -> None:
        record.data_key_id = key.pk  # type: ignore[attr-defined]
        record.sealed_reason = crypto.encrypt_value(  # type: ignore[attr-defined]
            key.plaintext_key(), text, _sealed_aad(record)
        )

    return seal


def seed_disclosures(plans: list[DisclosurePlan], timings: Timings) -> None:
    chain = Chain(Disclosure)
    first = next_id(Disclosure)
    types = {
        model: ContentType.objects.get_for_model(model).pk
        for model in {plan.source_model for plan in plans}
    }

    def rows() -> Iterator[tuple[Any, ...]]:
        for i, plan in enumerate(sorted(plans, key=lambda p: (p.occurred_at, p.source_id))):
            cf = plan.case_file
            paragraph, cooperation = basis(plan.agency, cf)
            record = chain.record(
                id=first + i,
                occurred_at=plan.occurred_at,
                actor_id=plan.actor_id,
                from_agency_id=plan.agency.pk,
                to_agency_ids=sorted({ag.pk for _u, _r, ag in cf.forum.members} - {plan.agency.pk}),
                forum_id=cf.forum.forum.pk,
                source_type_id=types[plan.source_model],
                source_id=plan.source_id,
                person_id=cf.person_id,
                person_pseudonym=cf.pseudonym,
                paragraph=paragraph,
                cooperation=cooperation,
                necessity="",
                data_categories=sorted(plan.categories),
            )
            yield chain.link(record, _sealer(cf.key, texts.NECESSITY))

    copy_rows(Disclosure, chain.attnames, rows(), timings)
    chain.save_head()


class _Reads:
    """Plausible reads: a member opens a person of one of their forums, now and then a list
    of the forum or a case file."""

    def __init__(
        self, members: list[BenchUser], case_files: list[CaseFilePlan], rng: random.Random
    ) -> None:
        self.rng = rng
        self.members = [m for m in members if m.forums]
        self.by_forum: dict[int, list[CaseFilePlan]] = {}
        for cf in case_files:
            if not cf.closed:
                self.by_forum.setdefault(cf.forum.forum.pk, []).append(cf)
        self.person_type = ContentType.objects.get_for_model(FocusPerson).pk
        self.case_file_type = ContentType.objects.get_for_model(CaseFile).pk
        # municipality -> (person id, pseudonym, actor id) of a read by one of its agencies:
        # what the DPO of that municipality can look up
        self.witness: dict[int, tuple[int, str, int]] = {}

    def event(
        self, chain: Chain, pk: int, occurred_at: datetime.datetime
    ) -> tuple[AccessEvent, list[CaseFilePlan]]:
        rng = self.rng
        user = rng.choice(self.members)
        forum = rng.choice(user.forums).forum
        files = self.by_forum.get(forum.pk) or [
            cf for fs in self.by_forum.values() for cf in fs[:1]
        ]
        roll = rng.random()
        if roll < 0.05:
            shown = rng.sample(files, min(10, len(files)))
            action, content_type, object_ids, purpose = (
                AccessEvent.Action.LIST_PERSONS,
                self.person_type,
                [str(cf.person_id) for cf in shown],
                PERSON_LIST,
            )
        else:
            shown = [rng.choice(files)]
            as_case_file = roll < 0.1
            action = (
                AccessEvent.Action.VIEW_CASE_FILE
                if as_case_file
                else AccessEvent.Action.VIEW_PERSON
            )
            content_type = self.case_file_type if as_case_file else self.person_type
            object_ids = [str(shown[0].pk if as_case_file else shown[0].person_id)]
            purpose = PERSON_PAGE
        event = chain.record(
            id=pk,
            occurred_at=occurred_at,
            actor_id=user.pk,
            actor_agency_id=user.agency.pk if user.agency else None,
            action=action,
            content_type_id=content_type,
            object_ids=object_ids,
            person_ids=[cf.person_id for cf in shown],
            person_pseudonyms=[cf.pseudonym for cf in shown],
            request_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            ip_address=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            forum_ids=[forum.pk],
            purpose=purpose,
        )
        if user.agency is not None:
            witness = (shown[0].person_id, shown[0].pseudonym, user.pk)
            self.witness.setdefault(user.agency.municipality_id, witness)
        return event, shown


def _chunk(
    reads: _Reads,
    chain: Chain,
    ids: range,
    start: datetime.datetime,
    step: datetime.timedelta,
    subject_pk: int,
    timings: Timings,
) -> int:
    """One batch of events with their subjects; returns the next free subject id."""
    started = time.perf_counter()
    events, subjects = [], []
    for i in ids:
        event, shown = reads.event(chain, i, start + step * i)
        events.append(chain.link(event))
        for cf in shown:
            subjects.append((subject_pk, event.pk, cf.person_id, cf.pseudonym))
            subject_pk += 1
    timings.add(AccessEvent._meta.db_table, 0, time.perf_counter() - started)
    copy_rows(AccessEvent, chain.attnames, events, timings)
    copy_rows(AccessEventSubject, ["id", "event_id", "person_id", "pseudonym"], subjects, timings)
    return subject_pk


def seed_access_events(
    count: int,
    members: list[BenchUser],
    case_files: list[CaseFilePlan],
    rng: random.Random,
    timings: Timings,
) -> dict[int, tuple[int, str, int]]:
    """``count`` events over the past year, in time order, chained, with their subjects;
    returns per municipality a person and an actor some of its agencies' reads concern."""
    reads = _Reads(members, case_files, rng)
    chain = Chain(AccessEvent)
    first, subject_pk = next_id(AccessEvent), next_id(AccessEventSubject)
    step = datetime.timedelta(days=365) / count
    start = timezone.now() - datetime.timedelta(days=365) - step * first
    with indexes_built_after(timings, AccessEvent, AccessEventSubject):
        for offset in range(first, first + count, CHUNK):
            ids = range(offset, min(first + count, offset + CHUNK))
            subject_pk = _chunk(reads, chain, ids, start, step, subject_pk, timings)
    chain.save_head()
    return reads.witness
