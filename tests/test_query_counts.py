"""List pages and endpoints run a fixed number of queries, however many rows they show: the
count with N rows equals the count with N + 10 (no N+1 through access checks, audit,
decryption or templates)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Agency, User
from coordination.models import Note
from coordination.services import note_create
from forums.models import Forum, ForumKind, Membership
from persons.services import IdentityInput, concern_register
from tests.factories import AgencyFactory, UserFactory
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

MORE = 10


def measure(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return len(context.captured_queries), response


def rows_of(response: Any) -> int:
    """How many rows the response shows: API results, or the rows of the page's tables."""
    if response["Content-Type"].startswith("application/json"):
        results: list[Any] = response.json()["results"]
        return len(results)
    page: str = response.content.decode()
    return page.count("<tr>")


def assert_constant(client: Any, url: str, add_rows: Callable[[], None]) -> None:
    client.get(url)  # warm caches that are not per request (content types, templates)
    queries_before, response_before = measure(client, url)
    add_rows()
    queries_after, response_after = measure(client, url)
    # the added rows are really shown, so the comparison means something
    assert rows_of(response_after) >= rows_of(response_before) + MORE, url
    assert queries_after == queries_before, (
        f"{url}: {queries_before} queries for {rows_of(response_before)} rows, "
        f"{queries_after} for {rows_of(response_after)}"
    )


def add_persons(world: World, forum: Forum | None = None, actor: User | None = None) -> None:
    forum = forum or world.forum
    actor = actor or world.school_member
    for i in range(MORE):
        concern_register(
            actor=actor,
            forum=forum,
            identity=IdentityInput(name=f"Person {i}", birth_date=datetime.date(2011, 6, i + 1)),
            categories=["vold", "haervaerk"][: 1 + i % 2],
            description=f"Bekymring nummer {i}",
            source_agency=actor.agency,
            necessity=NECESSITY,
        )


def add_notes(world: World) -> None:
    for i in range(MORE):
        author = [world.school_member, world.coordinator, world.police_member][i % 3]
        visibility = Note.Visibility.FORUM if i % 2 else Note.Visibility.AGENCY
        if author == world.police_member:
            visibility = Note.Visibility.FORUM  # so that the school user sees it
        note_create(
            actor=author,
            case_file=world.case_file,
            body=f"Notat nummer {i}",
            visibility=visibility,
            necessity=NECESSITY,
        )


def add_forums(world: World, user: User) -> None:
    for i in range(MORE):
        forum = Forum.objects.create(
            name=f"Forum {i}",
            kind=[ForumKind.SSP, ForumKind.PSP, ForumKind.KSP][i % 3],
            municipality=world.forum.municipality,
        )
        forum.agencies.set(
            [world.school, world.police, AgencyFactory(municipality=world.forum.municipality)]
        )
        Membership.objects.create(forum=forum, user=user, role=Membership.Role.COORDINATOR)


def add_members(world: World) -> None:
    for i in range(MORE):
        agency = AgencyFactory(
            name=f"Myndighed {i}", kind=Agency.Kind.ANDET, municipality=world.forum.municipality
        )
        Membership.objects.create(
            forum=world.forum, user=UserFactory.create(agency=agency, roles=["member"])
        )


def test_api_persons(world, client):
    client.force_login(world.school_member)
    assert_constant(client, "/api/v1/persons/", lambda: add_persons(world))


def test_api_persons_on_two_forums(world, client):
    """Persons with case files on several of the user's forums (the prefetch of case files)."""
    Membership.objects.create(forum=world.other_forum, user=world.school_member)
    client.force_login(world.school_member)

    def add() -> None:
        add_persons(world)
        add_persons(world, forum=world.other_forum, actor=world.outsider)

    assert_constant(client, "/api/v1/persons/", add)


def test_api_persons_per_forum_for_police(world, client):
    client.force_login(world.police_member)
    assert_constant(client, f"/api/v1/persons/?forum={world.forum.pk}", lambda: add_persons(world))


def test_api_forums(world, client):
    client.force_login(world.coordinator)
    assert_constant(client, "/api/v1/forums/", lambda: add_forums(world, world.coordinator))


def test_api_memberships(world, client):
    client.force_login(world.coordinator)
    assert_constant(
        client, f"/api/v1/forums/{world.forum.pk}/memberships/", lambda: add_members(world)
    )


def test_api_concerns(world, client):
    client.force_login(world.school_member)
    assert_constant(client, "/api/v1/concerns/", lambda: add_persons(world))


def test_api_case_files(world, client):
    client.force_login(world.school_member)
    assert_constant(client, "/api/v1/case-files/", lambda: add_persons(world))


def test_api_notes(world, client):
    client.force_login(world.school_member)
    assert_constant(
        client, f"/api/v1/case-files/{world.case_file.pk}/notes/", lambda: add_notes(world)
    )


def test_forum_list_page(world, client):
    client.force_login(world.coordinator)

    def add() -> None:
        add_forums(world, world.coordinator)
        add_persons(world)

    assert_constant(client, "/fora/", add)


def test_forum_detail_page_persons(world, client):
    client.force_login(world.school_member)
    assert_constant(client, f"/fora/{world.forum.pk}/", lambda: add_persons(world))


def test_forum_detail_page_members(world, client):
    client.force_login(world.school_member)
    assert_constant(client, f"/fora/{world.forum.pk}/", lambda: add_members(world))


def test_person_list_page(world, client):
    client.force_login(world.school_member)
    assert_constant(client, "/personer/", lambda: add_persons(world))


def test_person_list_page_per_forum(world, client):
    client.force_login(world.police_member)
    assert_constant(client, f"/personer/?forum={world.forum.pk}", lambda: add_persons(world))


def test_person_page_notes(world, client):
    """The person page lists the notes; more notes, same queries."""
    client.force_login(world.school_member)
    url = f"/personer/{world.person.pk}/"
    client.get(url)
    queries_before, before = measure(client, url)
    add_notes(world)
    queries_after, after = measure(client, url)
    shown = after.content.decode().count('class="card record-card"')
    assert shown >= before.content.decode().count('class="card record-card"') + MORE
    assert queries_after == queries_before


# --- the person page's budget (issue 12) -----------------------------------------------------

PERSON_PAGE_BUDGET = 12  # session, user (with roles and forums), second factor, the page, audit


def add_to_person(world: World) -> None:
    """More of what the page shows: notes and a consent history, so more rows could not hide
    behind a constant."""
    from persons.workflow import consent_record

    add_notes(world)
    for decision in ["obtained", "withdrawn", "obtained"]:
        consent_record(
            actor=world.coordinator,
            case_file=world.case_file,
            given_by="custody_holder",
            decision=decision,
            given_on=timezone.localdate(),
        )


@pytest.mark.parametrize("who", ["school_member", "coordinator", "police_member"])
def test_person_page_stays_within_its_query_budget(world, client, who):
    client.force_login(getattr(world, who))
    url = f"/personer/{world.person.pk}/"
    client.get(url)
    queries_before, _ = measure(client, url)
    add_to_person(world)
    queries_after, _ = measure(client, url)
    assert queries_after == queries_before
    assert queries_after <= PERSON_PAGE_BUDGET, queries_after
