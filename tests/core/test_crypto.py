"""Envelope encryption end to end: fields on real rows, master keys, rotation, shredding."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction

from coordination.models import Note
from core import crypto
from core.models import DataKey
from persons.models import CaseFile, Concern, Identity
from persons.services import IdentityInput, concern_register
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    NECESSITY,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
)

PERSON_ADDRESS = "Testvej 12, 2200 København N"
PERSON_BIRTH_DATE = "2012-03-01"

# Every encrypted column there is, as (table, primary key column, column).
ENCRYPTED_COLUMNS = [
    ("persons_identity", "person_id", "name"),
    ("persons_identity", "person_id", "cpr"),
    ("persons_identity", "person_id", "birth_date"),
    ("persons_identity", "person_id", "address"),
    ("persons_concern", "id", "description"),
    ("coordination_note", "id", "body"),
]


def _as_bytes(value: object) -> bytes | None:
    return None if value is None else bytes(value)  # type: ignore[call-overload]


def _raw(table: str, pk_column: str, column: str, pk: object) -> bytes | None:
    """A column's stored bytes, read with raw SQL past the model layer."""
    qn = connection.ops.quote_name
    sql = f"SELECT {qn(column)} FROM {qn(table)} WHERE {qn(pk_column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    assert row is not None, f"no row {pk} in {table}"
    return _as_bytes(row[0])


def _write_raw(table: str, pk_column: str, column: str, pk: object, value: bytes | None) -> None:
    qn = connection.ops.quote_name
    sql = f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk_column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, pk])
        assert cursor.rowcount == 1


def _all_ciphertexts() -> dict[tuple[str, str, object], bytes | None]:
    """Every stored encrypted value, keyed by table, column and primary key."""
    qn = connection.ops.quote_name
    snapshot: dict[tuple[str, str, object], bytes | None] = {}
    with connection.cursor() as cursor:
        for table, pk_column, column in ENCRYPTED_COLUMNS:
            cursor.execute(f"SELECT {qn(pk_column)}, {qn(column)} FROM {qn(table)}")  # noqa: S608
            for pk, value in cursor.fetchall():
                snapshot[table, column, pk] = _as_bytes(value)
    return snapshot


