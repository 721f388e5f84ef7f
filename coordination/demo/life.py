"""A year of forum life for the demo (issue 11), built once through the services so that
encryption, rules, disclosures and audit apply as in real use: concerns registered and
decided, consent recorded, past sessions recorded and approved, helhedsplaner with actions,
the next session of each forum with its proposed agenda, reads and reveals for the DPO, and
the reminders the worker would send.

The services date everything now and refuse sessions in the past, so the year is built today
and then moved back in one place (``Backdating.apply``), which moves the domain rows only:
audit rows are never touched (their timestamps are covered by the hash chain)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent
from coordination import reminders
from coordination.demo import stories
from coordination.demo.base import PERSONS, user
from coordination.meetings import (
    agenda_add,
    agenda_remove,
    forum_chair,
    item_record,
    session_approve,
    session_create,
)
from coordination.models import AgendaItem, ForumSession, PlanAction
from coordination.plans import action_create, action_update, plan_save
from forums.models import Forum, Membership
from persons.models import CaseFile, Concern, ConsentRecord, FocusPerson
from persons.selectors import person_get_for
from persons.services import (
    IdentityInput,
    casefile_update,
    concern_register,
    identity_reveal,
    person_find_by_cpr,
    person_grant_create,
)
from persons.workflow import concern_decide, consent_record

FIRST_ITEM_DELAY = datetime.timedelta(minutes=30)
APPROVED_AFTER = datetime.timedelta(days=2)
CONCERN_BEFORE_SESSION = datetime.timedelta(days=12)
DECIDED_AFTER = datetime.timedelta(days=3)
POLICE_BROWSING = 12  # distinct persons: above the unusual-access threshold (audit.selectors)


@dataclass
class Case:
    """One person's case file in the demo, and the year it is to have."""

    key: str
    case_file: CaseFile
    concern: Concern
    reporter: User
    opened: datetime.datetime
    sessions: tuple[int, ...]
    plan: stories.Plan | None
    consents: tuple[stories.Consent, ...]


@dataclass
class Backdating:
    """Where each row built today belongs in the past year."""

    opened: dict[int, datetime.datetime] = field(default_factory=dict)  # case files
    concerns: dict[int, tuple[datetime.datetime, datetime.datetime | None]] = field(
        default_factory=dict
    )
    sessions: dict[int, tuple[datetime.datetime, datetime.datetime]] = field(default_factory=dict)
    recorded: dict[int, datetime.datetime] = field(default_factory=dict)  # agenda items
    completed: dict[int, datetime.datetime] = field(default_factory=dict)  # plan actions
    consents: dict[int, datetime.datetime] = field(default_factory=dict)

    def apply(self) -> None:
        """THE ONE PLACE where demo rows are moved into the past, by queryset update (the
        models' services only write "now"). Domain rows only, never audit rows: the audit
        trail keeps the real time of seeding, and its hash chain stays valid."""
        for pk, opened in self.opened.items():
            CaseFile.objects.filter(pk=pk).update(opened_at=opened)
        for pk, (created, decided) in self.concerns.items():
            Concern.objects.filter(pk=pk).update(created_at=created)
            if decided is not None:
                Concern.objects.filter(pk=pk).update(decided_at=decided)
        for pk, (starts, approved) in self.sessions.items():
            ForumSession.objects.filter(pk=pk).update(starts_at=starts, approved_at=approved)
        for pk, recorded in self.recorded.items():
            AgendaItem.objects.filter(pk=pk).update(recorded_at=recorded)
        for pk, completed in self.completed.items():
            PlanAction.objects.filter(pk=pk).update(completed_at=completed)
        for pk, recorded in self.consents.items():
            ConsentRecord.objects.filter(pk=pk).update(recorded_at=recorded)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _weekday(day: datetime.date, *, forward: bool) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1 if forward else -1)
    return day


def session_time(months_ago: int) -> datetime.datetime:
    day = timezone.localdate() - relativedelta(months=months_ago)
    return _at(_weekday(day, forward=False), 14)


