"""`seed_demo` builds a year of forum life: every demo member has open actions with one
overdue, past sessions are approved with encrypted minutes, each active forum's next session
has its agenda, concerns wait for a decision, a person in SSP turns 18 soon, the DPO has reads,
reveals and one unusual reader to look at, and a second run adds nothing."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.demo import USERS, seed_accounts
from accounts.models import User
from accounts.roles import Role
from audit.models import AccessEvent
from audit.selectors import scope_of, unusual_access
from audit.verify import verify_all
from coordination.demo.base import seed_cast
from coordination.demo.stories import MINUTES_SENTENCE
from coordination.models import AgendaItem, ForumSession, PlanAction
from core.models import Notification
from forums.models import Membership
from persons.models import CaseFile, Concern, ConsentRecord
from persons.selectors import turning_18_soon

pytestmark = pytest.mark.django_db

MEMBER_ROLES = {Role.MEMBER, Role.COORDINATOR}


def _seed() -> None:
    # Earlier transactional tests flush the role groups the migrations created.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    call_command("seed_demo", allow_production=True, verbosity=0)


def _members() -> list[User]:
    emails = [demo.email for demo in USERS if demo.role in MEMBER_ROLES]
    users = list(User.objects.filter(email__in=emails))
    assert len(users) == len(emails)
    return users


def test_every_member_has_open_actions_one_of_them_overdue():
    _seed()
    today = timezone.localdate()

    for member in _members():
        open_actions = PlanAction.objects.filter(
            owner=member, status=PlanAction.Status.OPEN, plan__case_file__closed_at__isnull=True
        )
        assert open_actions.filter(due_date__gte=today).exists(), member.email
        assert open_actions.filter(due_date__lt=today).count() == 1, member.email
        assert Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert PlanAction.objects.filter(
        status=PlanAction.Status.DONE, completed_at__lt=timezone.now() - datetime.timedelta(days=1)
    ).exists()
    week = today + datetime.timedelta(days=7)
    assert PlanAction.objects.filter(
        status=PlanAction.Status.OPEN, due_date__gte=today, due_date__lt=week
    ).exists()


def test_past_sessions_are_approved_by_their_chair_with_encrypted_minutes():
    _seed()
    now = timezone.now()
    past = ForumSession.objects.filter(starts_at__lt=now)

    assert past.filter(forum__name="SSP Nørrebro").count() >= 10
    assert past.filter(forum__municipality__code="461").count() >= 3
    assert not past.exclude(status=ForumSession.Status.APPROVED).exists()
    for session in past.select_related("chair"):
        assert session.approved_by_id == session.chair_id
        assert session.approved_at is not None and session.approved_at > session.starts_at
        items = session.items.all()
        assert items and all(item.recorded_at and item.recorded_at < now for item in items)
        assert all(MINUTES_SENTENCE in item.minutes for item in items)
        assert all(item.attendees.exists() and item.legal_paragraph for item in items)
    with connection.cursor() as cursor:
        cursor.execute("SELECT minutes FROM coordination_agendaitem WHERE minutes IS NOT NULL")
        raw = [bytes(row[0]) for row in cursor.fetchall()]
    assert raw and not any("drøftede".encode() in value for value in raw)


def test_each_active_forum_has_its_next_session_with_a_proposed_agenda():
    _seed()
    now = timezone.now()
    upcoming = ForumSession.objects.filter(starts_at__gt=now, status=ForumSession.Status.PLANNED)

    assert upcoming.count() == 8
    for session in upcoming:
        assert session.starts_at < now + datetime.timedelta(days=22)
        assert session.items.exists(), session.forum.name
    nørrebro = upcoming.get(forum__name="SSP Nørrebro")
    kinds = set(nørrebro.items.values_list("kind", flat=True))
    assert kinds == {AgendaItem.Kind.NEW_CONCERN, AgendaItem.Kind.REVIEW, AgendaItem.Kind.FOLLOW_UP}


def test_concerns_wait_and_are_decided_and_consent_has_a_history():
    _seed()
    pending = Concern.objects.filter(decision=Concern.Decision.PENDING)

    assert pending.filter(case_file__forum__name="SSP Nørrebro").exists()
    assert pending.filter(case_file__forum__name="SSP Odense Øst").exists()
    for decision in (Concern.Decision.NO_ACTION, Concern.Decision.PASSED_ON):
        decided = Concern.objects.get(decision=decision, case_file__forum__name="SSP Nørrebro")
        assert decided.decided_at is not None and decided.decided_at > decided.created_at
    assert Concern.objects.filter(decision=Concern.Decision.PASSED_ON).get().passed_to is not None
    assert ConsentRecord.objects.filter(decision=ConsentRecord.Decision.WITHDRAWN).exists()
    assert ConsentRecord.objects.values("given_by").distinct().count() == 3


def test_a_person_in_ssp_turns_18_and_a_ksp_release_comes_within_three_months():
    _seed()
    coordinator = User.objects.get(email="koordinator@kk.demo.tvaers.dk")
    today = timezone.localdate()

    flagged = list(turning_18_soon(user=coordinator))

    assert len(flagged) == 1 and flagged[0].forum.name == "SSP Nørrebro"
    release = CaseFile.objects.get(expected_release_date__isnull=False).expected_release_date
    assert release is not None
    assert today + datetime.timedelta(days=85) <= release <= today + datetime.timedelta(days=93)


def test_the_dpo_has_reads_reveals_a_grant_and_an_unusual_reader_and_the_chain_verifies():
    _seed()
    dpo = User.objects.get(email="dpo@kk.demo.tvaers.dk")
    today = timezone.localdate()

    unusual = unusual_access(scope=scope_of(dpo), date_from=today, date_to=today)

    assert [u.user.email for u in unusual] == ["politi@kk.demo.tvaers.dk"]
    assert AccessEvent.objects.filter(action=AccessEvent.Action.REVEAL_IDENTITY).count() == 2
    assert Notification.objects.filter(recipient=dpo, read_at__isnull=True).exists()
    assert User.objects.get(email="psykiatri@kk.demo.tvaers.dk").person_grants.exists()
    assert verify_all().ok


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our own table names
            counts[table] = cursor.fetchone()[0]
    return counts


def test_a_second_run_adds_nothing():
    _seed()
    before = _row_counts()

    _seed()

    assert _row_counts() == before
    assert Membership.objects.filter(user__email__endswith="demo.tvaers.dk").exists()
    assert verify_all().ok


def test_an_older_demo_gets_its_year_too():
    # An older seed_demo: the cast alone, its seats starting on a fixed day within the year.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    seed_accounts()
    seed_cast()
    Membership.objects.update(valid_from=timezone.localdate() - datetime.timedelta(days=200))

    _seed()

    mikkel = AgendaItem.objects.filter(
        case_file__forum__name="SSP Nørrebro", case_file__discussion_mode=CaseFile.Mode.NAMED
    )
    assert mikkel.filter(session__status=ForumSession.Status.APPROVED).count() == 4
    assert not ForumSession.objects.filter(
        starts_at__lt=timezone.now(), status=ForumSession.Status.PLANNED
    ).exists()
    assert verify_all().ok