def _wrapped_keys() -> dict[object, tuple[str, bytes | None]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, master_key_id, wrapped FROM core_datakey")
        return {
            pk: (master_key_id, _as_bytes(wrapped))
            for pk, master_key_id, wrapped in cursor.fetchall()
        }


def _assert_world_readable(world) -> None:
    """Fresh instances, so nothing comes from a cached plaintext or unwrapped key."""
    identity = Identity.objects.get(pk=world.person.pk)
    assert identity.name == PERSON_NAME
    assert identity.cpr == PERSON_CPR
    assert identity.address == PERSON_ADDRESS
    assert Identity.objects.get(pk=world.other_person.pk).name == OTHER_NAME
    assert Note.objects.get(pk=world.agency_note.pk).body == AGENCY_NOTE_TEXT
    assert Note.objects.get(pk=world.forum_note.pk).body == FORUM_NOTE_TEXT
    assert Concern.objects.get(pk=world.concern.pk).description == CONCERN_TEXT


def _flip(data: bytes, index: int) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 0x01
    return bytes(mutable)


# 1. round trip ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_identity_round_trips_and_is_stored_encrypted(world):
    identity = Identity.objects.get(pk=world.person.pk)

    assert identity.name == PERSON_NAME
    assert identity.cpr == PERSON_CPR
    assert identity.birth_date == PERSON_BIRTH_DATE
    assert identity.address == PERSON_ADDRESS
    plaintexts = {
        "name": PERSON_NAME,
        "cpr": PERSON_CPR,
        "birth_date": PERSON_BIRTH_DATE,
        "address": PERSON_ADDRESS,
    }
    for column, plaintext in plaintexts.items():
        stored = _raw("persons_identity", "person_id", column, world.person.pk)
        assert stored is not None
        assert plaintext.encode() not in stored
        assert stored[:1] == crypto.FORMAT_VERSION
        # version + 12-byte nonce + ciphertext + 16-byte tag
        assert len(stored) == 1 + crypto.NONCE_BYTES + len(plaintext.encode()) + 16


@pytest.mark.django_db
def test_note_and_concern_round_trip_and_are_stored_encrypted(world):
    assert Note.objects.get(pk=world.agency_note.pk).body == AGENCY_NOTE_TEXT
    assert Concern.objects.get(pk=world.concern.pk).description == CONCERN_TEXT

    body = _raw("coordination_note", "id", "body", world.agency_note.pk)
    description = _raw("persons_concern", "id", "description", world.concern.pk)
    assert body is not None
    assert AGENCY_NOTE_TEXT.encode() not in body
    assert description is not None
    assert CONCERN_TEXT.encode() not in description


@pytest.mark.django_db
def test_same_plaintext_encrypts_differently_each_time(world):
    first = _raw("persons_identity", "person_id", "name", world.person.pk)
    identity = Identity.objects.get(pk=world.person.pk)
    identity.name = PERSON_NAME
    identity.save()

    second = _raw("persons_identity", "person_id", "name", world.person.pk)
    assert first != second  # fresh nonce per write
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME


@pytest.mark.django_db
def test_deferred_encrypted_field_loads_and_decrypts(world):
    note = Note.objects.defer("body").get(pk=world.agency_note.pk)

    assert note.body == AGENCY_NOTE_TEXT


@pytest.mark.django_db
def test_serializer_output_carries_no_plaintext(world):
    identity = Identity.objects.get(pk=world.person.pk)
    note = Note.objects.get(pk=world.agency_note.pk)
    assert identity.name == PERSON_NAME  # decrypted and cached before serialising

    output = serializers.serialize("json", [identity, note])

    for plaintext in (PERSON_NAME, PERSON_CPR, "Testvej", AGENCY_NOTE_TEXT, "iagttagelse"):
        assert plaintext not in output


# 2. tampering -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "index"),
    [("version", 0), ("nonce", 5), ("ciphertext", 1 + crypto.NONCE_BYTES + 2), ("tag", -1)],
)
def test_tampered_ciphertext_raises(world, where, index):
    stored = _raw("persons_identity", "person_id", "name", world.person.pk)
    assert stored is not None
    _write_raw("persons_identity", "person_id", "name", world.person.pk, _flip(stored, index))

    identity = Identity.objects.get(pk=world.person.pk)
    with pytest.raises(crypto.DecryptionError):
        identity.name  # noqa: B018
    # Still raising on a second read: a failure is never cached as a value.
    with pytest.raises(crypto.DecryptionError):
        identity.name  # noqa: B018
    assert Identity.objects.get(pk=world.person.pk).cpr == PERSON_CPR  # other fields unharmed


@pytest.mark.django_db
def test_truncated_ciphertext_raises(world):
    stored = _raw("coordination_note", "id", "body", world.agency_note.pk)
    assert stored is not None
    _write_raw("coordination_note", "id", "body", world.agency_note.pk, stored[:-1])

    with pytest.raises(crypto.DecryptionError):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018

    _write_raw("coordination_note", "id", "body", world.agency_note.pk, stored[:10])
    with pytest.raises(crypto.DecryptionError):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


# 3. moving ciphertext -----------------------------------------------------------------------


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_raises(world):
    assert world.agency_note.case_file_id == world.forum_note.case_file_id  # same data key
    agency_body = _raw("coordination_note", "id", "body", world.agency_note.pk)
    _write_raw("coordination_note", "id", "body", world.forum_note.pk, agency_body)

    with pytest.raises(crypto.DecryptionError):
        Note.objects.get(pk=world.forum_note.pk).body  # noqa: B018
    assert Note.objects.get(pk=world.agency_note.pk).body == AGENCY_NOTE_TEXT


@pytest.mark.django_db
def test_ciphertext_copied_to_another_field_raises(world):
    name = _raw("persons_identity", "person_id", "name", world.person.pk)
    _write_raw("persons_identity", "person_id", "address", world.person.pk, name)

    with pytest.raises(crypto.DecryptionError):
        Identity.objects.get(pk=world.person.pk).address  # noqa: B018
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME


