"""The hash chains prove the audit trail: ``audit_verify`` passes an intact trail and names
the first bad row, the removed tail or the forged checkpoint when a superuser tampered with it
(triggers switched off, as only the tables' owner could)."""

from __future__ import annotations

import datetime
import itertools
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from audit.models import (
    GENESIS_HASH,
    AccessEvent,
    AccountEvent,
    ChainHead,
    Checkpoint,
    Disclosure,
)
from audit.services import access_record, checkpoint_record, sequence_pending
from audit.verify import verify_all, verify_chain
from config.keys import decode_key, new_key
from core import crypto

# --- helpers -------------------------------------------------------------------------------


def run_verify(*args: str) -> str:
    """``manage.py audit_verify``: its output on success; a failure raises CommandError."""
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def verify_error(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run_verify(*args)
    return str(caught.value)


def tamper(*statements: tuple[str, list[object]]) -> None:
    """Run SQL with every audit table's row guard off, as an attacker with the owner's rights
    would, and put the guards back (ENABLE ALWAYS) afterwards."""
    tables = [
        "audit_accessevent",
        "audit_accesseventsubject",
        "audit_disclosure",
        "audit_checkpoint",
        "audit_accountevent",
        "audit_spotcheck",
    ]
    with connection.cursor() as cursor:
        # PostgreSQL refuses ALTER TABLE while deferred FK checks are pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
        finally:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_%%_no_change' "
            "AND tgenabled = 'A'"
        )
        assert cursor.fetchone()[0] == len(tables)  # the guards are back


def delete_events(*events: AccessEvent) -> None:
    ids = [event.pk for event in events]
    tamper(
        ("DELETE FROM audit_accesseventsubject WHERE event_id = ANY(%s)", [ids]),
        ("DELETE FROM audit_accessevent WHERE id = ANY(%s)", [ids]),
    )


def rows(model=AccessEvent) -> list[Any]:
    return list(model.objects.order_by("seq"))


@pytest.fixture
def trail(world, client):
    """The world (its shared note is a Disclosure) plus access events from real reads and from
    the service directly, so the chain has a dozen rows of both kinds."""
    client.force_login(world.school_member)
    for url in [
        f"/api/v1/persons/{world.person.pk}/",
        f"/api/v1/case-files/{world.case_file.pk}/",
        "/api/v1/persons/",
        "/api/v1/concerns/",
        f"/api/v1/case-files/{world.case_file.pk}/notes/",
    ]:
        assert client.get(url).status_code == 200, url
    client.force_login(world.outsider)
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 404
    for i in range(6):
        access_record(actor=world.coordinator, action="search", search_criterion=f"q=X{i}")
    assert AccessEvent.objects.count() >= 12
    assert Disclosure.objects.count() >= 1
    sequence_pending()  # as beat's sequencer does within seconds
    return world


# --- an intact trail -----------------------------------------------------------------------


@pytest.mark.django_db
def test_intact_trail_verifies(trail):
    events, disclosures = rows(AccessEvent), rows(Disclosure)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(events))
    head = ChainHead.objects.get(chain="access_event")
    assert (head.seq, head.row_hash) == (events[-1].seq, events[-1].row_hash)
    checkpoint_record("access_event")
    checkpoint_record("disclosure")

    output = run_verify()

    assert "intact" in output
    accounts = rows(AccountEvent)  # the world's accounts were created and given roles
    assert f"{len(events) + len(disclosures) + len(accounts)} rows" in output
    assert verify_chain(AccessEvent).ok and verify_chain(Disclosure).ok


@pytest.mark.django_db
def test_stored_rows_hash_to_what_was_appended(trail):
    """The hash is taken over the values as the database gives them back."""
    for event in rows(AccessEvent) + rows(Disclosure):
        assert event.compute_hash() == event.row_hash, event.pk


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::1", "2001:DB8:0:0:0:0:0:1"])
def test_event_from_any_client_address_verifies(world, client, address):
    """The request's address is hashed as stored; IPv6 spelled in full or upper case too."""
    client.force_login(world.school_member)
    response = client.get(f"/api/v1/persons/{world.person.pk}/", REMOTE_ADDR=address)
    assert response.status_code == 200
    event = AccessEvent.objects.get(action="view_person")
    assert event.ip_address is not None

    assert verify_chain(AccessEvent).ok, verify_chain(AccessEvent).problem