def _coordinator(forum: Forum) -> User:
    membership = (
        Membership.objects.current()
        .filter(forum=forum, role=Membership.Role.COORDINATOR)
        .select_related("user")
        .order_by("valid_from", "pk")
        .first()
    )
    if membership is None:
        raise LookupError(f"demo forum {forum.name} has no coordinator")
    return membership.user


def turning_18_cpr(serial: str = "321") -> str:
    """A CPR of someone who turns 18 two months from today (7th digit 4: born 2000-2036)."""
    born = timezone.localdate() + relativedelta(months=2) - relativedelta(years=18)
    return f"{born:%d%m%y}4{serial}"


def _opened(sessions: tuple[int, ...], months_ago: int, days_ago: int) -> datetime.datetime:
    if sessions:
        return session_time(max(sessions)) - CONCERN_BEFORE_SESSION
    if months_ago:
        return _at(timezone.localdate() - relativedelta(months=months_ago), 10)
    return timezone.now() - datetime.timedelta(days=days_ago)


def _register(story: stories.Story, forums: dict[str, Forum]) -> Case:
    forum = forums[story.forum]
    reporter = user(story.reporter)
    result = concern_register(
        actor=reporter,
        forum=forum,
        identity=IdentityInput(name=story.name, cpr=story.cpr or turning_18_cpr()),
        categories=list(story.categories),
        description=story.description,
        source_agency=reporter.agency,
        necessity=stories.NECESSITY,
    )
    return Case(
        key=story.key,
        case_file=result.concern.case_file,
        concern=result.concern,
        reporter=reporter,
        opened=_opened(story.sessions, story.months_ago, story.days_ago),
        sessions=story.sessions,
        plan=story.plan,
        consents=story.consents,
    )


def _cast_cases(forums: dict[str, Forum]) -> list[Case]:
    """The persons of coordination.demo.base that are still open, with their year."""
    cases = []
    for forum_name, reporter, name, cpr, *_rest in PERSONS:
        year = stories.CAST_YEAR.get(name)
        person = person_find_by_cpr(forum=forums[forum_name], cpr=cpr)
        if year is None or person is None:
            continue
        case_file = CaseFile.objects.open().filter(person=person, forum=forums[forum_name]).first()
        if case_file is None:
            continue
        concern = case_file.concerns.order_by("created_at", "pk").first()
        if concern is None:
            continue
        cases.append(
            Case(
                key=name,
                case_file=case_file,
                concern=concern,
                reporter=user(reporter),
                opened=_opened(year.sessions, year.months_ago, 0),
                sessions=year.sessions,
                plan=year.plan,
                consents=year.consents,
            )
        )
    return cases


def _decide(
    case: Case, story: stories.Story | None, forums: dict[str, Forum], dates: Backdating
) -> None:
    decision = story.decision if story else Concern.Decision.BRING_TO_FORUM
    decided = None
    if decision != Concern.Decision.PENDING:
        forum = case.case_file.forum
        concern = concern_decide(
            actor=_coordinator(forum),
            concern=case.concern,
            decision=decision,
            reason=story.reason if story else "",
            target_forum=forums[story.target] if story and story.target else None,
        )
        decided = case.opened + DECIDED_AFTER
        if concern.passed_to is not None:
            dates.concerns[concern.passed_to.pk] = (decided, None)
            dates.opened[concern.passed_to.case_file_id] = decided
    dates.opened[case.case_file.pk] = case.opened
    dates.concerns[case.concern.pk] = (case.opened, decided)


def _consents(case: Case, dates: Backdating) -> None:
    coordinator = _coordinator(case.case_file.forum)
    for consent in case.consents:
        given_on = min(
            timezone.localdate(),
            timezone.localdate(case.opened) + datetime.timedelta(days=consent.days_after_opening),
        )
        record = consent_record(
            actor=coordinator,
            case_file=case.case_file,
            given_by=consent.given_by,
            decision=consent.decision,
            given_on=given_on,
            note=consent.note,
        )
        dates.consents[record.pk] = _at(given_on, 12)