@pytest.mark.django_db
def test_wrapped_data_key_copied_to_another_data_key_raises(world):
    person_key = world.person.data_key
    case_key = world.case_file.data_key
    assert person_key.master_key_id == case_key.master_key_id
    _write_raw("core_datakey", "id", "wrapped", case_key.pk, _as_bytes(person_key.wrapped))

    with pytest.raises(crypto.DecryptionError):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


# 4. wrong master key ------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_master_key_under_same_id_raises(world, settings):
    key_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [(key_id, os.urandom(crypto.KEY_BYTES))]

    with pytest.raises(crypto.DecryptionError):
        Identity.objects.get(pk=world.person.pk).name  # noqa: B018
    with pytest.raises(crypto.DecryptionError):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


@pytest.mark.django_db
def test_keyring_without_the_master_key_id_raises_unknown_master_key(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [("someone-else", os.urandom(crypto.KEY_BYTES))]

    with pytest.raises(crypto.UnknownMasterKey):
        Identity.objects.get(pk=world.person.pk).name  # noqa: B018
    with pytest.raises(crypto.UnknownMasterKey):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


# 5. rotation --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotate_keys_rewraps_every_data_key_under_the_newest_master_key(world, settings):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    old_id = old[0][0]
    extra = [DataKey.create() for _ in range(3)]  # 7 keys: batches of 2, 2, 2, 1
    assert DataKey.objects.count() == 7
    before = _wrapped_keys()
    assert {master_key_id for master_key_id, _ in before.values()} == {old_id}
    new = os.urandom(crypto.KEY_BYTES)
    settings.FIELD_ENCRYPTION_KEYS = [("k2", new), *old]

    out = StringIO()
    call_command("rotate_keys", batch_size=2, stdout=out)

    after = _wrapped_keys()
    assert set(after) == set(before)
    assert {master_key_id for master_key_id, _ in after.values()} == {"k2"}
    for pk, (_, wrapped) in after.items():
        assert wrapped is not None
        assert wrapped != before[pk][1]
    assert "Re-wrapped 7 data keys under k2; 0 left" in out.getvalue()
    _assert_world_readable(world)
    for data_key in extra:
        assert DataKey.objects.get(pk=data_key.pk).plaintext_key() == data_key.plaintext_key()

    settings.FIELD_ENCRYPTION_KEYS = [("k2", new)]
    _assert_world_readable(world)

    settings.FIELD_ENCRYPTION_KEYS = old
    with pytest.raises(crypto.UnknownMasterKey):
        Identity.objects.get(pk=world.person.pk).name  # noqa: B018
    with pytest.raises(crypto.UnknownMasterKey):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


@pytest.mark.django_db
def test_rotate_keys_a_second_time_changes_nothing(world, settings):
    new = os.urandom(crypto.KEY_BYTES)
    settings.FIELD_ENCRYPTION_KEYS = [("k2", new), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", batch_size=2, stdout=StringIO())
    once = _wrapped_keys()

    out = StringIO()
    call_command("rotate_keys", batch_size=2, stdout=out)

    assert _wrapped_keys() == once
    assert "Re-wrapped 0 data keys under k2; 0 left" in out.getvalue()
    _assert_world_readable(world)


@pytest.mark.django_db
def test_rotate_keys_leaves_content_ciphertext_untouched(world, settings):
    before = _all_ciphertexts()
    name_before = _raw("persons_identity", "person_id", "name", world.person.pk)
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]

    call_command("rotate_keys", batch_size=2, stdout=StringIO())

    assert _raw("persons_identity", "person_id", "name", world.person.pk) == name_before
    assert _all_ciphertexts() == before
    assert len(before) == 4 * 2 + 2 + 2  # two identities, two concerns, two notes


@pytest.mark.django_db
def test_rotate_keys_leaves_destroyed_data_keys_destroyed(world, settings):
    world.case_file.data_key.destroy()
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]

    call_command("rotate_keys", batch_size=2, stdout=StringIO())

    keys = _wrapped_keys()
    assert keys[world.case_file.data_key.pk] == (old_id, None)
    assert keys[world.person.data_key.pk][0] == "k2"
    with pytest.raises(crypto.DataKeyDestroyed):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


