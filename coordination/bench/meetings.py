"""Each forum's meetings: monthly sessions over the past year with approved minutes (each
recorded item a disclosure), and one planned session with its agenda."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from coordination.bench import texts
from coordination.bench.casework import Casework, DisclosurePlan, basis
from coordination.bench.copying import Timings, copy_rows, next_id
from coordination.bench.geography import ForumPlan
from coordination.bench.persons import CaseFilePlan
from coordination.bench.sealing import Sealer
from coordination.bench.sizes import ITEMS_PER_SESSION, SESSIONS_PER_FORUM
from coordination.models import AgendaItem, ForumSession

SESSION_FIELDS = [
    "id",
    "forum_id",
    "starts_at",
    "location",
    "status",
    "created_by_id",
    "chair_id",
    "approved_at",
    "approved_by_id",
]
ITEM_FIELDS = [
    "id",
    "session_id",
    "case_file_id",
    "kind",
    "order",
    "discussion_mode",
    "presenting_agency_id",
    "legal_paragraph",
    "legal_cooperation",
    "necessity",
    "minutes",
    "recorded_at",
    "recorded_by_id",
    "version",
]


def _managers(plan: ForumPlan) -> tuple[int, int]:
    """(coordinator, chair) of the forum (the first member stands in if none was appointed)."""
    roles = {role: pk for pk, role, _agency in plan.members}
    first = plan.members[0][0]
    return roles.get("coordinator", first), roles.get("chair", first)


def _sessions(forums: list[ForumPlan], first: int) -> Iterator[tuple[Any, ...]]:
    now = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    pk = first
    for plan in forums:
        coordinator, chair = _managers(plan)
        for month in range(SESSIONS_PER_FORUM):
            past = month < SESSIONS_PER_FORUM - 1
            starts = now - datetime.timedelta(
                days=30 * (SESSIONS_PER_FORUM - 1 - month) - 14 * (not past)
            )
            status = ForumSession.Status.APPROVED if past else ForumSession.Status.PLANNED
            approved = starts + datetime.timedelta(days=2) if past else None
            yield (
                pk,
                plan.forum.pk,
                starts,
                "Rådhuset",
                status,
                coordinator,
                chair,
                approved,
                chair if past else None,
            )
            pk += 1


def _items(
    forums: list[ForumPlan],
    by_forum: dict[int, list[CaseFilePlan]],
    first_session: int,
    pk: int,
    work: Casework,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    """Agenda items with ids from ``pk`` (no query here: the COPY holds the connection)."""
    sealer = Sealer(AgendaItem)
    now = timezone.now()
    session = first_session
    for plan in forums:
        files = by_forum.get(plan.forum.pk, [])
        _coordinator, chair = _managers(plan)
        for month in range(SESSIONS_PER_FORUM):
            past = month < SESSIONS_PER_FORUM - 1
            count = min(ITEMS_PER_SESSION, len(files))
            for order in range(count):
                cf = files[(month * ITEMS_PER_SESSION + order) % len(files)]
                _pk, _role, agency = rng.choice(plan.members)
                paragraph, cooperation = basis(agency, cf) if past else ("", "")
                stub = sealer.stub(pk, case_file=cf.stub)
                recorded = now - datetime.timedelta(days=30 * (SESSIONS_PER_FORUM - 1 - month))
                if past:
                    work.disclosures.append(
                        DisclosurePlan(recorded, chair, agency, cf, AgendaItem, pk, ["referat"])
                    )
                yield (
                    pk,
                    session,
                    cf.pk,
                    "review" if month else "new",
                    order,
                    "anonymous" if past else "",
                    agency.pk if past else None,
                    paragraph,
                    cooperation,
                    sealer.seal(stub, "necessity", texts.NECESSITY if past else None),
                    sealer.seal(stub, "minutes", texts.minutes(pk) if past else None),
                    recorded if past else None,
                    chair if past else None,
                    1,
                )
                pk += 1
            session += 1


def seed_meetings(
    forums: list[ForumPlan],
    case_files: list[CaseFilePlan],
    work: Casework,
    rng: random.Random,
    timings: Timings,
) -> dict[int, list[int]]:
    """Sessions and agenda items; returns the session ids of each forum."""
    first = next_id(ForumSession)
    copy_rows(ForumSession, SESSION_FIELDS, _sessions(forums, first), timings)
    by_forum: dict[int, list[CaseFilePlan]] = {}
    for cf in case_files:
        if not cf.closed:
            by_forum.setdefault(cf.forum.forum.pk, []).append(cf)
    copy_rows(
        AgendaItem,
        ITEM_FIELDS,
        _items(forums, by_forum, first, next_id(AgendaItem), work, rng),
        timings,
    )
    return {
        plan.forum.pk: list(
            range(first + i * SESSIONS_PER_FORUM, first + (i + 1) * SESSIONS_PER_FORUM)
        )
        for i, plan in enumerate(forums)
    }