# --- content tampering ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("reason", "harmless"), ("action", "view_person"), ("search_criterion", "q=other")],
)
def test_changed_content_names_the_row(trail, column, value):
    victim = rows()[4]
    assert getattr(victim, column) != value
    tamper((f"UPDATE audit_accessevent SET {column} = %s WHERE id = %s", [value, victim.pk]))  # noqa: S608
    assert getattr(AccessEvent.objects.get(pk=victim.pk), column) == value

    message = verify_error()

    assert f"række id {victim.pk} " in message
    assert "indholdet svarer ikke til" in message
    result = verify_all()
    assert (result.ok, result.first_bad, result.checked) == (False, victim.pk, 4)


@pytest.mark.django_db
def test_recomputed_hash_is_caught_by_the_next_link(trail):
    """An attacker who rewrites a row and its row_hash breaks the next row's link."""
    events = rows()
    victim, successor = events[3], events[4]
    victim.reason = "rewritten"
    forged = victim.compute_hash()
    tamper(
        (
            "UPDATE audit_accessevent SET reason = %s, row_hash = %s WHERE id = %s",
            ["rewritten", forged, victim.pk],
        )
    )

    message = verify_error()

    assert f"række id {successor.pk} " in message
    assert "peger ikke på rækken før" in message


@pytest.mark.django_db
def test_tampered_disclosure_names_the_row(trail):
    victim = rows(Disclosure)[0]
    tamper(
        (
            "UPDATE audit_disclosure SET to_agency_ids = '[]'::jsonb WHERE id = %s",
            [victim.pk],
        )
    )

    message = verify_error()

    assert f"Videregivelser, række id {victim.pk} " in message


# --- removed rows --------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleted_middle_row_names_the_next_row(trail):
    events = rows()
    delete_events(events[5])

    message = verify_error()

    assert f"række id {events[6].pk} " in message
    assert f"seq {events[5].seq} var ventet" in message


@pytest.mark.django_db
def test_deleted_middle_row_with_renumbering_is_caught_by_the_link(trail):
    """Closing the seq gap does not help: the next row still names the deleted row's hash."""
    events = rows()
    delete_events(events[5])
    tamper(
        *[
            ("UPDATE audit_accessevent SET seq = %s WHERE id = %s", [event.seq - 1, event.pk])
            for event in events[6:]
        ]
    )
    ChainHead.objects.filter(chain="access_event").update(seq=events[-1].seq - 1)

    message = verify_error()

    assert f"række id {events[6].pk} " in message


@pytest.mark.django_db
def test_deleted_tail_without_touching_the_head(trail):
    events = rows()
    delete_events(*events[-2:])

    message = verify_error()

    assert "hovedet" in message
    assert f"hovedet siger seq {events[-1].seq}" in message
    assert f"slutter ved seq {events[-3].seq}" in message


@pytest.mark.django_db
def test_deleted_whole_table_without_touching_the_head(trail):
    delete_events(*rows())

    message = verify_error()

    assert "hovedet" in message


@pytest.mark.django_db
def test_truncated_tail_with_rewritten_head_is_caught_by_the_checkpoint(trail):
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None
    events = rows()
    assert checkpoint.seq == events[-1].seq
    run_verify()  # intact with the checkpoint
    new_last = events[-3]
    delete_events(*events[-2:])
    ChainHead.objects.filter(chain="access_event").update(
        seq=new_last.seq, row_hash=new_last.row_hash
    )
    # Without a checkpoint this would pass: the chain and the head agree.
    assert verify_chain(AccessEvent).problem.startswith(
        "Adgangshændelser: det signerede kontrolpunkt"
    )

    message = verify_error()

    assert "kontrolpunkt" in message
    assert f"seq {checkpoint.seq}" in message


@pytest.mark.django_db
def test_checkpoint_before_the_tail_still_matches(trail):
    """A checkpoint older than the tail stays valid while rows are appended after it."""
    checkpoint_record("access_event")
    access_record(actor=trail.coordinator, action="search", search_criterion="q=later")
    checkpoint_record("access_event")

    assert "intact" in run_verify()
    assert Checkpoint.objects.filter(chain="access_event").count() == 2


# --- forged checkpoints --------------------------------------------------------------------


@pytest.mark.django_db
def test_forged_checkpoint_signature(trail):
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None
    signature = bytearray(bytes.fromhex(checkpoint.signature))
    signature[0] ^= 0x01
    tamper(
        (
            "UPDATE audit_checkpoint SET signature = %s WHERE id = %s",
            [signature.hex(), checkpoint.pk],
        )
    )

    message = verify_error()

    assert f"kontrolpunkt {checkpoint.pk} har en ugyldig signatur" in message


