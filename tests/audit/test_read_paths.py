"""Every read of person data is audited, a refusal too, and a read whose audit record cannot
be written fails instead of going unaudited. Driven by the access matrix's routes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import audit.services
from audit.models import AccessEvent, Disclosure
from tests.test_access_matrix import ACTORS, MATRIX, PERSONA
from tests.test_access_matrix import matrix_world as matrix_world  # the fixture, re-exported
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    OTHER_CPR,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
)

# Routes that show person data: kept here, checked against the matrix so a rename fails.
PERSON_READS = {
    "persons:forum-detail",
    "coordination:person-list",
    "coordination:person-detail",
    "api:concern-list",
    "api:person-list",
    "api:person-detail",
    "api:case-file-list",
    "api:case-file-detail",
    "api:case-file-notes",
}
ACTOR = "member"

READ_CASES = [
    (route, index)
    for route in sorted(PERSON_READS & set(MATRIX))
    for index, case in enumerate(MATRIX[route])
    if case.method == "get" and case.expected(ACTOR) == 200
]

PLAINTEXTS = [
    PERSON_NAME,
    *PERSON_NAME.split(),
    PERSON_CPR,
    f"{PERSON_CPR[:6]}-{PERSON_CPR[6:]}",
    OTHER_NAME,
    *OTHER_NAME.split(),
    OTHER_CPR,
    f"{OTHER_CPR[:6]}-{OTHER_CPR[6:]}",
    "Testvej",
    AGENCY_NOTE_TEXT,
    FORUM_NOTE_TEXT,
    CONCERN_TEXT,
    "Bekymring i det andet forum",
]


def test_person_reads_are_routes_of_the_matrix():
    assert ACTOR in ACTORS
    assert set(MATRIX) >= PERSON_READS
    assert {route for route, _ in READ_CASES} == PERSON_READS  # each has a GET the member gets


def new_events(after: int) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(id__gt=after).order_by("id"))


def last_seq() -> int:
    """The newest access event's id: events are written pending (no seq yet), in id order."""
    event = AccessEvent.objects.order_by("-id").first()
    return event.pk if event else 0


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "index"), READ_CASES, ids=[r for r, _ in READ_CASES])
def test_person_read_is_audited(matrix_world, client, route, index):
    member = getattr(matrix_world, PERSONA[ACTOR])
    pseudonym = matrix_world.person.pseudonym
    client.force_login(member)
    before = last_seq()

    response = client.get(MATRIX[route][index].url(matrix_world))

    assert response.status_code == 200
    events = new_events(before)
    assert events, f"{route} showed person data without an access event"
    for event in events:
        assert event.actor_id == member.pk
        assert event.actor_agency_id == member.agency_id
        assert event.object_ids, event.action
        assert event.person_pseudonyms, event.action
        assert set(event.person_pseudonyms) == {pseudonym}
        assert event.person_ids == [matrix_world.person.pk]
        assert event.request_id  # tied to the request
        assert {s.pseudonym for s in event.subjects.all()} == {pseudonym}


@pytest.mark.django_db
def test_person_detail_page_names_what_was_shown(matrix_world, client):
    """The page shows the person, the concern and the notes: one event for each kind."""
    client.force_login(matrix_world.school_member)
    before = last_seq()

    client.get(MATRIX["coordination:person-detail"][0].url(matrix_world))

    shown = {e.action: set(e.object_ids) for e in new_events(before)}
    assert shown["view_person"] == {str(matrix_world.person.pk)}
    assert shown["view_concern"] == {str(matrix_world.concern.pk)}
    assert shown["view_note"] == {str(matrix_world.agency_note.pk), str(matrix_world.forum_note.pk)}


@pytest.mark.django_db
def test_denied_read_is_audited(world, client):
    client.force_login(world.outsider)
    before = last_seq()

    response = client.get(f"/api/v1/persons/{world.person.pk}/")

    assert response.status_code == 404
    [event] = new_events(before)
    assert event.action == AccessEvent.Action.DENIED
    assert event.actor_id == world.outsider.pk
    assert str(world.person.pk) in event.reason
    assert event.person_pseudonyms == []  # a refusal reveals nothing about the person