def _minutes(case: Case, first: bool, turn: int) -> str:
    agency = case.reporter.agency
    if first:
        return (
            f"{agency} fremlagde bekymringen. {stories.MINUTES_SENTENCE} Forummet aftalte at "
            "udarbejde en helhedsplan og følge op på et senere møde."
        )
    progress = stories.PROGRESS[turn % len(stories.PROGRESS)]
    return (
        f"Status fra {agency}: {progress}. {stories.MINUTES_SENTENCE} Indsatsen fortsætter "
        "som aftalt i helhedsplanen."
    )


def _attendees(forum: Forum, day: datetime.date) -> list[User]:
    """Members then and now (the recording checks today's membership, the year the other).
    Seats of an older seed may start after the day: then today's members."""
    now = Membership.objects.current().filter(forum=forum)
    then = Membership.objects.current(day).filter(forum=forum).values("user_id")
    users = User.objects.filter(memberships__in=now.filter(user_id__in=then)).distinct()
    if not users.exists():
        users = User.objects.filter(memberships__in=now).distinct()
    return list(users.order_by("pk"))


def _past_sessions(forum: Forum, cases: list[Case], dates: Backdating) -> dict[str, ForumSession]:
    """Record and approve the forum's past sessions, oldest first; returns each case's last."""
    coordinator = _coordinator(forum)
    months = sorted({m for case in cases for m in case.sessions}, reverse=True)
    last: dict[str, ForumSession] = {}
    for months_ago in months:
        starts = session_time(months_ago)
        on_agenda = [case for case in cases if months_ago in case.sessions]
        session = session_create(
            actor=coordinator,
            forum=forum,
            starts_at=timezone.now() + datetime.timedelta(hours=1),
            location="Mødelokalet, Rådhuset",
        )
        wanted = {case.case_file.pk for case in on_agenda}
        for item in list(session.items.all()):
            if item.case_file_id not in wanted:
                agenda_remove(actor=coordinator, item=item)
        present = set(session.items.values_list("case_file_id", flat=True))
        for case in on_agenda:
            first = months_ago == max(case.sessions)
            if case.case_file.pk not in present:
                kind = AgendaItem.Kind.NEW_CONCERN if first else AgendaItem.Kind.REVIEW
                agenda_add(actor=coordinator, session=session, case_file=case.case_file, kind=kind)
        attendees = _attendees(forum, starts.date())
        by_case = {case.case_file.pk: case for case in on_agenda}
        for order, item in enumerate(session.items.order_by("order", "pk")):
            case = by_case[item.case_file_id]
            first = months_ago == max(case.sessions)
            item_record(
                actor=coordinator,
                item=item,
                mode=case.case_file.discussion_mode,
                necessity=stories.NECESSITY,
                presenting_agency=case.reporter.agency,  # type: ignore[arg-type]
                minutes=_minutes(case, first, months_ago + order),
                attendees=attendees,
            )
            dates.recorded[item.pk] = starts + FIRST_ITEM_DELAY * (order + 1)
            last[case.key] = session
        session.refresh_from_db()
        session_approve(
            actor=session.chair or forum_chair(forum.pk) or coordinator, session=session
        )
        dates.sessions[session.pk] = (starts, _at(starts.date() + APPROVED_AFTER, 10))
    return last


def _plan(case: Case, agreed: ForumSession | None, dates: Backdating) -> None:
    if case.plan is None:
        return
    today = timezone.localdate()
    coordinator = _coordinator(case.case_file.forum)
    review = case.plan.review_in_days
    plan = plan_save(
        actor=coordinator,
        case_file=case.case_file,
        goals=case.plan.goals,
        review_date=today + datetime.timedelta(days=review) if review is not None else None,
        agreed_at_session=agreed,
    )
    for spec in case.plan.actions:
        owner = user(spec.owner)
        due = today + datetime.timedelta(days=spec.due_in_days)
        action = action_create(
            actor=coordinator,
            plan=plan,
            description=spec.text,
            responsible_agency=owner.agency,  # type: ignore[arg-type]
            owner=owner,
            due_date=due,
        )
        if spec.done:
            action_update(
                actor=owner, action=action, version=action.version, status=PlanAction.Status.DONE
            )
            dates.completed[action.pk] = _at(due - datetime.timedelta(days=2), 10)