@pytest.mark.django_db
def test_checkpoint_moved_to_another_row_fails_its_signature(trail):
    """The signature covers seq and hash: pointing a checkpoint at an earlier row breaks it."""
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None
    earlier = rows()[2]
    tamper(
        (
            "UPDATE audit_checkpoint SET seq = %s, row_hash = %s WHERE id = %s",
            [earlier.seq, earlier.row_hash, checkpoint.pk],
        )
    )

    message = verify_error()

    assert "ugyldig signatur" in message


def other_public_key() -> str:
    with override_settings(AUDIT_SIGNING_KEY=decode_key(new_key(), name="AUDIT_SIGNING_KEY")):
        return crypto.signing_public_key()


@pytest.mark.django_db
def test_public_key_option_checks_against_the_given_key(trail):
    checkpoint_record("access_event")
    checkpoint_record("disclosure")
    own = run_verify("--print-public-key").strip()
    assert own == crypto.signing_public_key()
    other = other_public_key()
    assert other != own

    assert "intact" in run_verify(f"--public-key={own}")
    message = verify_error(f"--public-key={other}")

    assert "ugyldig signatur" in message


@pytest.mark.django_db
def test_resigned_checkpoint_is_caught_only_by_the_independent_key(trail):
    """An attacker with their own key truncates the tail and re-signs the checkpoint: the
    stored public key then agrees with the forgery, the operator's copy of the key does not."""
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None
    real_key = crypto.signing_public_key()
    events = rows()
    new_last = events[-3]
    delete_events(*events[-2:])
    ChainHead.objects.filter(chain="access_event").update(
        seq=new_last.seq, row_hash=new_last.row_hash
    )
    with override_settings(AUDIT_SIGNING_KEY=decode_key(new_key(), name="AUDIT_SIGNING_KEY")):
        forged = Checkpoint(
            chain="access_event",
            seq=new_last.seq,
            row_hash=new_last.row_hash,
            created_at=checkpoint.created_at,
            public_key=crypto.signing_public_key(),
        )
        forged.signature = crypto.sign(forged.message()).hex()
    tamper(
        (
            "UPDATE audit_checkpoint SET seq = %s, row_hash = %s, public_key = %s, "
            "signature = %s WHERE id = %s",
            [forged.seq, forged.row_hash, forged.public_key, forged.signature, checkpoint.pk],
        )
    )
    # The stored key vouches for the forgery; AUDIT_PUBLIC_KEY (configured apart) does not.
    assert crypto.verify_signature(
        forged.public_key, forged.message(), bytes.fromhex(forged.signature)
    )
    assert not verify_all().ok

    message = verify_error(f"--public-key={real_key}")

    assert f"kontrolpunkt {checkpoint.pk} har en ugyldig signatur" in message


# --- what the hash covers ------------------------------------------------------------------


def _changed(field, value):
    if field.attname == "prev_hash":
        return "f" * 64
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return value + datetime.timedelta(microseconds=1)
    if internal == "JSONField":
        return [*value, 999]
    if internal == "GenericIPAddressField":
        return "10.9.8.7"
    if isinstance(value, int):
        return value + 1
    return f"{value}x"


def _full_instance(model):
    instance = model()
    for field in model._meta.concrete_fields:
        internal = field.get_internal_type()
        if internal == "DateTimeField":
            value: object = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
        elif internal == "JSONField":
            value = [1, "a"]
        elif internal == "GenericIPAddressField":
            value = "192.0.2.1"
        elif field.is_relation or internal in {"BigIntegerField", "BigAutoField", "AutoField"}:
            value = 7
        else:
            value = "abc"
        setattr(instance, field.attname, value)
    return instance


@pytest.mark.parametrize("model", [AccessEvent, Disclosure])
def test_canonical_form_covers_every_field_but_id_and_hash(model):
    instance = _full_instance(model)
    fields = [f for f in model._meta.concrete_fields if f.attname not in {"id", "row_hash"}]
    assert set(json.loads(instance.canonical())) == {f.attname for f in fields}
    assert {"seq", "prev_hash", "occurred_at", "actor_id"} <= {f.attname for f in fields}
    base = instance.compute_hash()

    for field in fields:
        original = getattr(instance, field.attname)
        setattr(instance, field.attname, _changed(field, original))
        assert instance.compute_hash() != base, field.attname
        setattr(instance, field.attname, original)
        assert instance.compute_hash() == base

    instance.id = 12345
    instance.row_hash = "e" * 64
    assert instance.compute_hash() == base  # neither the id nor the stored hash is hashed