# 6. destroyed data key ----------------------------------------------------------------------


@pytest.mark.django_db
def test_destroyed_data_key_makes_content_unreadable_for_good(world):
    world.case_file.data_key.destroy()

    with pytest.raises(crypto.DataKeyDestroyed):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018
    with pytest.raises(crypto.DataKeyDestroyed):
        Note.objects.get(pk=world.forum_note.pk).body  # noqa: B018
    with pytest.raises(crypto.DataKeyDestroyed):
        Concern.objects.get(pk=world.concern.pk).description  # noqa: B018
    with pytest.raises(crypto.DataKeyDestroyed):
        DataKey.objects.get(pk=world.case_file.data_key.pk).plaintext_key()

    wrapped, destroyed_at = None, None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wrapped, destroyed_at FROM core_datakey WHERE id = %s",
            [world.case_file.data_key.pk],
        )
        wrapped, destroyed_at = cursor.fetchone()
    assert wrapped is None
    assert destroyed_at is not None
    # The ciphertext is still there; it is the key that is gone.
    assert _raw("coordination_note", "id", "body", world.agency_note.pk) is not None

    # The person's identity is under the person's own data key and unaffected.
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME
    assert Note.objects.get(pk=world.agency_note.pk).case_file.person.identity.cpr == PERSON_CPR


@pytest.mark.django_db
def test_destroyed_data_key_stays_unreadable_with_the_keyring_changed(world, settings):
    world.case_file.data_key.destroy()
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", stdout=StringIO())

    with pytest.raises(crypto.DataKeyDestroyed):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


@pytest.mark.django_db
def test_content_cannot_be_written_under_a_destroyed_data_key(world):
    world.case_file.data_key.destroy()
    note = Note(
        case_file=CaseFile.objects.get(pk=world.case_file.pk),
        body="Skrevet efter destruktion",
        author=world.school_member,
        agency=world.school,
    )
    before = Note.objects.count()

    with pytest.raises(crypto.DataKeyDestroyed):
        note.save()
    assert Note.objects.count() == before  # the insert was rolled back with the failed encryption


# 7. blind index -----------------------------------------------------------------------------


def test_blind_index_equal_for_same_cpr_and_scope(settings):
    settings.BLIND_INDEX_KEY = b"k" * 32

    assert crypto.blind_index(scope="101", value=PERSON_CPR) == crypto.blind_index(
        scope="101", value=PERSON_CPR
    )
    assert crypto.blind_index(scope="101", value=PERSON_CPR) != crypto.blind_index(
        scope="101", value="1506114321"
    )


def test_blind_index_differs_between_scopes(settings):
    settings.BLIND_INDEX_KEY = b"k" * 32

    assert crypto.blind_index(scope="101", value=PERSON_CPR) != crypto.blind_index(
        scope="147", value=PERSON_CPR
    )
    # The separator keeps scope and value apart: ("10", "1...") is not ("101", "...").
    assert crypto.blind_index(scope="10", value="1" + PERSON_CPR) != crypto.blind_index(
        scope="101", value=PERSON_CPR
    )


def test_blind_index_depends_on_the_blind_index_key(settings):
    index = crypto.blind_index(scope="101", value=PERSON_CPR)

    settings.BLIND_INDEX_KEY = os.urandom(32)

    assert crypto.blind_index(scope="101", value=PERSON_CPR) != index


def test_blind_index_reveals_no_cpr_digits():
    index = crypto.blind_index(scope="101", value=PERSON_CPR)

    assert len(index) == 64
    assert PERSON_CPR not in index
    assert PERSON_CPR[:6] not in index


