"""A chair per session (issue 11): who leads the meeting and approves its minutes. The default is
the forum's chair; the coordinator or chair may hand it to another current member until the
minutes are approved; only the session's chair approves (sessions without one: any chair of the
forum, as before)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coordination.meetings import agenda_add, item_record, session_create, session_set_chair
from coordination.models import AgendaItem, ForumSession
from forums.models import Membership
from persons.services import IdentityInput, concern_register
from tests.factories import UserFactory
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

MINUTES = "Forummet drøftede fraværet; skolen kontakter familien inden næste møde."
NOT_MEMBER = "Mødelederen skal være et aktuelt medlem af forummet."


def soon() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=2)


def plan(world: World, **kwargs: Any) -> ForumSession:
    return session_create(actor=world.coordinator, forum=world.forum, starts_at=soon(), **kwargs)


def record_all(world: World, session: ForumSession) -> None:
    for item in session.items.all():
        item_record(
            actor=world.coordinator,
            item=item,
            mode="anonymous",
            necessity=NECESSITY,
            presenting_agency=world.police,
            minutes=MINUTES,
            attendees=[world.chair, world.school_member, world.police_member],
        )


def stored(session: ForumSession) -> ForumSession:
    return ForumSession.objects.get(pk=session.pk)


def api_json(client: Any, method: str, url: str, data: Any = None) -> Any:
    return getattr(client, method)(url, data or {}, content_type="application/json")


# --- The default chair -------------------------------------------------------------------


def test_a_new_session_s_chair_is_the_forum_s_chair(world):
    assert plan(world).chair_id == world.chair.pk


def test_with_two_chairs_the_longest_standing_leads(world):
    newer = UserFactory.create(full_name="Nina Ny", agency=world.school, roles=["member"])
    Membership.objects.create(
        forum=world.forum, user=newer, role=Membership.Role.CHAIR, valid_from=timezone.localdate()
    )
    assert plan(world).chair_id == world.chair.pk

    older = UserFactory.create(full_name="Olga Gammel", agency=world.school, roles=["member"])
    Membership.objects.create(
        forum=world.forum,
        user=older,
        role=Membership.Role.CHAIR,
        valid_from=datetime.date(2020, 1, 1),
    )
    assert plan(world).chair_id == older.pk


def test_a_former_chair_is_no_default_and_no_chair_means_none(world):
    Membership.objects.filter(user=world.chair, forum=world.forum).update(
        valid_from=datetime.date(2025, 1, 1), valid_to=timezone.localdate()
    )
    assert plan(world).chair is None


def test_a_given_chair_must_be_a_current_member(world):
    assert plan(world, chair=world.school_member).chair_id == world.school_member.pk
    for outsider in (world.outsider, world.expired_member, world.dpo):
        before = ForumSession.objects.count()
        with pytest.raises(ValidationError) as refused:
            plan(world, chair=outsider)
        assert refused.value.message_dict == {"chair": [NOT_MEMBER]}
        assert ForumSession.objects.count() == before


# --- Who approves ------------------------------------------------------------------------


@pytest.fixture
def recorded(world) -> ForumSession:
    """A session led by a plain member (not the forum's chair), every item recorded."""
    session = plan(world, chair=world.school_member)
    assert session.items.exists()
    record_all(world, session)
    return session


def approve_url(session: ForumSession) -> str:
    return reverse("api:session-approve", args=[session.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("chair", 403),  # the forum's chair, but not this session's
        ("coordinator", 403),
        ("police_member", 403),
        ("outsider", 404),
        ("expired_member", 404),
        ("dpo", 403),
        ("admin", 403),
    ],
)
def test_only_the_session_s_chair_approves(world, client, recorded, who, status):
    client.force_login(getattr(world, who))

    api_answer = api_json(client, "post", approve_url(recorded))
    page_answer = client.post(reverse("coordination:session-approve", args=[recorded.pk]))

    assert api_answer.status_code == status, api_answer.content
    assert page_answer.status_code == status
    assert stored(recorded).status == ForumSession.Status.HELD
    assert stored(recorded).approved_at is None


def test_the_session_s_chair_approves(world, client, recorded):
    client.force_login(world.school_member)

    response = api_json(client, "post", approve_url(recorded))

    assert response.status_code == 200, response.content
    assert response.json()["chair"] == world.school_member.pk
    assert stored(recorded).status == ForumSession.Status.APPROVED
    assert stored(recorded).approved_by_id == world.school_member.pk


def test_a_session_chair_who_left_the_forum_no_longer_approves(world, client, recorded):
    Membership.objects.filter(user=world.school_member, forum=world.forum).update(
        valid_to=timezone.localdate()
    )
    client.force_login(world.school_member)

    assert api_json(client, "post", approve_url(recorded)).status_code == 404
    assert stored(recorded).approved_at is None


def test_a_session_without_chair_falls_back_to_the_forum_s_chair(world, client):
    session = plan(world)
    record_all(world, session)
    ForumSession.objects.filter(pk=session.pk).update(chair=None)  # planned before issue 11

    client.force_login(world.coordinator)
    assert api_json(client, "post", approve_url(session)).status_code == 403
    client.force_login(world.chair)
    assert api_json(client, "post", approve_url(session)).status_code == 200
    assert stored(session).approved_by_id == world.chair.pk


# --- Changing the chair ------------------------------------------------------------------


def chair_page(session: ForumSession) -> str:
    return reverse("coordination:session-detail", args=[session.pk])


@pytest.mark.parametrize("who", ["coordinator", "chair"])
def test_coordinator_or_chair_hands_the_session_to_another_member(world, client, who):
    session = plan(world)
    client.force_login(getattr(world, who))

    response = client.post(chair_page(session), {"chair": world.police_member.pk})

    assert response.status_code == 302
    assert stored(session).chair_id == world.police_member.pk
    page = client.get(chair_page(session)).content.decode()
    assert "Mødeleder" in page and world.police_member.full_name in page


@pytest.mark.parametrize("newcomer", ["outsider", "expired_member", "dpo", "unknown"])
def test_a_chair_outside_the_forum_is_refused(world, client, newcomer):
    session = plan(world)
    chair_id = 987654 if newcomer == "unknown" else getattr(world, newcomer).pk
    client.force_login(world.coordinator)

    page = client.post(chair_page(session), {"chair": chair_id})
    api_answer = api_json(
        client, "patch", reverse("api:session-detail", args=[session.pk]), {"chair": chair_id}
    )

    assert page.status_code == 400
    assert NOT_MEMBER in page.content.decode()
    assert api_answer.status_code == 400, api_answer.content
    assert NOT_MEMBER in str(api_answer.json())
    assert stored(session).chair_id == world.chair.pk


def test_the_service_refuses_a_non_member_too(world):
    session = plan(world)
    with pytest.raises(ValidationError):
        session_set_chair(actor=world.coordinator, session=session, chair=world.outsider)
    assert stored(session).chair_id == world.chair.pk


@pytest.mark.parametrize(("who", "status"), [("school_member", 403), ("outsider", 404)])
def test_a_plain_member_or_an_outsider_cannot_change_the_chair(world, client, who, status):
    session = plan(world)
    client.force_login(getattr(world, who))

    page = client.post(chair_page(session), {"chair": world.police_member.pk})
    api_answer = api_json(
        client,
        "patch",
        reverse("api:session-detail", args=[session.pk]),
        {"chair": world.police_member.pk},
    )

    assert page.status_code == status
    assert api_answer.status_code == status
    assert stored(session).chair_id == world.chair.pk


def test_an_approved_session_keeps_its_chair(world, client):
    session = plan(world)
    record_all(world, session)
    client.force_login(world.chair)
    assert api_json(client, "post", approve_url(session)).status_code == 200
    client.force_login(world.coordinator)

    page = client.post(chair_page(session), {"chair": world.police_member.pk})
    api_answer = api_json(
        client,
        "patch",
        reverse("api:session-detail", args=[session.pk]),
        {"chair": world.police_member.pk},
    )

    assert page.status_code == 400
    assert "Referatet er godkendt" in page.content.decode()
    assert api_answer.status_code == 400
    assert stored(session).chair_id == world.chair.pk


def test_the_api_sets_the_chair_on_create_and_patch(world, client):
    client.force_login(world.coordinator)
    created = api_json(
        client,
        "post",
        reverse("api:forum-sessions", args=[world.forum.pk]),
        {"starts_at": soon().isoformat(), "chair": world.school_member.pk},
    )
    assert created.status_code == 201, created.content
    assert created.json()["chair"] == world.school_member.pk

    default = api_json(
        client,
        "post",
        reverse("api:forum-sessions", args=[world.forum.pk]),
        {"starts_at": soon().isoformat()},
    )
    assert default.json()["chair"] == world.chair.pk

    session_id = created.json()["id"]
    patched = api_json(
        client,
        "patch",
        reverse("api:session-detail", args=[session_id]),
        {"chair": world.police_member.pk},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["chair"] == world.police_member.pk
    shown = client.get(reverse("api:session-detail", args=[session_id])).json()
    assert shown["chair"] == world.police_member.pk


# --- The session page --------------------------------------------------------------------


APPROVE_FORM = 'action="{}"'


def shows_approve(client: Any, session: ForumSession) -> bool:
    page = client.get(chair_page(session)).content.decode()
    return APPROVE_FORM.format(reverse("coordination:session-approve", args=[session.pk])) in page


def test_the_approve_button_is_shown_to_the_session_s_chair_only(world, client, recorded):
    for who, shown in [
        ("school_member", True),
        ("chair", False),
        ("coordinator", False),
        ("police_member", False),
    ]:
        client.force_login(getattr(world, who))
        assert shows_approve(client, recorded) is shown, who


def test_the_chair_form_is_for_managers_only(world, client):
    session = plan(world)
    client.force_login(world.school_member)
    page = client.get(chair_page(session)).content.decode()
    assert world.chair.full_name in page  # the chair is shown to every member
    assert 'name="chair"' not in page
    client.force_login(world.coordinator)
    page = client.get(chair_page(session)).content.decode()
    assert 'name="chair"' in page and 'for="chair-chair"' in page


def add_items(world: World, session: ForumSession, count: int, start: int) -> None:
    for i in range(start, start + count):
        case_file = concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name=f"Elev Nummer{i}", cpr=f"{i + 10:02d}0613{4321 + i}"),
            categories=["vold"],
            description="Bekymring",
            source_agency=world.school,
            necessity=NECESSITY,
        ).concern.case_file
        agenda_add(actor=world.coordinator, session=session, case_file=case_file)


def count_queries(client: Any, url: str) -> int:
    client.get(url)  # warm caches that are not per request
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("who", ["coordinator", "police_member"])
def test_the_session_page_runs_a_constant_number_of_queries(world, client, who):
    session = plan(world, chair=world.school_member)
    add_items(world, session, 2, start=0)
    client.force_login(getattr(world, who))
    url = chair_page(session)

    few = count_queries(client, url)
    add_items(world, session, 8, start=2)
    many = count_queries(client, url)

    assert AgendaItem.objects.filter(session=session).count() == 11
    assert world.school_member.full_name in client.get(url).content.decode()
    assert many == few
