"""What is written on the open case files: a concern each, a helhedsplan with its actions, and
notes (some shared with the forum, each share a disclosure for the audit trail)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.models import Agency
from coordination.bench import texts
from coordination.bench.copying import Timings, copy_rows, indexes_built_after, next_id
from coordination.bench.persons import CaseFilePlan
from coordination.bench.sealing import Sealer
from coordination.bench.sizes import ACTIONS_PER_PLAN, NOTES_PER_CASE_FILE, SHARED_NOTE_SHARE
from coordination.models import Note, Plan, PlanAction
from forums.rules import cooperations_for, paragraph_for
from persons.categories import DEFAULT_CATEGORIES
from persons.models import Concern

CATEGORY_CODES = [code for code, _label in DEFAULT_CATEGORIES]


@dataclass(frozen=True)
class DisclosurePlan:
    """A disclosure to chain later, in time order (audit.Disclosure)."""

    occurred_at: datetime.datetime
    actor_id: int
    agency: Agency
    case_file: CaseFilePlan
    source_model: type[Any]
    source_id: int
    categories: list[str]


@dataclass
class Casework:
    disclosures: list[DisclosurePlan] = field(default_factory=list)
    first_note_id: int = 0  # notes of open case file i: ids first + i*NOTES_PER_CASE_FILE + j


def basis(agency: Agency, case_file: CaseFilePlan) -> tuple[str, str]:
    """The § 115 basis the services would derive (forums.rules)."""
    kind = case_file.forum.forum.kind
    letter = "a" if kind == "ksp" else None
    return paragraph_for(agency), cooperations_for(kind, letter)[0]


def _concerns(
    open_files: list[CaseFilePlan], first: int, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    sealer = Sealer(Concern)
    for i, cf in enumerate(open_files):
        pk = first + i
        creator, _role, agency = cf.forum.members[i % len(cf.forum.members)]
        coordinator = cf.forum.members[0][0]
        stub = sealer.stub(pk, case_file=cf.stub)
        text = texts.CONCERN.format(source=agency.name)
        yield (
            pk,
            cf.pk,
            agency.pk,
            None,
            rng.sample(CATEGORY_CODES, 2),
            sealer.seal(stub, "description", text),
            Concern.Decision.BRING_TO_FORUM,
            None,
            coordinator,
            cf.opened_at,
            None,
            creator,
            cf.opened_at,
        )


CONCERN_FIELDS = [
    "id",
    "case_file_id",
    "source_agency_id",
    "source_reason",
    "categories",
    "description",
    "decision",
    "decision_reason",
    "decided_by_id",
    "decided_at",
    "passed_to_id",
    "created_by_id",
    "created_at",
]


def _plans(open_files: list[CaseFilePlan], first: int, rng: random.Random) -> Iterator[Any]:
    sealer = Sealer(Plan)
    today = timezone.localdate()
    for i, cf in enumerate(open_files):
        stub = sealer.stub(first + i, case_file=cf.stub)
        review = today + datetime.timedelta(days=rng.randint(-20, 120))
        yield (first + i, cf.pk, sealer.seal(stub, "goals", texts.GOALS), review, None, 1)


def _actions(
    open_files: list[CaseFilePlan], first_plan: int, first: int, rng: random.Random
) -> Iterator[Any]:
    sealer = Sealer(PlanAction)
    today = timezone.localdate()
    now = timezone.now()
    for i, cf in enumerate(open_files):
        plan = Plan(pk=first_plan + i, case_file=cf.stub)
        for j in range(ACTIONS_PER_PLAN):
            pk = first + i * ACTIONS_PER_PLAN + j
            owner, _role, agency = rng.choice(cf.forum.members)
            roll = rng.random()
            status = "open" if roll < 0.6 else "done" if roll < 0.95 else "cancelled"
            stub = sealer.stub(pk, plan=plan)
            yield (
                pk,
                first_plan + i,
                sealer.seal(stub, "description", texts.action_text(pk)),
                agency.pk,
                owner,
                today + datetime.timedelta(days=rng.randint(-90, 90)),
                status,
                now - datetime.timedelta(days=3) if status == "done" else None,
                1,
            )


ACTION_FIELDS = [
    "id",
    "plan_id",
    "description",
    "responsible_agency_id",
    "owner_id",
    "due_date",
    "status",
    "completed_at",
    "version",
]
NOTE_FIELDS = [
    "id",
    "case_file_id",
    "body",
    "author_id",
    "agency_id",
    "visibility",
    "created_at",
    "shared_at",
    "shared_by_id",
    "necessity",
    "legal_paragraph",
    "legal_cooperation",
]


def _notes(open_files: list[CaseFilePlan], work: Casework, rng: random.Random) -> Iterator[Any]:
    sealer = Sealer(Note)
    now = timezone.now()
    for i, cf in enumerate(open_files):
        for j in range(NOTES_PER_CASE_FILE):
            pk = work.first_note_id + i * NOTES_PER_CASE_FILE + j
            author, _role, agency = rng.choice(cf.forum.members)
            created = now - datetime.timedelta(seconds=rng.randint(3600, 360 * 86400))
            stub = sealer.stub(pk, case_file=cf.stub)
            body = sealer.seal(stub, "body", texts.note_body(pk))
            if rng.random() >= SHARED_NOTE_SHARE:
                yield (
                    pk,
                    cf.pk,
                    body,
                    author,
                    agency.pk,
                    "agency",
                    created,
                    None,
                    None,
                    None,
                    "",
                    "",
                )
                continue
            paragraph, cooperation = basis(agency, cf)
            work.disclosures.append(
                DisclosurePlan(created, author, agency, cf, Note, pk, ["notat"])
            )
            yield (
                pk,
                cf.pk,
                body,
                author,
                agency.pk,
                "forum",
                created,
                created,
                author,
                sealer.seal(stub, "necessity", texts.NECESSITY),
                paragraph,
                cooperation,
            )


def seed_casework(case_files: list[CaseFilePlan], rng: random.Random, timings: Timings) -> Casework:
    open_files = [cf for cf in case_files if not cf.closed]
    copy_rows(Concern, CONCERN_FIELDS, _concerns(open_files, next_id(Concern), rng), timings)
    first_plan = next_id(Plan)
    copy_rows(
        Plan,
        ["id", "case_file_id", "goals", "review_date", "agreed_at_session_id", "version"],
        _plans(open_files, first_plan, rng),
        timings,
    )
    copy_rows(
        PlanAction,
        ACTION_FIELDS,
        _actions(open_files, first_plan, next_id(PlanAction), rng),
        timings,
    )
    work = Casework(first_note_id=next_id(Note))
    with indexes_built_after(timings, Note):
        copy_rows(Note, NOTE_FIELDS, _notes(open_files, work, rng), timings)
    return work
