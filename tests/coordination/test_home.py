"""The start page as each role's work list (issue 11): exact counts per section, nothing of
another forum, nothing for a former member, counts only for the DPO, an empty page for the
administrator, a constant number of queries, and Danish throughout."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent
from audit.services import access_record
from coordination.meetings import session_create
from coordination.models import AgendaItem, ForumSession
from coordination.plans import action_create, plan_save
from coordination.worklist import ROWS, work_list_for
from core.models import Notification
from forums.models import Membership
from persons.models import CaseFile, FocusPerson
from persons.services import IdentityInput, concern_register
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

HOME = "/"


def today() -> datetime.date:
    return timezone.localdate()


def nearly_adult_birth_date() -> datetime.date:
    """A 17-year-old who turns 18 on the first of the month about six weeks from now."""
    month = today() + datetime.timedelta(days=45)
    return datetime.date(month.year - 18, month.month, 1)


def add_case_files(world: World, n: int) -> list[CaseFile]:
    """``n`` persons on the world's forum, each with a pending concern, turning 18 soon, a
    plan due for review in three days and an overdue action of the school member; and ``n``
    unread notifications for the coordinator and the school member."""
    case_files = []
    for i in range(n):
        result = concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name=f"Ung {i}", birth_date=nearly_adult_birth_date()),
            categories=["vold"],
            description=f"Bekymring {i}",
            source_agency=world.school,
            necessity=NECESSITY,
        )
        case_file = result.concern.case_file
        plan = plan_save(
            actor=world.coordinator,
            case_file=case_file,
            goals=f"Mål {i}",
            review_date=today() + datetime.timedelta(days=3),
        )
        action_create(
            actor=world.coordinator,
            plan=plan,
            description=f"Skolen taler med familien {i}",
            responsible_agency=world.school,
            owner=world.school_member,
            due_date=today() - datetime.timedelta(days=2),
        )
        case_files.append(case_file)
    for recipient in (world.coordinator, world.school_member):
        Notification.objects.bulk_create(
            Notification(recipient=recipient, kind="test", message=f"Besked {i}", link="/")
            for i in range(n)
        )
    return case_files


def plan_session(world: World, days: int = 7) -> ForumSession:
    return session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=days),
    )


def page(client: Any, user: User) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return str(response.content.decode())


def forum_pseudonyms(world: World) -> list[str]:
    return list(
        FocusPerson.objects.filter(case_files__forum=world.forum).values_list(
            "pseudonym", flat=True
        )
    )


def test_coordinator_sees_each_section_with_exact_counts(client, world):
    add_case_files(world, 2)
    # Read ones do not count (the new-concern notices among them).
    Notification.objects.exclude(kind="test").update(read_at=timezone.now())
    work = work_list_for(user=world.coordinator)
    assert work.manager is not None and work.member is not None and work.dpo is None
    assert work.manager.concerns.count == 3  # the world's concern and the two new ones
    assert work.manager.overdue_actions.count == 2
    assert work.manager.reviews.count == 2
    assert work.manager.turning_18.count == 2
    assert work.manager.retention_due == 0
    assert work.member.notifications.count == 2
    assert work.member.actions.count == 0  # the actions are the school member's

    html = page(client, world.coordinator)
    assert "<strong>3</strong> nye bekymringer" in html
    assert "<strong>2</strong> overskredne handlinger" in html
    assert "<strong>2</strong> helhedsplaner til revurdering" in html
    assert "<strong>2</strong> personer fylder snart 18" in html
    assert "Ingen sager skal slettes." in html
    assert "Du har ingen åbne handlinger." in html
    assert f'href="{reverse("core:notifications")}"><strong>2</strong>' in html
    assert world.person.pseudonym in html
    assert reverse("persons:concern-decide", args=[world.concern.pk]) in html
    for row in work.manager.turning_18.rows:
        assert reverse("persons:casefile-transfer", args=[row.case_file.pk]) in html
    for action in work.manager.overdue_actions.rows:
        assert reverse("coordination:plan", args=[action.plan.case_file_id]) in html


def test_chair_sees_the_managing_sections_too(world):
    add_case_files(world, 2)
    work = work_list_for(user=world.chair)
    assert work.manager is not None
    assert work.manager.concerns.count == 3
    assert work.manager.turning_18.count == 2


def test_retention_count_links_to_the_retention_list(client, world):
    CaseFile.objects.filter(pk=world.case_file.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=400)
    )
    html = page(client, world.coordinator)
    assert (
        f'href="{reverse("persons:retention")}"><strong>1</strong> sag skal slettes snart' in html
    )


def test_member_sees_own_actions_overdue_first_sessions_and_notifications(client, world):
    case_files = add_case_files(world, 2)
    later = plan_save(
        actor=world.coordinator,
        case_file=world.case_file,
        goals="Mål",
        review_date=today() + datetime.timedelta(days=60),
    )
    action_create(
        actor=world.coordinator,
        plan=later,
        description="Senere handling",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=today() + datetime.timedelta(days=10),
    )
    session = plan_session(world)
    work = work_list_for(user=world.school_member)
    assert work.manager is None and work.member is not None
    assert work.member.actions.count == 3
    assert work.member.overdue == 2
    assert [a.plan.case_file_id for a in work.member.actions.rows][-1] == world.case_file.pk
    assert {a.plan.case_file_id for a in work.member.actions.rows[:2]} == {
        cf.pk for cf in case_files
    }
    assert (
        work.member.notifications.count
        == 2
        + Notification.objects.filter(
            recipient=world.school_member, kind="concern_new", read_at__isnull=True
        ).count()
    )
    assert [s.session.pk for s in work.member.sessions] == [session.pk]
    assert work.member.sessions[0].agenda_size == AgendaItem.objects.filter(session=session).count()

    html = page(client, world.school_member)
    assert f'href="{reverse("coordination:my-tasks")}"><strong>3</strong> åbne handlinger' in html
    assert "2 overskredne" in html
    assert "Senere handling" in html
    assert reverse("coordination:session-detail", args=[session.pk]) in html
    assert "Nye bekymringer" not in html  # not a coordinator or chair


def test_sessions_show_their_agenda_size_and_skip_approved_ones(world):
    session = plan_session(world)
    other = plan_session(world, days=14)
    AgendaItem.objects.filter(session=other).delete()
    approved = plan_session(world, days=3)
    ForumSession.objects.filter(pk=approved.pk).update(status=ForumSession.Status.APPROVED)
    sessions = work_list_for(user=world.school_member).member.sessions  # type: ignore[union-attr]
    assert [s.session.pk for s in sessions] == [session.pk, other.pk]
    assert sessions[0].agenda_size == AgendaItem.objects.filter(session=session).count() > 0
    assert sessions[1].agenda_size == 0


def test_member_of_another_forum_sees_none_of_the_forums_items(client, world):
    add_case_files(world, 2)
    session = plan_session(world)
    work = work_list_for(user=world.outsider)
    assert work.manager is not None and work.member is not None
    assert work.manager.concerns.count == 1  # their own forum's concern only
    assert [c.case_file_id for c in work.manager.concerns.rows] == [world.other_case_file.pk]
    assert work.manager.overdue_actions.count == 0
    assert work.manager.reviews.count == 0
    assert work.manager.turning_18.count == 0
    assert work.member.sessions == []
    html = page(client, world.outsider)
    for pseudonym in forum_pseudonyms(world):
        assert pseudonym not in html
    assert reverse("coordination:session-detail", args=[session.pk]) not in html
    assert world.other_person.pseudonym in html


def test_former_member_sees_nothing(client, world):
    add_case_files(world, 2)
    Notification.objects.create(recipient=world.expired_member, kind="test", message="Gammel")
    plan_session(world)
    assert work_list_for(user=world.expired_member).is_empty
    html = page(client, world.expired_member)
    assert "Du har ingen opgaver her." in html
    for pseudonym in forum_pseudonyms(world):
        assert pseudonym not in html
    assert "Gammel" not in html


def test_dpo_sees_counts_and_no_pseudonym(client, world):
    add_case_files(world, 2)
    access_record(
        actor=world.coordinator,
        action=AccessEvent.Action.REVEAL_IDENTITY,
        objects=[world.person],
    )
    work = work_list_for(user=world.dpo)
    assert work.manager is None and work.member is None and work.dpo is not None
    assert work.dpo.reveals == 1
    assert work.dpo.unusual == 0
    html = page(client, world.dpo)
    assert "<strong>1</strong> visning af identitet" in html
    assert "action=reveal_identity" in html
    assert "Ingen usædvanlig adgang." in html
    assert reverse("audit:verify") in html
    for pseudonym in [*forum_pseudonyms(world), world.other_person.pseudonym]:
        assert pseudonym not in html


def test_admin_sees_an_empty_page_without_error(client, world):
    add_case_files(world, 2)
    assert work_list_for(user=world.admin).is_empty
    html = page(client, world.admin)
    assert "Du har ingen opgaver her." in html
    for pseudonym in forum_pseudonyms(world):
        assert pseudonym not in html


def test_police_chair_sees_counts_but_no_pseudonyms_across_forums(client, world):
    Membership.objects.filter(user=world.police_member, forum=world.forum).update(
        role=Membership.Role.CHAIR
    )
    add_case_files(world, 2)
    html = page(client, world.police_member)
    assert "<strong>3</strong> nye bekymringer" in html
    for case_file in CaseFile.objects.filter(forum=world.forum).exclude(pk=world.case_file.pk):
        assert case_file.person.pseudonym not in html


def test_listed_pseudonyms_are_recorded_as_one_access_event(client, world):
    add_case_files(world, 2)
    before = AccessEvent.objects.count()
    page(client, world.coordinator)
    events = list(AccessEvent.objects.order_by("id")[before:])
    listed = [e for e in events if e.action == AccessEvent.Action.LIST_PERSONS]
    assert len(listed) == 1
    assert set(listed[0].person_ids) == set(
        FocusPerson.objects.filter(case_files__forum=world.forum).values_list("pk", flat=True)
    )


def test_sections_show_the_first_rows_and_count_them_all(world):
    add_case_files(world, ROWS + 2)
    manager = work_list_for(user=world.coordinator).manager
    assert manager is not None
    assert manager.concerns.count == ROWS + 3
    assert len(manager.concerns.rows) == ROWS


def _queries(client: Any, user: User) -> int:
    client.force_login(user)
    client.get(HOME)  # warm the caches that are not per request
    with CaptureQueriesContext(connection) as context:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["coordinator", "school_member", "dpo"])
def test_query_count_does_not_depend_on_the_rows(client, world, persona):
    user = getattr(world, persona)
    add_case_files(world, 2)
    plan_session(world)
    plan_session(world, days=8)
    few = _queries(client, user)
    add_case_files(world, 18)
    for days in range(9, 27):
        plan_session(world, days=days)
    assert _queries(client, user) == few


def test_the_page_is_danish(client, world):
    add_case_files(world, 2)
    html = page(client, world.coordinator)
    assert '<html lang="da">' in html
    assert "Nye bekymringer, der venter på en beslutning" in html
    assert "Næste møder i dine fora" in html
    for english in ("Welcome", "Overdue", "No new", "Notifications", "Sessions"):
        assert english not in html


def test_reviews_count_a_week_ahead_and_overdue_ones(world):
    for days, case_file in zip((-3, 7, 8), add_case_files(world, 3), strict=True):
        plan_save(
            actor=world.coordinator,
            case_file=case_file,
            goals="Mål",
            review_date=today() + datetime.timedelta(days=days),
            version=1,
        )
    reviews = work_list_for(user=world.coordinator).manager.reviews  # type: ignore[union-attr]
    assert [p.review_date for p in reviews.rows] == [
        today() - datetime.timedelta(days=3),
        today() + datetime.timedelta(days=7),
    ]
