"""Focus persons with their identity, and their case files: one open case file per person in
a forum of their municipality, and for a few a closed one in another forum."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from coordination.bench import texts
from coordination.bench.copying import Timings, copy_rows, next_id
from coordination.bench.geography import ForumPlan
from coordination.bench.sealing import DATA_KEY_FIELDS, Sealer, data_key_row, mint_key
from core.crypto import blind_index
from core.models import DataKey
from forums.models import ForumKind
from persons.models import PSEUDONYM_ALPHABET, CaseFile, FocusPerson, Identity
from persons.services import PERSON_ID_FLOOR, PERSON_ID_SPAN

AGES: dict[str, tuple[int, int]] = {
    ForumKind.SSP: (12, 17),
    ForumKind.S115: (12, 17),
    ForumKind.SSP_PLUS: (18, 25),
    ForumKind.PSP: (18, 45),
    ForumKind.KSP: (18, 45),
}


@dataclass
class CaseFilePlan:
    pk: int
    index: int  # the person's index: texts are derived from it
    person_id: int
    pseudonym: str
    forum: ForumPlan
    key: DataKey
    stub: CaseFile  # unsaved, with its id and data key: what the sealed fields need
    opened_at: datetime.datetime
    closed: bool = False


@dataclass
class PersonRow:
    pk: int
    index: int
    pseudonym: str
    birth: datetime.date
    cpr: str
    forum: ForumPlan
    key: DataKey


def _pseudonyms(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        chars = "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))
        seen.add(f"{chars[:4]}-{chars[4:]}")
    ordered = sorted(seen)
    rng.shuffle(ordered)
    return ordered


def _birth(rng: random.Random, kind: str, today: datetime.date) -> datetime.date:
    low, high = AGES.get(kind, (15, 30))
    age = rng.randint(low, high)
    return datetime.date(today.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))


def _person_rows(forums: list[ForumPlan], count: int, rng: random.Random) -> list[PersonRow]:
    today = timezone.localdate()
    pseudonyms = _pseudonyms(rng, count)
    ids = sorted({rng.randrange(PERSON_ID_SPAN) + PERSON_ID_FLOOR for _ in range(count * 2)})
    ids = rng.sample(ids, count)
    suffixes: dict[datetime.date, int] = {}
    rows = []
    for i in range(count):
        forum = forums[i % len(forums)]
        birth = _birth(rng, forum.forum.kind, today)
        suffixes[birth] = suffixes.get(birth, 4000) + 1  # 7th digit 4: century from the year
        cpr = f"{birth:%d%m%y}{suffixes[birth]}"
        rows.append(PersonRow(ids[i], i, pseudonyms[i], birth, cpr, forum, mint_key(rng)))
    return rows


def _write_persons(rows: list[PersonRow], timings: Timings) -> None:
    now = timezone.now()
    fields = [
        "id",
        "pseudonym",
        "birth_year",
        "birth_month",
        "status",
        "municipality_id",
        "data_key_id",
        "created_at",
    ]
    copy_rows(
        FocusPerson,
        fields,
        (
            (
                r.pk,
                r.pseudonym,
                r.birth.year,
                r.birth.month,
                FocusPerson.Status.ACTIVE,
                r.forum.forum.municipality_id,
                r.key.pk,
                now - datetime.timedelta(days=200),
            )
            for r in rows
        ),
        timings,
    )
    sealer = Sealer(Identity)

    def identities() -> Any:
        for r in rows:
            person = FocusPerson(pk=r.pk, data_key=r.key)
            stub = sealer.stub(r.pk, person=person)
            code = r.forum.forum.municipality.code
            yield (
                r.pk,
                sealer.seal(stub, "name", texts.person_name(r.index)),
                sealer.seal(stub, "cpr", r.cpr),
                sealer.seal(stub, "birth_date", r.birth.isoformat()),
                sealer.seal(stub, "address", texts.address(r.index)),
                blind_index(scope=code, value=r.cpr),
            )

    copy_rows(
        Identity,
        ["person_id", "name", "cpr", "birth_date", "address", "cpr_index"],
        identities(),
        timings,
    )


def _plans(rows: list[PersonRow], rng: random.Random) -> list[CaseFilePlan]:
    first = next_id(CaseFile)
    now = timezone.now()
    plans: list[CaseFilePlan] = []
    for r in rows:
        key = mint_key(rng)
        opened = now - datetime.timedelta(days=rng.randint(30, 360))
        stub = CaseFile(pk=first + len(plans), data_key=key)
        plans.append(CaseFilePlan(stub.pk, r.index, r.pk, r.pseudonym, r.forum, key, stub, opened))
    return plans


def _closed(
    rows: list[PersonRow], forums: list[ForumPlan], share: float, rng: random.Random, first: int
) -> list[CaseFilePlan]:
    """An earlier, closed case file on another forum of the person's municipality."""
    now = timezone.now()
    siblings: dict[int, list[ForumPlan]] = {}
    for plan in forums:
        siblings.setdefault(plan.forum.municipality_id, []).append(plan)
    chosen = sorted(rng.sample(range(len(rows)), round(len(rows) * share)))
    plans: list[CaseFilePlan] = []
    for i in chosen:
        r = rows[i]
        others = [f for f in siblings[r.forum.forum.municipality_id] if f is not r.forum]
        forum = rng.choice(others or [r.forum])
        key = mint_key(rng)
        stub = CaseFile(pk=first + len(plans), data_key=key)
        opened = now - datetime.timedelta(days=rng.randint(200, 400))
        plans.append(
            CaseFilePlan(stub.pk, r.index, r.pk, r.pseudonym, forum, key, stub, opened, closed=True)
        )
    return plans


