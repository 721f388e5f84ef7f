"""Every access event says in which forum's capacity and for what (the route) a read was made,
for the person's access report; rows chained before these fields existed still verify."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from audit.services import access_record, sequence_pending
from audit.verify import verify_all
from persons.services import person_grant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REASON = "Familiens sagsbehandler skal kende helhedsplanen for at koordinere."


def newest(action: str) -> AccessEvent:
    event = AccessEvent.objects.filter(action=action).order_by("-id").first()
    assert event is not None, action
    return event


def test_person_page_records_the_members_forum_and_the_route(world, client):
    client.force_login(world.school_member)
    assert (
        client.get(reverse("coordination:person-detail", args=[world.person.pk])).status_code == 200
    )

    event = newest(AccessEvent.Action.VIEW_PERSON)
    assert event.forum_ids == [world.forum.pk]
    assert event.purpose == "coordination:person-detail"
    notes = newest(AccessEvent.Action.VIEW_NOTE)
    assert notes.forum_ids == [world.forum.pk]


def test_api_read_records_the_api_route(world, client):
    client.force_login(world.school_member)
    response = client.get(reverse("api:person-detail", args=[world.person.pk]))
    assert response.status_code == 200
    event = newest(AccessEvent.Action.VIEW_PERSON)
    assert event.purpose == "api:person-detail"
    assert event.forum_ids == [world.forum.pk]


def test_a_grantee_reads_in_the_capacity_of_the_granting_forum(world, client):
    caseworker = UserFactory.create(agency=world.social, roles=["member"])
    person_grant_create(
        actor=world.coordinator,
        case_file=world.case_file,
        grantee=caseworker,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=REASON,
    )
    client.force_login(caseworker)
    assert (
        client.get(reverse("coordination:person-detail", args=[world.person.pk])).status_code == 200
    )
    assert newest(AccessEvent.Action.VIEW_PERSON).forum_ids == [world.forum.pk]


def test_outside_a_request_the_purpose_is_empty(world):
    event = access_record(
        actor=world.coordinator, action=AccessEvent.Action.VIEW_CASE_FILE, objects=[world.case_file]
    )
    assert event.purpose == ""
    assert event.forum_ids == [world.forum.pk]


def test_rows_without_the_new_fields_verify_and_a_changed_purpose_is_detected(world, client):
    old_style = access_record(actor=world.coordinator, action=AccessEvent.Action.SEARCH)
    assert (old_style.forum_ids, old_style.purpose) == ([], "")
    client.force_login(world.school_member)
    client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    sequence_pending()
    assert verify_all().ok

    event = newest(AccessEvent.Action.VIEW_PERSON)
    assert event.compute_hash() == event.row_hash
    event.purpose = "coordination:person-list"
    assert event.compute_hash() != event.row_hash
    event.purpose, event.forum_ids = "coordination:person-detail", []
    assert event.compute_hash() != event.row_hash  # blanking a set field is detected too