@pytest.fixture
def audit_down(monkeypatch):
    """The audit store refuses every write: the insert of a request's reads and the chained
    append alike."""

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit.services, "_insert_pending", broken)
    monkeypatch.setattr(audit.services, "append", broken)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("api:person-detail", args=[w.person.pk]),
        lambda w: reverse("api:person-list"),
        lambda w: reverse("coordination:person-detail", args=[w.person.pk]),
    ],
    ids=["api-detail", "api-list", "page"],
)
def test_read_fails_when_its_audit_record_cannot_be_written(world, client, audit_down, url):
    """The page was built, but its reads could not be recorded: the answer is withheld (503,
    in Danish), and nothing of the person leaves."""
    client.force_login(world.school_member)
    before = last_seq()

    response = client.get(url(world))

    assert response.status_code == 503
    assert world.person.pseudonym.encode() not in response.content
    assert "registreres" in response.content.decode()
    assert last_seq() == before


@pytest.mark.django_db
def test_denial_fails_when_its_audit_record_cannot_be_written(world, client, audit_down):
    client.force_login(world.outsider)

    response = client.get(f"/api/v1/persons/{world.person.pk}/")

    assert response.status_code == 503
    assert response.json()["detail"].startswith("Adgangen kunne ikke registreres")


@pytest.mark.django_db
def test_a_page_of_several_reads_costs_two_audit_statements(world, client):
    """The person page records the person, concerns, notes (and grants): written together,
    one INSERT for the events and one for their subjects, and no lock on the chain head."""
    client.force_login(world.school_member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    assert response.status_code == 200
    audit_sql = [
        q["sql"] for q in queries.captured_queries if "audit_" in q["sql"].split(" WHERE ")[0]
    ]
    assert len(audit_sql) == 2, audit_sql
    assert audit_sql[0].startswith('INSERT INTO "audit_accessevent"')
    assert audit_sql[1].startswith('INSERT INTO "audit_accesseventsubject"')
    assert not any("audit_chainhead" in q["sql"] for q in queries.captured_queries)
    events = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert {e.action for e in events} >= {"view_person", "view_concern", "view_note"}
    assert all(e.seq is None for e in events)  # pending until the sequencer runs


def audit_dump() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_accessevent")
        events = cursor.fetchall()
        cursor.execute("SELECT * FROM audit_accesseventsubject")
        subjects = cursor.fetchall()
        cursor.execute("SELECT * FROM audit_disclosure")
        disclosures = cursor.fetchall()
    decoded: list[dict[str, Any]] = [
        *AccessEvent.objects.values(),
        *Disclosure.objects.values(),
    ]
    assert events and subjects and disclosures
    return "\n".join(
        [
            repr(events),
            repr(subjects),
            repr(disclosures),
            json.dumps(decoded, default=str, ensure_ascii=False),
            json.dumps(decoded, default=str),
        ]
    )


@pytest.mark.django_db
def test_no_plaintext_in_audit_records(matrix_world, client):
    for actor in ["member", "other_agency_member", "coordinator", "other_forum_member"]:
        client.force_login(getattr(matrix_world, PERSONA[actor]))
        for route in sorted(PERSON_READS):
            for case in MATRIX[route]:
                if case.method == "get":
                    client.get(case.url(matrix_world))
    client.force_login(matrix_world.school_member)
    reveal = client.post(
        f"/api/v1/persons/{matrix_world.person.pk}/reveal/",
        data={"reason": "Nødvendigt for at kontakte familien om skolefraværet."},
        content_type="application/json",
    )
    assert reveal.status_code == 200
    assert reveal.json()["name"] == PERSON_NAME  # the identity was shown ...

    dump = audit_dump()

    assert matrix_world.person.pseudonym in dump  # ... and only its pseudonym was recorded
    for plaintext in PLAINTEXTS:
        assert plaintext.lower() not in dump.lower(), plaintext


@pytest.mark.django_db
def test_a_page_search_without_results_is_logged_with_its_criterion(world, client):
    client.force_login(world.school_member)

    response = client.get("/personer/?q=ZZZZ-ZZZZ")

    assert response.status_code == 200
    event = AccessEvent.objects.get(
        action=AccessEvent.Action.SEARCH, search_criterion__startswith="q="
    )
    assert event.search_criterion == "q=ZZZZ-ZZZZ"
    assert event.object_ids == []
