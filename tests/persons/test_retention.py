"""Retention: when a case file falls due (per forum kind, to the day), what holds it back (an
open action, one extension), and what deletion leaves (a tombstone and an audit event; no
identity, content, ciphertext, key or change-log row)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from audit.verify import verify_all
from coordination import access_report
from coordination.meetings import item_record
from coordination.models import AgendaItem, ForumSession, Note, Plan, PlanAction
from coordination.plans import action_create, plan_save
from core.models import DataKey, Notification
from forums.models import Forum, ForumKind
from persons import retention
from persons.models import (
    CaseFile,
    Concern,
    DeletedCaseFile,
    FocusPerson,
    FocusPersonUserObjectPermission,
    Identity,
    IdentityReveal,
    PersonGrant,
)
from persons.services import casefile_update, person_grant_create
from tests.core.test_pg_dump import _pg_dump
from tests.factories import UserFactory
from tests.world import (
    AGENCY_NOTE_TEXT,
    FORUM_NOTE_TEXT,
    NECESSITY,
    PERSON_CPR,
    PERSON_NAME,
    World,
)

pytestmark = pytest.mark.django_db

REASON = "Familien har bedt om et opfølgende møde efter sommerferien; planen er ikke slut."
DAY = datetime.timedelta(days=1)


def set_kind(world: World, kind: str) -> None:
    Forum.objects.filter(pk=world.forum.pk).update(kind=kind)


def set_activity(case_file: CaseFile, when: datetime.datetime) -> None:
    CaseFile.objects.filter(pk=case_file.pk).update(last_activity_at=when)


def due(at: datetime.datetime) -> set[int]:
    return set(retention.due_for_deletion(CaseFile.objects.all(), at).values_list("pk", flat=True))


# --- the policy, to the day ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ForumKind.values)
def test_inactive_case_file_falls_due_on_the_day(world, settings, kind):
    settings.RETENTION_BY_KIND = "ksp=540/60,psp=400/10"
    set_kind(world, kind)
    policy = retention.policy_for(kind)
    expected = {"ksp": (540, 60), "psp": (400, 10)}.get(kind, (365, 30))
    assert (policy.inactivity_days, policy.closed_grace_days) == expected
    last = timezone.now() - datetime.timedelta(days=1000)
    set_activity(world.case_file, last)
    on_the_day = last + datetime.timedelta(days=policy.inactivity_days)

    assert world.case_file.pk not in due(on_the_day - DAY)
    assert world.case_file.pk in due(on_the_day)
    assert world.case_file.pk in due(on_the_day + DAY)


@pytest.mark.parametrize("kind", ForumKind.values)
def test_closed_case_file_falls_due_after_the_grace_period(world, settings, kind):
    settings.RETENTION_BY_KIND = "ksp=540/60,psp=400/10"
    set_kind(world, kind)
    grace = retention.policy_for(kind).closed_grace_days
    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")
    world.case_file.refresh_from_db()
    closed = world.case_file.closed_at

    assert world.case_file.pk not in due(closed + datetime.timedelta(days=grace) - DAY)
    assert world.case_file.pk in due(closed + datetime.timedelta(days=grace))
    # Recent activity does not save a closed case file: the grace period counts from closing.
    assert world.case_file.pk in due(closed + datetime.timedelta(days=grace) + DAY)


def test_a_bad_policy_setting_names_the_variable(settings):
    settings.RETENTION_BY_KIND = "ksp=540"
    with pytest.raises(Exception, match="RETENTION_BY_KIND"):
        retention.policy_for("ksp")


def open_action(world: World) -> PlanAction:
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål for planen")
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description="Skolen taler med forældrene.",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )


def test_an_open_action_holds_an_inactive_case_file_back(world):
    action = open_action(world)
    long_ago = timezone.now() - datetime.timedelta(days=800)
    set_activity(world.case_file, long_ago)
    later = timezone.now() + DAY

    assert world.case_file.pk not in due(later)
    PlanAction.objects.filter(pk=action.pk).update(status=PlanAction.Status.DONE)
    assert world.case_file.pk in due(later)


def test_an_extension_holds_once(world):
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=366))
    now = timezone.now()
    assert world.case_file.pk in due(now)

    case_file = retention.casefile_extend(
        actor=world.coordinator, case_file_id=world.case_file.pk, reason=REASON
    )

    until = case_file.retention_extended_until
    assert until is not None
    assert until - now >= datetime.timedelta(days=182)
    assert world.case_file.pk not in due(until - DAY)
    assert world.case_file.pk in due(until + DAY)
    with pytest.raises(ValidationError, match="allerede forlænget"):
        retention.casefile_extend(
            actor=world.coordinator, case_file_id=world.case_file.pk, reason=REASON
        )
    event = AccessEvent.objects.get(action=AccessEvent.Action.EXTEND_RETENTION)
    assert event.actor_id == world.coordinator.pk
    assert event.person_ids == [world.person.pk]
    assert "Familien" not in event.reason  # the free text stays out of the audit row
    assert not LogEntry.objects.filter(changes_text__contains="Familien").exists()
    assert "Familien" not in repr(list(LogEntry.objects.values_list("changes", flat=True)))
    # Encrypted under the case file's key, readable through Tværs.
    stored = CaseFile.objects.get(pk=world.case_file.pk)
    assert stored.retention_extension_reason == REASON
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT retention_extension_reason FROM persons_casefile WHERE id = %s",
            [world.case_file.pk],
        )
        assert b"Familien" not in bytes(cursor.fetchone()[0])


def test_an_extension_needs_a_reason_and_a_managing_member(world):
    with pytest.raises(ValidationError):
        retention.casefile_extend(
            actor=world.coordinator, case_file_id=world.case_file.pk, reason="for kort"
        )
    for outsider in (world.school_member, world.outsider, world.expired_member):
        with pytest.raises((Http404, PermissionDenied)):
            retention.casefile_extend(
                actor=outsider, case_file_id=world.case_file.pk, reason=REASON
            )
    assert CaseFile.objects.get(pk=world.case_file.pk).retention_extended_at is None


# --- deletion ----------------------------------------------------------------------------------


GOALS = "Mål: stabilt fremmøde i skolen og et fritidsjob"
ACTION_TEXT = "Samtale med familien om fremmødet"
MINUTES = "Referat: drøftet fravær, fritidsjob og kammerater"
REVEAL_REASON = "Skolen skal kende identiteten for at kunne handle i dag."
GRANT_REASON = "Familiens sagsbehandler skal kende helhedsplanen for at koordinere."


def populate(world: World, *, restriction: bool = False) -> dict[str, Any]:
    """Everything a case file can hold: plan, action, recorded minutes, a guest-free agenda
    item, a reveal, a per-person grant and a notification about the person."""
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)
    action = action_create(
        actor=world.coordinator,
        plan=plan,
        description=ACTION_TEXT,
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    PlanAction.objects.filter(pk=action.pk).update(status=PlanAction.Status.DONE)
    session = ForumSession.objects.create(
        forum=world.forum, starts_at=timezone.now(), created_by=world.coordinator
    )
    item = AgendaItem(session=session, case_file=world.case_file, kind="new", order=1)
    item.save()
    item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=NECESSITY,
        presenting_agency=world.school,
        minutes=MINUTES,
        attendees=[world.chair],
    )
    IdentityReveal.objects.create(
        person=world.person,
        case_file=world.case_file,
        user=world.coordinator,
        reason=REVEAL_REASON,
        expires_at=timezone.now() + datetime.timedelta(minutes=30),
    )
    caseworker = UserFactory.create(agency=world.social, roles=["member"])
    person_grant_create(
        actor=world.coordinator,
        case_file=world.case_file,
        grantee=caseworker,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=GRANT_REASON,
    )
    if restriction:  # a part withheld from the access report
        access_report.restriction_add(
            actor=world.coordinator,
            person_id=world.person.pk,
            case_file_id=world.case_file.pk,
            part="note",
            object_id=world.agency_note.pk,
            reason="Oplysningen beskytter en tredjemand i en igangværende indsats.",
        )
    Notification.objects.create(
        recipient=world.school_member,
        kind="action",
        message=f"Ny handling for {world.person.pseudonym}",
        link=f"/personer/{world.person.pk}/",
    )
    return {"session": session, "plan": plan, "caseworker": caseworker}


def ciphertexts(world: World) -> list[bytes]:
    """The stored ciphertext of the person's identity and the case file's content."""
    queries = [
        ("SELECT name FROM persons_identity WHERE person_id = %s", world.person.pk),
        ("SELECT body FROM coordination_note WHERE case_file_id = %s", world.case_file.pk),
        ("SELECT description FROM persons_concern WHERE case_file_id = %s", world.case_file.pk),
        ("SELECT minutes FROM coordination_agendaitem WHERE case_file_id = %s", world.case_file.pk),
        ("SELECT goals FROM coordination_plan WHERE case_file_id = %s", world.case_file.pk),
    ]
    found = []
    with connection.cursor() as cursor:
        for sql, pk in queries:
            cursor.execute(sql, [pk])
            found += [bytes(row[0]) for row in cursor.fetchall() if row[0]]
    return found


def test_the_sweep_deletes_a_populated_person_and_leaves_a_tombstone(world):
    extra = populate(world, restriction=True)
    sealed = ciphertexts(world)
    assert len(sealed) >= 5
    person_pk, case_file_pk = world.person.pk, world.case_file.pk
    keys = [world.person.data_key_id, world.case_file.data_key_id]
    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")
    assert LogEntry.objects.filter(additional_data__person_id=person_pk).exists()

    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        run = retention.apply_retention()

    assert (run.deleted_case_files, run.deleted_persons) == (1, 1)
    assert not FocusPerson.objects.filter(pk=person_pk).exists()
    assert not Identity.objects.filter(person_id=person_pk).exists()
    assert not CaseFile.objects.filter(pk=case_file_pk).exists()
    for model in (Concern, Note, AgendaItem, Plan, PlanAction, IdentityReveal, PersonGrant):
        field = "person_id" if model in (IdentityReveal, PersonGrant) else None
        rows = model.objects.filter(**{field: person_pk}) if field else model.objects.all()
        if model in (Note, Concern, AgendaItem, Plan):
            rows = model.objects.filter(case_file_id=case_file_pk)
        assert not rows.exists(), model
    assert not FocusPersonUserObjectPermission.objects.filter(
        user=extra["caseworker"], content_object_id=person_pk
    ).exists()
    assert not DataKey.objects.filter(pk__in=keys).exists()
    assert not Notification.objects.filter(link__startswith=f"/personer/{person_pk}/").exists()
    # The session itself stays (other persons' items, the meeting happened).
    assert ForumSession.objects.filter(pk=extra["session"].pk).exists()
    # No change-log row of anything deleted is left.
    assert not LogEntry.objects.filter(additional_data__person_id=person_pk).exists()
    assert not LogEntry.objects.filter(
        content_type__model="casefile", object_pk=str(case_file_pk)
    ).exists()

    tombstone = DeletedCaseFile.objects.get(case_file_id=case_file_pk)
    assert tombstone.pseudonym == world.person.pseudonym
    assert tombstone.cause == DeletedCaseFile.Cause.CLOSED
    assert tombstone.person_deleted
    assert tombstone.deleted_by is None
    assert tombstone.deleted_counts == {
        "concerns": 1,
        "notes": 2,
        "agenda_items": 1,
        "plans": 1,
        "plan_actions": 1,
        "reveals": 1,
        "grants": 1,
    }
    event = AccessEvent.objects.get(action=AccessEvent.Action.DELETE_DATA)
    assert event.person_ids == [person_pk]
    assert event.person_pseudonyms == [world.person.pseudonym]
    assert event.reason == "closed"
    assert verify_all().ok

    # Nothing of it is anywhere in the database: no plaintext, no ciphertext.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(t::text, ' ') FROM ("
            " SELECT changes::text FROM auditlog_logentry UNION ALL"
            " SELECT reason FROM audit_accessevent UNION ALL"
            " SELECT message FROM core_notification) t"
        )
        text = cursor.fetchone()[0] or ""
    for secret in (PERSON_NAME, PERSON_CPR, AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT, MINUTES, GOALS):
        assert secret not in text
    tables = [
        ("persons_identity", "name"),
        ("coordination_note", "body"),
        ("persons_concern", "description"),
        ("coordination_agendaitem", "minutes"),
        ("coordination_plan", "goals"),
    ]
    with connection.cursor() as cursor:
        remaining = []
        for table, column in tables:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
            remaining += [bytes(row[0]) for row in cursor.fetchall()]
    assert not set(sealed) & set(remaining)


def test_the_other_case_file_of_a_person_survives(world):
    other = CaseFile.objects.get(pk=world.other_case_file.pk)
    # Put the person on a second forum too: deleting one case file must keep the other.
    second = CaseFile.objects.create(
        person=world.person,
        forum=world.other_forum,
        opened_by=world.coordinator,
        data_key=DataKey.create(),
    )
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=400))

    run = retention.apply_retention()

    assert run.deleted_case_files == 1
    assert run.deleted_persons == 0
    person = FocusPerson.objects.get(pk=world.person.pk)
    assert person.identity.name == PERSON_NAME  # the person's key lives on
    assert CaseFile.objects.filter(pk=second.pk).exists()
    assert CaseFile.objects.filter(pk=other.pk).exists()
    assert not DeletedCaseFile.objects.get(case_file_id=world.case_file.pk).person_deleted


def test_dry_run_deletes_nothing(world):
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=400))
    run = retention.apply_retention(dry_run=True)
    assert run.due == 1
    assert CaseFile.objects.filter(pk=world.case_file.pk).exists()
    assert not DeletedCaseFile.objects.exists()


def test_a_failure_midway_leaves_the_person_whole_and_the_next_run_finishes(world, monkeypatch):
    populate(world)
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=400))
    PlanAction.objects.update(status=PlanAction.Status.DONE)
    real_shred = retention._shred
    calls = {"n": 0}

    def shred_then_die(data_key_id: Any) -> None:
        calls["n"] += 1
        real_shred(data_key_id)
        if calls["n"] == 1:
            raise RuntimeError("killed midway")

    monkeypatch.setattr(retention, "_shred", shred_then_die)
    with pytest.raises(RuntimeError):
        retention.apply_retention()

    person = FocusPerson.objects.get(pk=world.person.pk)
    assert person.identity.name == PERSON_NAME
    case_file = CaseFile.objects.get(pk=world.case_file.pk)
    assert case_file.notes.count() == 2
    assert {n.body for n in case_file.notes.all()} == {AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT}
    assert not DeletedCaseFile.objects.exists()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.DELETE_DATA).exists()

    monkeypatch.setattr(retention, "_shred", real_shred)
    run = retention.apply_retention()
    assert run.deleted_persons == 1
    assert verify_all().ok


# --- deletion now, by the coordinator -----------------------------------------------------------


def test_coordinator_deletes_a_case_file_now(world):
    tombstone = retention.casefile_delete_now(
        actor=world.coordinator,
        case_file_id=world.case_file.pk,
        cause=DeletedCaseFile.Cause.ERROR,
    )
    assert tombstone.deleted_by == world.coordinator
    assert tombstone.person_deleted
    assert not FocusPerson.objects.filter(pk=world.person.pk).exists()
    event = AccessEvent.objects.get(action=AccessEvent.Action.DELETE_DATA)
    assert event.actor_id == world.coordinator.pk
    assert event.reason == "error"


def test_deletion_now_is_refused_like_a_missing_case_file(world):
    # Outside the forum: the same 404 as for a case file that does not exist.
    for actor in (world.outsider, world.expired_member):
        for pk in (world.case_file.pk, 987654321):
            with pytest.raises(Http404):
                retention.casefile_delete_now(
                    actor=actor, case_file_id=pk, cause=DeletedCaseFile.Cause.REQUEST
                )
    # Members see the case file already (no secret), but only chair and coordinator delete.
    for actor in (world.school_member, world.police_member):
        with pytest.raises(PermissionDenied):
            retention.casefile_delete_now(
                actor=actor, case_file_id=world.case_file.pk, cause=DeletedCaseFile.Cause.REQUEST
            )
    with pytest.raises(ValidationError):
        retention.casefile_delete_now(
            actor=world.coordinator,
            case_file_id=world.case_file.pk,
            cause=DeletedCaseFile.Cause.CLOSED,  # the schedule's cause, not a coordinator's
        )
    assert FocusPerson.objects.filter(pk=world.person.pk).exists()


# --- the page ----------------------------------------------------------------------------------


def test_due_list_page_shows_what_falls_due_and_extends(world, client):
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=350))
    set_activity(world.other_case_file, timezone.now() - datetime.timedelta(days=350))
    client.force_login(world.coordinator)

    page = client.get(reverse("persons:retention"))

    assert page.status_code == 200
    body = page.content.decode()
    assert world.person.pseudonym in body
    assert world.other_person.pseudonym not in body  # another forum's
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]

    short = client.post(reverse("persons:retention-extend", args=[world.case_file.pk]), {})
    assert short.status_code == 400
    done = client.post(
        reverse("persons:retention-extend", args=[world.case_file.pk]), {"reason": REASON}
    )
    assert done.status_code == 302
    assert CaseFile.objects.get(pk=world.case_file.pk).retention_extended_at is not None


def test_due_list_page_is_empty_for_a_member(world, client):
    set_activity(world.case_file, timezone.now() - datetime.timedelta(days=350))
    client.force_login(world.school_member)
    page = client.get(reverse("persons:retention"))
    assert page.status_code == 200
    assert world.person.pseudonym not in page.content.decode()


def test_delete_now_from_the_page_needs_confirmation(world, client):
    client.force_login(world.coordinator)
    url = reverse("persons:retention-delete", args=[world.case_file.pk])
    assert client.post(url, {"cause": "request"}).status_code == 400
    assert FocusPerson.objects.filter(pk=world.person.pk).exists()
    response = client.post(url, {"cause": "request", "confirm": "on"})
    assert response.status_code == 302
    assert not FocusPerson.objects.filter(pk=world.person.pk).exists()


def test_the_dpo_reads_extensions_with_their_reasons_and_the_deletions(world, client):
    retention.casefile_extend(
        actor=world.coordinator, case_file_id=world.case_file.pk, reason=REASON
    )
    retention.casefile_delete_now(
        actor=world.outsider,
        case_file_id=world.other_case_file.pk,
        cause=DeletedCaseFile.Cause.ERROR,
    )
    client.force_login(world.dpo)

    page = client.get(reverse("coordination:retention-decisions"))

    assert page.status_code == 200
    body = page.content.decode()
    assert REASON in body
    assert world.person.pseudonym in body
    assert world.other_person.pseudonym in body
    assert "Registreret ved en fejl" in body
    for secret in (PERSON_NAME, PERSON_CPR, FORUM_NOTE_TEXT):
        assert secret not in body
    read = AccessEvent.objects.filter(actor=world.dpo, action=AccessEvent.Action.VIEW_CASE_FILE)
    assert read.get().person_ids == [world.person.pk]
    client.force_login(world.coordinator)
    assert client.get(reverse("coordination:retention-decisions")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_after_the_sweep_pg_dump_holds_nothing_of_the_person(world):
    """The whole database as a backup would see it: no plaintext and no ciphertext of the
    deleted person's identity, notes, minutes, plan or reasons; the other person is still there
    (encrypted)."""
    populate(world, restriction=True)
    sealed = ciphertexts(world)
    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")

    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        assert retention.apply_retention().deleted_persons == 1

    dump = _pg_dump()
    assert "COPY public.persons_identity" in dump
    assert world.other_person.pseudonym in dump  # the dump is real and holds the other person
    secrets = (
        PERSON_NAME,
        PERSON_CPR,
        f"{PERSON_CPR[:6]}-{PERSON_CPR[6:]}",
        AGENCY_NOTE_TEXT,
        FORUM_NOTE_TEXT,
        MINUTES,
        GOALS,
        ACTION_TEXT,
        REVEAL_REASON,
        GRANT_REASON,
        "Afsluttet",
    )
    for secret in secrets:
        assert secret.lower() not in dump.lower(), secret
        assert secret.encode().hex() not in dump, secret
    for ciphertext in sealed:
        assert ciphertext.hex() not in dump


def test_a_case_file_not_yet_due_can_be_chosen_for_deletion_now(world, client):
    client.force_login(world.coordinator)
    url = reverse("persons:retention")
    assert world.person.pseudonym not in client.get(url).content.decode()  # not due

    chosen = client.get(url, {"sag": world.case_file.pk})

    assert chosen.status_code == 200
    assert world.person.pseudonym in chosen.content.decode()
    assert client.get(url, {"sag": "x"}).status_code == 400
    assert client.get(url, {"sag": world.other_case_file.pk}).status_code == 404
    client.force_login(world.outsider)
    assert client.get(url, {"sag": world.case_file.pk}).status_code == 404
