"""The DPO's reads: metadata only (ids, pseudonyms, actions, reasons), never content, and only
of the DPO's own municipality (``Scope``): every read here takes a scope, so none can forget it."""

from __future__ import annotations

import datetime
import random
import statistics
from dataclasses import dataclass
from typing import Any, ClassVar

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Agency, Municipality, User
from audit.models import AccessEvent, AccessEventSubject, Disclosure, PseudonymAlias
from core.permissions import AnyUser


@dataclass(frozen=True)
class Scope:
    """The municipalities whose audit records a DPO sees (``None``: all of them).

    The rule: a record belongs to the municipality of the agency that acted. An access event
    belongs to its actor's agency (``actor_agency``), a disclosure to the disclosing agency
    (``from_agency``), a change-log entry to its actor's agency, a user to their agency; each
    agency has one municipality, its seat. The audit app knows no forums or persons (it imports
    only core and accounts) and stores nothing more, so the person's or the forum's municipality
    plays no part: an agency serving several municipalities (a police district, a region) is
    seen by the DPO of its seat. A person's history is shown only if one of the municipality's
    records concerns the person; a person or user of another municipality is a 404, exactly
    like one that does not exist. A DPO sees their own agency's municipality, widened for a DPO
    shared by several by ``settings.AUDIT_DPO_MUNICIPALITIES`` (codes, or "*" for all)."""

    municipality_ids: frozenset[int] | None

    ALL: ClassVar[Scope]

    def agency_ids(self) -> QuerySet[Agency, Any]:
        return Agency.objects.filter(municipality_id__in=self.municipality_ids or ()).values("pk")

    def access_events(self, events: QuerySet[AccessEvent, Any]) -> QuerySet[AccessEvent, Any]:
        if self.municipality_ids is None:
            return events
        return events.filter(actor_agency_id__in=self.agency_ids())

    def disclosures(self, rows: QuerySet[Disclosure, Any]) -> QuerySet[Disclosure, Any]:
        if self.municipality_ids is None:
            return rows
        return rows.filter(from_agency_id__in=self.agency_ids())

    def users(self, users: QuerySet[User, Any]) -> QuerySet[User, Any]:
        if self.municipality_ids is None:
            return users
        return users.filter(agency_id__in=self.agency_ids())

    def agencies(self, agencies: QuerySet[Agency, Any]) -> QuerySet[Agency, Any]:
        if self.municipality_ids is None:
            return agencies
        return agencies.filter(municipality_id__in=self.municipality_ids)


Scope.ALL = Scope(None)


def scope_of(user: AnyUser) -> Scope:
    """The DPO's scope: their agency's municipality plus those the settings add for them."""
    email = str(getattr(user, "email", "") or "").lower()
    codes = settings.AUDIT_DPO_MUNICIPALITIES.get(email, frozenset()) if email else frozenset()
    if "*" in codes:
        return Scope.ALL
    ids = set(Municipality.objects.filter(code__in=codes).values_list("pk", flat=True))
    agency = getattr(user, "agency", None)
    if agency is not None:
        ids.add(agency.municipality_id)
    return Scope(frozenset(ids))


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


def _person_ids(person: str) -> list[int]:
    """A person given by id (digits) or by pseudonym. A pseudonym names the person it was
    recorded with, and an old pseudonym (renamed, kept in PseudonymAlias) names the same person,
    so a history looked up by either name shows the records written under both."""
    person = person.strip().upper()
    if person.isascii() and person.isdigit():  # "²".isdigit() too, but int("²") fails
        return [int(person)]
    ids = set(PseudonymAlias.objects.filter(pseudonym=person).values_list("person_id", flat=True))
    for recorded in (
        AccessEventSubject.objects.filter(pseudonym=person).values_list("person_id", flat=True),
        Disclosure.objects.filter(person_pseudonym=person).values_list("person_id", flat=True),
    ):
        first = recorded.first()
        if first is not None:
            ids.add(first)
    return sorted(ids)


def _person_filter(person: str) -> Q:
    return Q(subjects__person_id__in=_person_ids(person))


def access_events(
    *,
    scope: Scope,
    person: str = "",
    user: int | None = None,
    agency: int | None = None,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AccessEvent, Any]:
    events = scope.access_events(
        AccessEvent.objects.select_related("actor", "actor_agency", "content_type")
    )
    if person:
        events = events.filter(_person_filter(person))
    if user:
        events = events.filter(actor_id=user)
    if agency:
        events = events.filter(actor_agency_id=agency)
    if action:
        events = events.filter(action=action)
    # Newest first, pending reads (no seq yet) included; the indexes lead with the time.
    return _period(events, date_from, date_to).order_by("-occurred_at", "-id")


def disclosures(
    *,
    scope: Scope,
    person: str = "",
    forum: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Disclosure, Any]:
    rows = scope.disclosures(
        Disclosure.objects.select_related("actor", "from_agency", "source_type")
    )
    if person:
        rows = rows.filter(person_id__in=_person_ids(person))
    if forum:
        rows = rows.filter(forum_id=forum)
    return _period(rows, date_from, date_to).order_by("-occurred_at", "-id")


