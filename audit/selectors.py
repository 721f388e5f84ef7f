"""The DPO's reads: metadata only (ids, pseudonyms, actions, reasons), never content."""

from __future__ import annotations

import datetime
import random
import statistics
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent, AccessEventSubject, Disclosure


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _period(
    queryset: QuerySet[Any, Any], date_from: datetime.date | None, date_to: datetime.date | None
) -> QuerySet[Any, Any]:
    if date_from:
        queryset = queryset.filter(occurred_at__gte=_day_start(date_from))
    if date_to:
        queryset = queryset.filter(occurred_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    return queryset


def _person_filter(person: str) -> Q:
    """A person by id (digits) or by pseudonym; both indexed (GIN on PostgreSQL)."""
    person = person.strip()
    if person.isdigit():
        return Q(subjects__person_id=int(person))
    return Q(subjects__pseudonym=person.upper())


def access_events(
    *,
    person: str = "",
    user: int | None = None,
    agency: int | None = None,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AccessEvent, Any]:
    events = AccessEvent.objects.select_related("actor", "actor_agency", "content_type")
    if person:
        events = events.filter(_person_filter(person))
    if user:
        events = events.filter(actor_id=user)
    if agency:
        events = events.filter(actor_agency_id=agency)
    if action:
        events = events.filter(action=action)
    return _period(events, date_from, date_to).order_by("-seq")


def disclosures(
    *,
    person: str = "",
    forum: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Disclosure, Any]:
    rows = Disclosure.objects.select_related("actor", "from_agency", "source_type")
    if person:
        person = person.strip()
        rows = (
            rows.filter(person_id=int(person))
            if person.isdigit()
            else rows.filter(person_pseudonym=person.upper())
        )
    if forum:
        rows = rows.filter(forum_id=forum)
    return _period(rows, date_from, date_to).order_by("-seq")


def person_id_for(pseudonym: str) -> int | None:
    """The person id behind a pseudonym, as the audit trail recorded it."""
    pseudonym = pseudonym.strip().upper()
    subject = AccessEventSubject.objects.filter(pseudonym=pseudonym).only("person_id").first()
    if subject is not None:
        return subject.person_id
    row = Disclosure.objects.filter(person_pseudonym=pseudonym).only("person_id").first()
    return row.person_id if row else None


def person_changes(person_id: int) -> QuerySet[LogEntry, Any]:
    """django-auditlog rows about a person: their own rows and rows tied by additional_data."""
    own = ContentType.objects.filter(app_label="persons", model__in=["focusperson", "identity"])
    entries: QuerySet[LogEntry, Any] = (
        LogEntry.objects.filter(
            Q(additional_data__person_id=person_id)
            | Q(content_type__in=own, object_pk=str(person_id))
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )
    return entries


def user_changes(user_id: int) -> QuerySet[LogEntry, Any]:
    entries: QuerySet[LogEntry, Any] = (
        LogEntry.objects.filter(actor_id=user_id)
        .select_related("content_type")
        .order_by("-timestamp")
    )
    return entries


@dataclass(frozen=True)
class UnusualUser:
    user: User
    persons_viewed: int
    peer_median: float
    reason: str


def unusual_access(
    *, date_from: datetime.date, date_to: datetime.date, factor: float = 3.0, minimum: int = 10
) -> list[UnusualUser]:
    """Users who opened far more persons than their peers in a period.

    Counts distinct persons per user among person views; flags those above ``factor`` times
    the median of users who viewed any, and at least ``minimum``. (Persons not on any agenda
    of the user's forums will be added with the meetings.)
    """
    views = _period(
        AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_PERSON), date_from, date_to
    )
    per_user: dict[int, set[int]] = {}
    for actor_id, person_ids in views.values_list("actor_id", "person_ids").iterator(
        chunk_size=5000
    ):
        if actor_id is not None:
            per_user.setdefault(actor_id, set()).update(person_ids)
    if not per_user:
        return []
    counts = {actor: len(persons) for actor, persons in per_user.items()}
    median = statistics.median(counts.values())
    flagged = {a: c for a, c in counts.items() if c >= minimum and c > factor * median}
    users = User.objects.select_related("agency").in_bulk(list(flagged))
    return sorted(
        (
            UnusualUser(users[a], c, median, f"{c} personer mod en median på {median:g}")
            for a, c in flagged.items()
            if a in users
        ),
        key=lambda u: -u.persons_viewed,
    )


def spot_check_sample(
    *, date_from: datetime.date, date_to: datetime.date, size: int = 20, seed: str = ""
) -> list[AccessEvent]:
    """A random sample of a period's access events, drawn by sequence number (cheap at any
    table size: seq rises with time). The same seed gives the same sample."""
    bounds = _period(AccessEvent.objects.all(), date_from, date_to).aggregate(
        low=Min("seq"), high=Max("seq")
    )
    low, high = bounds["low"], bounds["high"]
    if low is None or high is None:
        return []
    rng = random.Random(f"{seed}:{date_from}:{date_to}")  # noqa: S311 - sampling, not security
    population = range(low, high + 1)
    picks = rng.sample(population, min(size, len(population)))
    return list(
        AccessEvent.objects.filter(seq__in=picks)
        .select_related("actor", "actor_agency", "spot_check")
        .order_by("seq")
    )


def action_counts(*, date_from: datetime.date, date_to: datetime.date) -> dict[str, int]:
    rows = (
        _period(AccessEvent.objects.all(), date_from, date_to)
        .values("action")
        .annotate(n=Count("id"))
    )
    return {row["action"]: row["n"] for row in rows}
