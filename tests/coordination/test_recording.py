"""Recording an agenda item: the minutes (encrypted), the § 115 disclosure it writes, the
refusals that write nothing, approval by the chair, and corrections of approved minutes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import Disclosure
from audit.services import reason_text
from coordination.meetings import agenda_add, session_create
from coordination.models import AgendaItem, ForumSession, MinutesRevision
from persons.models import CaseFile
from persons.services import IdentityInput, concern_register
from tests.concurrency import race
from tests.openapi import assert_matches
from tests.world import NECESSITY, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

MINUTES = "Forummet drøftede fravær og færden om aftenen; skolen tager kontakt til familien."
NEW_MINUTES = "Rettet: skolen og socialforvaltningen tager i fællesskab kontakt til familien."
CORRECTION = "Referatet nævnte fejlagtigt kun skolen som ansvarlig."


def post(client: Any, url: str, data: Any = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def record_url(item: AgendaItem) -> str:
    return f"/api/v1/agenda-items/{item.pk}/record/"


def approve_url(session: ForumSession) -> str:
    return f"/api/v1/sessions/{session.pk}/approve/"


def payload(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mode": "anonymous",
        "necessity": NECESSITY,
        "presenting_agency": world.police.pk,
        "minutes": MINUTES,
        "attendees": [world.chair.pk, world.school_member.pk, world.police_member.pk],
    }
    data.update(overrides)
    return data


@pytest.fixture
def session(world) -> ForumSession:
    starts_at = timezone.now() + datetime.timedelta(hours=1)
    return session_create(actor=world.coordinator, forum=world.forum, starts_at=starts_at)


@pytest.fixture
def item(world, session) -> AgendaItem:
    return AgendaItem.objects.get(session=session, case_file=world.case_file)


def raw_minutes(item: AgendaItem) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT minutes FROM coordination_agendaitem WHERE id = %s", [item.pk])
        row = cursor.fetchone()
    assert row is not None
    return None if row[0] is None else bytes(row[0])


def disclosure_ids() -> set[int]:
    return set(Disclosure.objects.values_list("pk", flat=True))


def assert_nothing_written(item: AgendaItem, before: set[int]) -> None:
    assert disclosure_ids() == before
    stored = AgendaItem.objects.get(pk=item.pk)
    assert stored.recorded_at is None
    assert stored.version == 1
    assert stored.minutes is None
    assert not stored.attendees.exists()
    assert ForumSession.objects.get(pk=item.session_id).status == ForumSession.Status.PLANNED


# --- Recording writes one disclosure -----------------------------------------------------


def test_recording_writes_minutes_and_exactly_one_disclosure(world, client, item):
    before = disclosure_ids()
    client.force_login(world.coordinator)

    response = post(client, record_url(item), payload(world))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["minutes"] == MINUTES
    assert body["legal_basis"] == {"paragraph": "stk1", "cooperation": "nr1"}
    assert_matches("AgendaItem", body)
    assert body["discussion_mode"] == "anonymous"
    assert body["version"] == 2
    new = Disclosure.objects.exclude(pk__in=before)
    assert new.count() == 1
    disclosure = new.get()
    assert disclosure.actor_id == world.coordinator.pk
    assert disclosure.from_agency_id == world.police.pk
    assert disclosure.paragraph == "stk1"
    assert disclosure.cooperation == "nr1"
    assert disclosure.to_agency_ids == sorted([world.school.pk, world.social.pk])
    assert disclosure.forum_id == world.forum.pk
    assert disclosure.person_id == world.person.pk
    assert disclosure.person_pseudonym == world.person.pseudonym
    assert disclosure.source_type.model_class() is AgendaItem
    assert disclosure.source_id == item.pk
    assert reason_text(disclosure) == NECESSITY  # sealed under the case file's key
    assert "referat" in disclosure.data_categories
    for value in (MINUTES, PERSON_NAME, PERSON_CPR):
        assert value not in str(disclosure.__dict__)

    stored = AgendaItem.objects.get(pk=item.pk)
    assert stored.minutes == MINUTES
    assert stored.recorded_by_id == world.coordinator.pk
    assert stored.recorded_at is not None
    assert (stored.legal_paragraph, stored.legal_cooperation) == ("stk1", "nr1")
    assert stored.presenting_agency_id == world.police.pk
    assert set(stored.attendees.values_list("pk", flat=True)) == {
        world.chair.pk,
        world.school_member.pk,
        world.police_member.pk,
    }
    assert ForumSession.objects.get(pk=item.session_id).status == ForumSession.Status.HELD


def test_minutes_are_stored_encrypted(world, client, item):
    client.force_login(world.coordinator)
    response = post(client, record_url(item), payload(world))
    assert response.status_code == 200, response.content

    stored = raw_minutes(item)
    assert stored is not None
    assert MINUTES.encode() not in stored
    assert "fravær".encode() not in stored
    assert MINUTES not in stored.decode("latin-1")


def test_non_police_presenter_discloses_under_stk2(world, client, item):
    before = disclosure_ids()
    client.force_login(world.coordinator)
    response = post(client, record_url(item), payload(world, presenting_agency=world.school.pk))
    assert response.status_code == 200, response.content
    disclosure = Disclosure.objects.exclude(pk__in=before).get()
    assert (disclosure.paragraph, disclosure.cooperation) == ("stk2", "nr1")
    assert disclosure.to_agency_ids == sorted([world.police.pk, world.social.pk])


def test_a_basis_agreeing_with_agency_and_forum_is_accepted(world, client, item):
    client.force_login(world.coordinator)
    basis = {"paragraph": "stk1", "cooperation": "nr1"}
    response = post(client, record_url(item), payload(world, legal_basis=basis))
    assert response.status_code == 200, response.content
    assert response.json()["legal_basis"] == basis


# --- Refusals write nothing --------------------------------------------------------------


@pytest.mark.parametrize(
    "basis",
    [
        pytest.param({"paragraph": "stk2"}, id="paragraph-contradicts-police"),
        pytest.param({"paragraph": "stk3"}, id="stk3-for-police"),
        pytest.param({"cooperation": "nr2"}, id="cooperation-contradicts-ssp"),
        pytest.param({"paragraph": "stk1", "cooperation": "nr3c"}, id="ksp-number-on-ssp"),
    ],
)
def test_a_contradicting_legal_basis_is_400_and_writes_nothing(world, client, item, basis):
    before = disclosure_ids()
    client.force_login(world.coordinator)

    response = post(client, record_url(item), payload(world, legal_basis=basis))

    assert response.status_code == 400, response.content
    assert "legal_basis" in response.json()["errors"]
    assert_nothing_written(item, before)


def test_named_discussion_of_an_anonymous_case_file_is_400(world, client, item):
    assert world.case_file.discussion_mode == CaseFile.Mode.ANONYMOUS
    before = disclosure_ids()
    client.force_login(world.coordinator)

    response = post(client, record_url(item), payload(world, mode="named"))

    assert response.status_code == 400, response.content
    assert "mode" in response.json()["errors"]
    assert_nothing_written(item, before)


@pytest.mark.parametrize("who", ["outsider", "expired_member"])
def test_an_attendee_who_is_not_a_current_member_is_400(world, client, item, who):
    before = disclosure_ids()
    client.force_login(world.coordinator)
    attendees = [world.chair.pk, getattr(world, who).pk]

    response = post(client, record_url(item), payload(world, attendees=attendees))

    assert response.status_code == 400, response.content
    assert "attendees" in response.json()["errors"]
    assert_nothing_written(item, before)


def test_a_short_necessity_is_400(world, client, item):
    before = disclosure_ids()
    client.force_login(world.coordinator)
    response = post(client, record_url(item), payload(world, necessity="For kort"))
    assert response.status_code == 400, response.content
    assert "necessity" in response.json()["errors"]
    assert_nothing_written(item, before)


def test_a_plain_member_may_not_record(world, client, item):
    before = disclosure_ids()
    client.force_login(world.school_member)
    response = post(client, record_url(item), payload(world))
    assert response.status_code == 403, response.content
    assert_nothing_written(item, before)


def test_a_stale_version_is_409_and_keeps_the_newer_minutes(world, client, item):
    client.force_login(world.coordinator)
    first = post(client, record_url(item), payload(world, version=1))
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2
    before = disclosure_ids()

    stale = post(client, record_url(item), payload(world, minutes=NEW_MINUTES, version=1))

    assert stale.status_code == 409, stale.content
    assert "version" in stale.json()["errors"]
    assert disclosure_ids() == before
    stored = AgendaItem.objects.get(pk=item.pk)
    assert stored.minutes == MINUTES
    assert stored.version == 2

    fresh = post(client, record_url(item), payload(world, minutes=NEW_MINUTES, version=2))
    assert fresh.status_code == 200, fresh.content
    assert AgendaItem.objects.get(pk=item.pk).minutes == NEW_MINUTES


# --- Approval ------------------------------------------------------------------------------


@pytest.fixture
def two_items(world, session) -> list[AgendaItem]:
    second = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Anden Person", birth_date=datetime.date(2012, 2, 2)),
        categories=["haervaerk"],
        description="Endnu en bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    ).concern.case_file
    agenda_add(actor=world.coordinator, session=session, case_file=second)
    items = list(session.items.order_by("order"))
    assert len(items) == 2
    return items


def test_approval_needs_every_item_recorded(world, client, session, two_items):
    client.force_login(world.coordinator)
    assert post(client, record_url(two_items[0]), payload(world)).status_code == 200

    client.force_login(world.chair)
    response = post(client, approve_url(session))
    assert response.status_code == 400, response.content
    assert ForumSession.objects.get(pk=session.pk).status == ForumSession.Status.HELD

    client.force_login(world.coordinator)
    assert post(client, record_url(two_items[1]), payload(world)).status_code == 200
    client.force_login(world.chair)
    response = post(client, approve_url(session))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    stored = ForumSession.objects.get(pk=session.pk)
    assert stored.status == ForumSession.Status.APPROVED
    assert stored.approved_by_id == world.chair.pk
    assert stored.approved_at is not None


@pytest.mark.parametrize("who", ["coordinator", "school_member"])
def test_only_the_chair_approves(world, client, session, item, who):
    client.force_login(world.coordinator)
    assert post(client, record_url(item), payload(world)).status_code == 200

    client.force_login(getattr(world, who))
    response = post(client, approve_url(session))

    assert response.status_code == 403, response.content
    stored = ForumSession.objects.get(pk=session.pk)
    assert stored.status == ForumSession.Status.HELD
    assert stored.approved_at is None


def test_approving_twice_is_refused(world, client, session, item):
    client.force_login(world.coordinator)
    assert post(client, record_url(item), payload(world)).status_code == 200
    client.force_login(world.chair)
    assert post(client, approve_url(session)).status_code == 200
    approved_at = ForumSession.objects.get(pk=session.pk).approved_at

    again = post(client, approve_url(session))
    assert again.status_code == 400, again.content
    assert ForumSession.objects.get(pk=session.pk).approved_at == approved_at


# --- Corrections of approved minutes ------------------------------------------------------


@pytest.fixture
def approved_item(world, client, session, item) -> AgendaItem:
    client.force_login(world.coordinator)
    assert post(client, record_url(item), payload(world)).status_code == 200
    client.force_login(world.chair)
    assert post(client, approve_url(session)).status_code == 200
    return AgendaItem.objects.get(pk=item.pk)


def test_correcting_approved_minutes_needs_a_reason(world, client, approved_item):
    before = disclosure_ids()
    client.force_login(world.coordinator)

    for extra in ({}, {"correction_reason": "for kort"}):
        response = post(
            client, record_url(approved_item), payload(world, minutes=NEW_MINUTES, **extra)
        )
        assert response.status_code == 400, response.content
        assert "correction_reason" in response.json()["errors"]

    assert disclosure_ids() == before
    assert not MinutesRevision.objects.exists()
    stored = AgendaItem.objects.get(pk=approved_item.pk)
    assert stored.minutes == MINUTES
    assert stored.version == approved_item.version


def test_a_correction_keeps_the_old_text_and_writes_a_new_disclosure(world, client, approved_item):
    before = disclosure_ids()
    client.force_login(world.coordinator)

    response = post(
        client,
        record_url(approved_item),
        payload(world, minutes=NEW_MINUTES, correction_reason=CORRECTION),
    )

    assert response.status_code == 200, response.content
    assert response.json()["minutes"] == NEW_MINUTES
    revision = MinutesRevision.objects.get(item=approved_item)
    assert revision.minutes == MINUTES
    assert revision.reason == CORRECTION
    assert revision.corrected_by_id == world.coordinator.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT minutes FROM coordination_minutesrevision WHERE id = %s", [revision.pk]
        )
        row = cursor.fetchone()
    assert row is not None
    assert MINUTES.encode() not in bytes(row[0])

    stored = AgendaItem.objects.get(pk=approved_item.pk)
    assert stored.minutes == NEW_MINUTES
    assert stored.version == approved_item.version + 1
    new = Disclosure.objects.exclude(pk__in=before)
    assert new.count() == 1
    disclosure = new.get()
    assert disclosure.source_id == approved_item.pk
    assert disclosure.from_agency_id == world.police.pk
    assert "referat" in disclosure.data_categories
    # still approved, still locked
    assert ForumSession.objects.get(pk=approved_item.session_id).status == "approved"


# --- Two requests at the same moment -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_recordings_from_the_same_version_at_once_one_gets_409(world, item):
    """Two coordinators save the minutes they both opened at version 1: the second must get
    409 (api.md: a stale version gets 409), not overwrite the first one's minutes."""
    first_client, second_client = Client(), Client(raise_request_exception=False)
    first_client.force_login(world.coordinator)
    second_client.force_login(world.chair)
    before = disclosure_ids()

    first, second = race(
        lambda: post(first_client, record_url(item), payload(world, version=1)),
        lambda: post(
            second_client, record_url(item), payload(world, minutes=NEW_MINUTES, version=1)
        ),
    )

    assert first.status_code == 200, first.content
    assert second.status_code == 409, (second.status_code, second.content)
    stored = AgendaItem.objects.get(pk=item.pk)
    assert (stored.minutes, stored.version) == (MINUTES, 2)
    assert len(disclosure_ids() - before) == 1
