"""Reasons in the audit rows are sealed under the case file's data key (issue 10): the chained
rows hold ciphertext (hashed, so the chain verifies after the key is gone), the DPO reads the
reason through Tværs until the case file is deleted, then sees "slettet"."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, Disclosure
from audit.services import reason_shown, reason_text
from audit.verify import verify_all
from coordination.services import note_share
from persons import retention
from persons.models import DeletedCaseFile
from persons.services import (
    IdentityInput,
    casefile_update,
    concern_register,
    identity_reveal,
    person_grant_create,
)
from tests.factories import UserFactory
from tests.world import World

pytestmark = pytest.mark.django_db

NAMED = "Forummet skal kunne tale om den unge med navn for at koordinere indsatsen."
REVEAL = "Skal ringe til forældrene om mødet på torsdag i næste uge."
SHARE = "Fraværet hænger sammen med politiets oplysninger om færden om aftenen."
GRANT = "Den nye sagsbehandler skal kende helhedsplanen før overtagelsen."
SEALED = [NAMED, REVEAL, SHARE, GRANT]


@pytest.fixture
def sealed(world: World) -> World:
    note_share(actor=world.school_member, note=world.agency_note, necessity=SHARE)
    casefile_update(actor=world.coordinator, case_file=world.case_file, mode="named", reason=NAMED)
    identity_reveal(actor=world.school_member, person_id=world.person.pk, reason=REVEAL)
    person_grant_create(
        actor=world.chair,
        case_file=world.case_file,
        grantee=UserFactory.create(agency=world.social, roles=["member"]),
        expires_at=timezone.now() + datetime.timedelta(days=7),
        reason=GRANT,
    )
    return world


def audit_table_text(table: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
        rows = cursor.fetchall()
    return b"\n".join(
        bytes(value) if isinstance(value, memoryview | bytes) else str(value).encode()
        for row in rows
        for value in row
    )


def reveal_event(world: World) -> AccessEvent:
    return AccessEvent.objects.get(
        action=AccessEvent.Action.REVEAL_IDENTITY, person_ids=[world.person.pk]
    )


def test_the_audit_tables_hold_no_reason_in_plaintext(sealed):
    for table in ("audit_accessevent", "audit_disclosure"):
        stored = audit_table_text(table)
        for text in SEALED:
            assert text.encode() not in stored, (table, text)
    event = reveal_event(sealed)
    assert event.reason == ""
    assert event.sealed_reason is not None
    assert event.data_key_id == sealed.case_file.data_key_id
    assert reason_text(event) == REVEAL
    texts = {reason_text(row) for row in Disclosure.objects.filter(person_id=sealed.person.pk)}
    assert {NAMED, SHARE, GRANT} <= texts


def test_a_sealed_reason_moved_to_another_row_does_not_open(sealed):
    first, second = Disclosure.objects.filter(sealed_reason__isnull=False).order_by("seq")[:2]
    second.sealed_reason = first.sealed_reason  # in memory only: the rows are never updated
    with pytest.raises(Exception, match="authenticate"):
        reason_text(second)


def test_the_chain_verifies_before_and_after_the_key_is_destroyed(sealed):
    assert verify_all().ok
    retention.casefile_delete_now(
        actor=sealed.coordinator,
        case_file_id=sealed.case_file.pk,
        cause=DeletedCaseFile.Cause.REQUEST,
    )
    assert verify_all().ok
    event = reveal_event(sealed)
    assert event.sealed_reason is not None  # the ciphertext stays, unreadable
    assert reason_text(event) is None
    assert reason_shown(event) == "slettet"
    # The deletion itself is recorded with a code, not sealed.
    deleted = AccessEvent.objects.get(action=AccessEvent.Action.DELETE_DATA)
    assert (deleted.reason, deleted.sealed_reason) == (DeletedCaseFile.Cause.REQUEST, None)


def test_the_dpo_reads_the_reasons_until_the_case_file_is_deleted(sealed, client):
    client.force_login(sealed.dpo)
    url = reverse("audit:person-history", args=[sealed.person.pseudonym])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for text in SEALED:
        assert text in html, text

    retention.casefile_delete_now(
        actor=sealed.coordinator,
        case_file_id=sealed.case_file.pk,
        cause=DeletedCaseFile.Cause.REQUEST,
    )
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for text in SEALED:
        assert text not in html, text
    assert "slettet" in html


def test_the_dpo_api_and_csv_give_the_reason(sealed, client):
    client.force_login(sealed.dpo)
    response = client.get(reverse("api:audit-access-events"))
    assert response.status_code == 200, response.content
    assert REVEAL in response.content.decode()
    response = client.get(reverse("api:audit-disclosures"))
    assert response.status_code == 200, response.content
    assert SHARE in response.content.decode()
    csv = client.get(reverse("audit:access-list"), {"format": "csv"})
    assert csv.status_code == 200
    assert REVEAL in b"".join(csv.streaming_content).decode()


def _sealed_disclosures(world: World, count: int) -> None:
    """``count`` concerns on new persons of the world's forum: each writes a disclosure whose
    necessity is sealed under its own case file's key."""
    for n in range(count):
        concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name=f"Person Nummer{n}", birth_date=datetime.date(2012, 5, 1)),
            categories=["skolefravaer"],
            description=f"Bekymring {n}",
            source_agency=world.school,
            necessity=f"Nødvendigt for forebyggelsen i sag nummer {n}, fordi skolen skal vide det.",
        )


@pytest.mark.parametrize(
    "route", ["audit:access-list", "api:audit-disclosures", "api:audit-access-events"]
)
def test_a_page_of_sealed_reasons_costs_the_same_queries_for_more_keys(world, client, route):
    """One query for the data keys of a page, not one per row (rule 8)."""
    client.force_login(world.dpo)
    _sealed_disclosures(world, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(route)).status_code == 200
    _sealed_disclosures(world, 6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(route)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