CASE_FILE_FIELDS = [
    "id",
    "person_id",
    "forum_id",
    "opened_at",
    "opened_by_id",
    "closed_at",
    "closed_reason",
    "discussion_mode",
    "named_reason",
    "consent",
    "ksp_letter",
    "known_name",
    "known_cpr",
    "known_birth_date",
    "known_address",
    "expected_release_date",
    "last_activity_at",
    "data_key_id",
]


def _case_file_row(
    plan: CaseFilePlan, person: PersonRow, sealer: Sealer, rng: random.Random
) -> tuple[Any, ...]:
    now = timezone.now()
    opener = plan.forum.members[0][0]
    stub = plan.stub
    named = not plan.closed and plan.index % 10 == 0
    ksp = plan.forum.forum.kind == ForumKind.KSP
    release = timezone.localdate() + datetime.timedelta(days=rng.randint(10, 400)) if ksp else None
    closed_at = now - datetime.timedelta(days=rng.randint(1, 60)) if plan.closed else None
    known: list[bytes | None] = (
        [None] * 4
        if plan.closed
        else [
            sealer.seal(stub, "known_name", texts.person_name(plan.index)),
            sealer.seal(stub, "known_cpr", person.cpr),
            sealer.seal(stub, "known_birth_date", person.birth.isoformat()),
            sealer.seal(stub, "known_address", texts.address(plan.index)),
        ]
    )
    return (
        plan.pk,
        plan.person_id,
        plan.forum.forum.pk,
        plan.opened_at,
        opener,
        closed_at,
        sealer.seal(stub, "closed_reason", texts.CLOSED_REASON if plan.closed else None),
        CaseFile.Mode.NAMED if named else CaseFile.Mode.ANONYMOUS,
        sealer.seal(stub, "named_reason", texts.NAMED_REASON if named else None),
        CaseFile.Consent.OBTAINED if named else CaseFile.Consent.NOT_SOUGHT,
        "a" if ksp else "",
        *known,
        release,
        closed_at or now - datetime.timedelta(days=2),
        plan.key.pk,
    )


def seed_persons(
    forums: list[ForumPlan], count: int, closed_share: float, rng: random.Random, timings: Timings
) -> list[CaseFilePlan]:
    """Persons, identities, and their case files; returns the case files, open ones first."""
    rows = _person_rows(forums, count, rng)
    open_plans = _plans(rows, rng)
    closed = _closed(rows, forums, closed_share, rng, open_plans[-1].pk + 1)
    created = timezone.now() - datetime.timedelta(days=400)
    keys = [r.key for r in rows] + [p.key for p in open_plans + closed]
    copy_rows(DataKey, DATA_KEY_FIELDS, (data_key_row(k, created) for k in keys), timings)
    _write_persons(rows, timings)
    by_index = {r.index: r for r in rows}
    sealer = Sealer(CaseFile)
    copy_rows(
        CaseFile,
        CASE_FILE_FIELDS,
        (_case_file_row(p, by_index[p.index], sealer, rng) for p in open_plans + closed),
        timings,
    )
    return open_plans + closed