@pytest.mark.django_db
def test_stored_cpr_index_is_the_blind_index_and_finds_the_duplicate(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cpr_index FROM persons_identity WHERE person_id = %s", [world.person.pk]
        )
        (stored,) = cursor.fetchone()
    assert stored == crypto.blind_index(scope=world.municipality_code, value=PERSON_CPR)
    assert PERSON_CPR not in stored

    # The same CPR written with a hyphen, in the same municipality, is the same person.
    result = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Rasmus T.", cpr="010312-4567"),
        categories=["vold"],
        description="En ny bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    assert result.person == world.person


# 8. bulk writes -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_create_of_encrypted_rows_is_refused(world):
    before = Note.objects.count()

    with pytest.raises(crypto.CryptoError), transaction.atomic():
        Note.objects.bulk_create(
            [
                Note(
                    case_file=world.case_file,
                    body="x",
                    author=world.school_member,
                    agency=world.school,
                )
            ]
        )
    assert Note.objects.count() == before


@pytest.mark.django_db
def test_bulk_update_of_encrypted_field_never_stores_plaintext(world):
    before = _raw("coordination_note", "id", "body", world.agency_note.pk)
    note = Note.objects.get(pk=world.agency_note.pk)
    note.body = "Klartekst via bulk_update"

    # Refused: the field cannot encrypt here (today the driver rejects the str for bytea).
    with pytest.raises((crypto.CryptoError, TypeError)), transaction.atomic():
        Note.objects.bulk_update([note], ["body"])
    assert _raw("coordination_note", "id", "body", world.agency_note.pk) == before


@pytest.mark.django_db
def test_queryset_update_of_encrypted_field_never_stores_plaintext(world):
    before = _raw("coordination_note", "id", "body", world.agency_note.pk)

    with pytest.raises((crypto.CryptoError, TypeError)), transaction.atomic():
        Note.objects.filter(pk=world.agency_note.pk).update(body="Klartekst via update")
    assert _raw("coordination_note", "id", "body", world.agency_note.pk) == before


# 9. save() encrypts -------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_note_saved_is_encrypted_after_insert(world):
    text = "Nyt notat om en aftale med familien"
    note = Note(
        case_file=world.case_file, body=text, author=world.school_member, agency=world.school
    )

    note.save()

    stored = _raw("coordination_note", "id", "body", note.pk)
    assert stored is not None
    assert text.encode() not in stored
    key = DataKey.objects.get(pk=world.case_file.data_key.pk).plaintext_key()
    assert (
        crypto.decrypt_value(key, stored, crypto.value_aad("coordination.note", note.pk, "body"))
        == text
    )
    assert Note.objects.get(pk=note.pk).body == text
    assert note.body == text


@pytest.mark.django_db
def test_note_created_through_manager_is_encrypted(world):
    text = "Notat oprettet via objects.create"

    note = Note.objects.create(
        case_file=world.case_file, body=text, author=world.school_member, agency=world.school
    )

    stored = _raw("coordination_note", "id", "body", note.pk)
    assert stored is not None
    assert text.encode() not in stored
    assert Note.objects.get(pk=note.pk).body == text


@pytest.mark.django_db
def test_changed_note_is_encrypted_again_on_save(world):
    note = Note.objects.get(pk=world.agency_note.pk)
    before = _raw("coordination_note", "id", "body", note.pk)

    note.body = "Rettet tekst"
    note.save()

    after = _raw("coordination_note", "id", "body", note.pk)
    assert after is not None
    assert after != before
    assert b"Rettet tekst" not in after
    assert Note.objects.get(pk=note.pk).body == "Rettet tekst"


@pytest.mark.django_db
def test_saving_other_fields_keeps_the_ciphertext(world):
    note = Note.objects.get(pk=world.agency_note.pk)
    before = _raw("coordination_note", "id", "body", note.pk)

    note.necessity = "Ændret uden at læse teksten"
    note.save()

    assert _raw("coordination_note", "id", "body", note.pk) == before
    assert Note.objects.get(pk=note.pk).body == AGENCY_NOTE_TEXT


@pytest.mark.django_db
def test_none_is_stored_as_null(world):
    identity = Identity.objects.get(pk=world.other_person.pk)

    assert identity.address is None
    assert _raw("persons_identity", "person_id", "address", world.other_person.pk) is None