def person_id_for(person: str, *, scope: Scope) -> int | None:
    """The person id behind a pseudonym (or an id), as the scope's records recorded it; None
    for a person no record of the scope concerns (unknown, or another municipality's)."""
    ids = _person_ids(person)
    subjects = AccessEventSubject.objects.filter(
        person_id__in=ids, event__in=scope.access_events(AccessEvent.objects.all())
    )
    subject = subjects.only("person_id").first()
    if subject is not None:
        return subject.person_id
    rows = scope.disclosures(Disclosure.objects.all()).filter(person_id__in=ids)
    row = rows.only("person_id").first()
    return row.person_id if row else None


def person_changes(person_id: int, *, scope: Scope) -> QuerySet[LogEntry, Any]:
    """django-auditlog rows about a person: their own rows and rows tied by additional_data,
    made by the scope's users or by the system (no actor)."""
    own = ContentType.objects.filter(app_label="persons", model__in=["focusperson", "identity"])
    entries: QuerySet[LogEntry, Any] = LogEntry.objects.filter(
        Q(additional_data__person_id=person_id) | Q(content_type__in=own, object_pk=str(person_id))
    )
    if scope.municipality_ids is not None:
        actors = scope.users(User.objects.all()).values("pk")
        entries = entries.filter(Q(actor__isnull=True) | Q(actor_id__in=actors))
    return entries.select_related("actor", "content_type").order_by("-timestamp")


def user_get(pk: int, *, scope: Scope) -> User | None:
    """A user of the scope (None for another municipality's user, as for an unknown one)."""
    return scope.users(User.objects.select_related("agency")).filter(pk=pk).first()


def user_changes(user_id: int) -> QuerySet[LogEntry, Any]:
    """Changes made by one user; fetch the user with ``user_get`` first (that is the scope)."""
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
    *,
    scope: Scope,
    date_from: datetime.date,
    date_to: datetime.date,
    factor: float = 3.0,
    minimum: int = 10,
) -> list[UnusualUser]:
    """Users who opened far more persons than their peers in a period.

    Counts distinct persons per user among person views; flags those above ``factor`` times
    the median of users who viewed any, and at least ``minimum``; peers are the scope's users.
    (Persons not on any agenda of the user's forums will be added with the meetings.)
    """
    views = _period(
        scope.access_events(AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_PERSON)),
        date_from,
        date_to,
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


# At most this many sequence numbers are drawn for one sample (a scope with very few events in
# a long, busy period may then get fewer than asked for).
SAMPLE_DRAWS_MAX = 100_000


def spot_check_sample(
    *,
    scope: Scope,
    date_from: datetime.date,
    date_to: datetime.date,
    size: int = 20,
    seed: str = "",
) -> list[AccessEvent]:
    """A random sample of a period's access events in the scope, drawn by sequence number (cheap
    at any table size: seq rises with time). The numbers are drawn in a seeded order and looked
    up in doubling batches until ``size`` events of the scope are found, so a municipality that
    shares the table with others still gets a full sample. The same seed gives the same sample."""
    events = scope.access_events(_period(AccessEvent.objects.all(), date_from, date_to))
    bounds = events.aggregate(low=Min("seq"), high=Max("seq"))
    low, high = bounds["low"], bounds["high"]
    if low is None or high is None:
        return []
    rng = random.Random(f"{seed}:{date_from}:{date_to}")  # noqa: S311 - sampling, not security
    population = range(low, high + 1)
    draws = rng.sample(population, min(len(population), SAMPLE_DRAWS_MAX))
    sample: list[AccessEvent] = []
    start, batch = 0, size
    while len(sample) < size and start < len(draws):
        picks = draws[start : start + batch]
        hits = {
            e.seq: e
            for e in events.filter(seq__in=picks).select_related(
                "actor", "actor_agency", "spot_check"
            )
        }
        sample.extend(hits[seq] for seq in picks if seq in hits)
        start, batch = start + batch, batch * 2
    return sorted(sample[:size], key=lambda e: e.seq or 0)


def action_counts(
    *, scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> dict[str, int]:
    rows = (
        _period(scope.access_events(AccessEvent.objects.all()), date_from, date_to)
        .values("action")
        .annotate(n=Count("id"))
    )
    return {row["action"]: row["n"] for row in rows}


def audit_backlog() -> tuple[int, float]:
    """Access events waiting for their place in the chain, and the age in seconds of the
    oldest of them (0.0 when none): the sequencer's delay, for verification and monitoring."""
    pending = AccessEvent.objects.filter(seq__isnull=True).aggregate(
        count=Count("id"), oldest=Min("occurred_at")
    )
    if not pending["count"]:
        return 0, 0.0
    return pending["count"], max(0.0, (timezone.now() - pending["oldest"]).total_seconds())