def _next_sessions(forums: dict[str, Forum]) -> None:
    """Each forum with open case files meets within three weeks; the agenda proposes itself."""
    for name, days_ahead in stories.UPCOMING.items():
        forum = forums[name]
        if not CaseFile.objects.open().filter(forum=forum).exists():
            continue
        if ForumSession.objects.filter(forum=forum, starts_at__gt=timezone.now()).exists():
            continue
        day = _weekday(timezone.localdate() + datetime.timedelta(days=days_ahead), forward=True)
        session_create(
            actor=_coordinator(forum),
            forum=forum,
            starts_at=_at(day, 13),
            location="Mødelokalet, Rådhuset",
        )


def _person(cases: dict[str, Case], key: str) -> FocusPerson:
    return cases[key].case_file.person


def _access(cases: dict[str, Case]) -> None:
    """Reads, reveals and a grant, as the pages record them, for the DPO's pages."""
    for prefix, keys in stories.BROWSING.items():
        reader = user(prefix)
        for key in keys:
            if key in cases:
                person_get_for(
                    user=reader, pk=_person(cases, key).pk, audit_as=AccessEvent.Action.VIEW_PERSON
                )
    police = user("politi@kk")
    for person in FocusPerson.objects.restrict(police).order_by("pk")[:POLICE_BROWSING]:
        person_get_for(user=police, pk=person.pk, audit_as=AccessEvent.Action.VIEW_PERSON)
    if "Mikkel Demosen" in cases:
        mikkel = _person(cases, "Mikkel Demosen")
        for prefix in ("skole@kk", "koordinator@kk"):
            identity_reveal(
                actor=user(prefix),
                person_id=mikkel.pk,
                reason="Skal ringe til familien og aftale netværksmødet i næste uge.",
            )
    person_grant_create(
        actor=user("koordinator@kk"),
        case_file=cases["noah"].case_file,
        grantee=user("psykiatri@kk"),
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason="Børne- og ungdomspsykiatrien udreder Noah og skal kende helhedsplanen.",
    )


def _release_date(cases: dict[str, Case]) -> None:
    case = cases.get("Jonas Testesen")
    if case is not None and case.case_file.expected_release_date is None:
        casefile_update(
            actor=_coordinator(case.case_file.forum),
            case_file=case.case_file,
            expected_release_date=timezone.localdate() + relativedelta(months=3),
        )


@transaction.atomic
def seed_life(forums: dict[str, Forum]) -> int:
    """Build the year once (the anchor person's CPR tells whether it was); returns how many
    persons it added."""
    anchor = stories.ANCHOR
    if person_find_by_cpr(forum=forums[anchor.forum], cpr=anchor.cpr) is not None:
        return 0
    dates = Backdating()
    cases = {case.key: case for case in _cast_cases(forums)}
    for case in cases.values():
        _decide(case, None, forums, dates)
    for story in stories.STORIES:
        case = _register(story, forums)
        cases[case.key] = case
        _decide(case, story, forums, dates)
    _release_date(cases)
    for case in cases.values():
        case.case_file.refresh_from_db()
        _consents(case, dates)
    agreed: dict[str, ForumSession] = {}
    for forum in forums.values():
        on_forum = [c for c in cases.values() if c.case_file.forum_id == forum.pk and c.sessions]
        if on_forum:
            agreed.update(_past_sessions(forum, on_forum, dates))
    for case in cases.values():
        _plan(case, agreed.get(case.key), dates)
    dates.apply()
    _next_sessions(forums)
    _access(cases)
    reminders.sweep()
    reminders.release_sweep()
    return len(stories.STORIES)
