"""Retiring a master key (rotate_keys --retire) and the pre-flight rotate_keys --check.

What issue 10 needs to hold: after a retirement and the old key's removal, everything live
still reads with the new keyring alone, and a data key as an old backup holds it (wrapped by
the retired key) cannot be unwrapped any more.
"""

from __future__ import annotations

import base64
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coordination.models import Note
from core import crypto
from core.models import DataKey
from persons.models import Concern, Identity
from tests.world import AGENCY_NOTE_TEXT, CONCERN_TEXT, FORUM_NOTE_TEXT, OTHER_NAME, PERSON_NAME


def _wrapped_keys() -> dict[object, tuple[str, bytes | None]]:
    """Every data key row as stored (what a backup taken now would hold), past the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, master_key_id, wrapped FROM core_datakey")
        return {
            pk: (master_key_id, None if wrapped is None else bytes(wrapped))
            for pk, master_key_id, wrapped in cursor.fetchall()
        }


def _restore_row(pk: object, master_key_id: str, wrapped: bytes) -> None:
    """Put a data key row back as an old backup holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_datakey SET master_key_id = %s, wrapped = %s WHERE id = %s",
            [master_key_id, wrapped, pk],
        )
        assert cursor.rowcount == 1


def _assert_world_readable(world) -> None:
    """Fresh instances, so nothing comes from a cached plaintext or unwrapped key."""
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME
    assert Identity.objects.get(pk=world.other_person.pk).name == OTHER_NAME
    assert Note.objects.get(pk=world.agency_note.pk).body == AGENCY_NOTE_TEXT
    assert Note.objects.get(pk=world.forum_note.pk).body == FORUM_NOTE_TEXT
    assert Concern.objects.get(pk=world.concern.pk).description == CONCERN_TEXT


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


# --retire ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retire_rewraps_everything_and_old_backups_can_no_longer_be_unwrapped(world, settings):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    old_id, old_key = old[0]
    extra = [DataKey.create() for _ in range(3)]
    backup = _wrapped_keys()  # the data key rows as a backup taken before the rotation holds them
    assert len(backup) == 7
    assert {master_key_id for master_key_id, _ in backup.values()} == {old_id}
    new_key = os.urandom(crypto.KEY_BYTES)
    settings.FIELD_ENCRYPTION_KEYS = [("k2", new_key), *old]

    out = StringIO()
    call_command("rotate_keys", retire=old_id, batch_size=2, stdout=out)

    after = _wrapped_keys()
    assert {master_key_id for master_key_id, _ in after.values()} == {"k2"}
    assert all(wrapped is not None for _, wrapped in after.values())
    text = out.getvalue()
    assert "Re-wrapped 7 data keys under k2; 0 left" in text
    assert f"No live data key is wrapped by {old_id} any more." in text
    assert f"Remove the entry '{old_id}:<key>' from FIELD_ENCRYPTION_KEYS" in text
    assert "  FIELD_ENCRYPTION_KEYS=k2:<key>\n" in text
    assert _b64(old_key) not in text
    assert _b64(new_key) not in text

    # The old key removed: everything live reads with the new keyring alone.
    settings.FIELD_ENCRYPTION_KEYS = [("k2", new_key)]
    _assert_world_readable(world)
    for data_key in extra:
        assert DataKey.objects.get(pk=data_key.pk).plaintext_key() == data_key.plaintext_key()

    # A data key as the old backup holds it cannot be unwrapped with the new keyring ...
    pk = world.person.data_key.pk
    old_wrap = crypto.WrappedKey(old_id, backup[pk][1] or b"")
    with pytest.raises(crypto.UnknownMasterKey):
        crypto.unwrap_data_key(str(pk), old_wrap)
    # ... not even relabelled as wrapped by the new key ...
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_data_key(str(pk), crypto.WrappedKey("k2", old_wrap.wrapped))
    # ... and a restored backup row leaves its content unreadable.
    _restore_row(pk, old_id, old_wrap.wrapped)
    with pytest.raises(crypto.UnknownMasterKey):
        Identity.objects.get(pk=world.person.pk).name  # noqa: B018

    # While the old key lived, that same backup row was readable: retiring is what closes it.
    settings.FIELD_ENCRYPTION_KEYS = old
    assert Identity.objects.get(pk=world.person.pk).name == PERSON_NAME


@pytest.mark.django_db
def test_retire_a_second_time_changes_nothing_and_says_the_same(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", retire=old_id, stdout=StringIO())
    once = _wrapped_keys()

    out = StringIO()
    call_command("rotate_keys", retire=old_id, stdout=out)

    assert _wrapped_keys() == once
    assert "Re-wrapped 0 data keys under k2; 0 left" in out.getvalue()
    assert f"Remove the entry '{old_id}:<key>'" in out.getvalue()
    _assert_world_readable(world)


@pytest.mark.django_db
def test_retire_keeps_destroyed_data_keys_destroyed(world, settings):
    world.case_file.data_key.destroy()
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]

    call_command("rotate_keys", retire=old_id, stdout=StringIO())

    # A destroyed key still names the old master key, but holds nothing it could unwrap.
    assert _wrapped_keys()[world.case_file.data_key.pk] == (old_id, None)
    with pytest.raises(crypto.DataKeyDestroyed):
        Note.objects.get(pk=world.agency_note.pk).body  # noqa: B018


@pytest.mark.django_db
def test_retiring_the_newest_key_is_refused_and_writes_nothing(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    before = _wrapped_keys()

    with pytest.raises(CommandError, match="k2 is the newest master key") as caught:
        call_command("rotate_keys", retire="k2", stdout=StringIO())

    assert "Add a new key first" in str(caught.value)
    assert _wrapped_keys() == before  # not even re-wrapped


@pytest.mark.django_db
def test_retiring_the_only_key_is_refused(world, settings):
    only = settings.FIELD_ENCRYPTION_KEYS[0][0]
    before = _wrapped_keys()

    with pytest.raises(CommandError, match="newest master key"):
        call_command("rotate_keys", retire=only, stdout=StringIO())

    assert _wrapped_keys() == before
    _assert_world_readable(world)


@pytest.mark.django_db
def test_retiring_an_unknown_key_is_refused_and_writes_nothing(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    before = _wrapped_keys()

    with pytest.raises(CommandError, match="Unknown master key id nokey") as caught:
        call_command("rotate_keys", retire="nokey", stdout=StringIO())

    assert f"k2, {old_id}" in str(caught.value)
    assert _wrapped_keys() == before


@pytest.mark.django_db
def test_retiring_a_removed_key_that_still_wraps_data_is_refused(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32))]  # removed too early
    before = _wrapped_keys()

    with pytest.raises(CommandError, match=f"{old_id} is not in FIELD_ENCRYPTION_KEYS, yet 4"):
        call_command("rotate_keys", retire=old_id, stdout=StringIO())

    assert _wrapped_keys() == before


@pytest.mark.django_db
def test_retire_never_echoes_a_key_passed_by_mistake(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    secret = _b64(settings.FIELD_ENCRYPTION_KEYS[1][1])
    before = _wrapped_keys()

    for mistake in (secret, f"{settings.FIELD_ENCRYPTION_KEYS[1][0]}:{secret}"):
        with pytest.raises(CommandError, match="takes the id of a master key") as caught:
            call_command("rotate_keys", retire=mistake, stdout=StringIO())
        assert secret not in str(caught.value)

    assert _wrapped_keys() == before


@pytest.mark.django_db(transaction=True)
def test_retire_fails_while_another_transaction_holds_a_data_key_and_succeeds_again(settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    keys = [DataKey.create() for _ in range(3)]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    other = connection.copy()  # a second session, as another process would hold
    other.connect()
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT 1 FROM core_datakey WHERE id = %s FOR UPDATE", [keys[1].pk])

        with pytest.raises(CommandError, match=f"1 live data key is still wrapped by {old_id}"):
            call_command("rotate_keys", retire=old_id, batch_size=2, stdout=StringIO())

        assert _wrapped_keys()[keys[1].pk][0] == old_id
        assert _wrapped_keys()[keys[0].pk][0] == "k2"
        other.rollback()
    finally:
        other.close()

    out = StringIO()
    call_command("rotate_keys", retire=old_id, batch_size=2, stdout=out)
    assert "Re-wrapped 1 data keys under k2; 0 left" in out.getvalue()
    assert {master_key_id for master_key_id, _ in _wrapped_keys().values()} == {"k2"}


@pytest.mark.django_db
def test_retire_names_a_process_that_still_wraps_with_the_old_key(world, settings, monkeypatch):
    old_keyring = list(settings.FIELD_ENCRYPTION_KEYS)
    old_id = old_keyring[0][0]
    new_keyring = [("k2", os.urandom(32)), *old_keyring]
    settings.FIELD_ENCRYPTION_KEYS = new_keyring
    rewrap = DataKey.rewrap

    def rewrap_while_a_stale_process_creates(self: DataKey) -> bool:
        done = rewrap(self)
        settings.FIELD_ENCRYPTION_KEYS = old_keyring  # another process, not yet redeployed
        DataKey.create()
        settings.FIELD_ENCRYPTION_KEYS = new_keyring
        return done

    monkeypatch.setattr(DataKey, "rewrap", rewrap_while_a_stale_process_creates)

    with pytest.raises(CommandError, match="a process still wraps new data keys with") as caught:
        call_command("rotate_keys", retire=old_id, batch_size=100, stdout=StringIO())

    assert f"still wrapped by {old_id}" in str(caught.value)
    assert "Deploy the new FIELD_ENCRYPTION_KEYS to every process" in str(caught.value)


@pytest.mark.django_db
def test_rotate_keys_reports_data_keys_under_a_key_no_longer_configured(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    k2 = ("k2", os.urandom(32))
    settings.FIELD_ENCRYPTION_KEYS = [k2]  # the old key lost: the world's 4 keys are orphaned
    under_k2 = DataKey.create()
    settings.FIELD_ENCRYPTION_KEYS = [("k3", os.urandom(32)), k2]

    with pytest.raises(CommandError, match=f"not configured \\({old_id}: 4\\)"):
        call_command("rotate_keys", stdout=StringIO())

    # What could be re-wrapped was re-wrapped.
    assert _wrapped_keys()[under_k2.pk][0] == "k3"


# --check -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_passes_when_every_live_key_is_under_the_newest(world, settings):
    world.case_file.data_key.destroy()
    only = settings.FIELD_ENCRYPTION_KEYS[0][0]

    out = StringIO()
    call_command("rotate_keys", check=True, stdout=out)

    text = out.getvalue()
    assert f"{only} (newest): 3 live data keys" in text
    assert "destroyed: 1 data key\n" in text
    assert f"OK: every live data key is wrapped by the newest master key {only}." in text


@pytest.mark.django_db
def test_check_fails_with_exit_code_1_before_rotation_and_writes_nothing(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    before = _wrapped_keys()

    out = StringIO()
    with pytest.raises(CommandError, match="4 live data keys not wrapped by") as caught:
        call_command("rotate_keys", check=True, stdout=out)

    assert caught.value.returncode == 1
    assert "k2 (newest): 0 live data keys" in out.getvalue()
    assert f"{old_id}: 4 live data keys\n" in out.getvalue()
    assert _wrapped_keys() == before


@pytest.mark.django_db
def test_check_passes_after_rotation_and_names_the_retirable_key(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32)), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", stdout=StringIO())

    out = StringIO()
    call_command("rotate_keys", check=True, stdout=out)

    assert "k2 (newest): 4 live data keys" in out.getvalue()
    assert f"{old_id}: 0 live data keys (can be retired" in out.getvalue()


@pytest.mark.django_db
def test_check_fails_when_a_key_that_wraps_live_data_is_not_configured(world, settings):
    old_id = settings.FIELD_ENCRYPTION_KEYS[0][0]
    settings.FIELD_ENCRYPTION_KEYS = [("k2", os.urandom(32))]

    out = StringIO()
    with pytest.raises(CommandError, match=f"keys not configured \\({old_id}\\)") as caught:
        call_command("rotate_keys", check=True, stdout=out)

    assert caught.value.returncode == 1
    assert f"{old_id} (NOT CONFIGURED): 4 live data keys, unreadable" in out.getvalue()


@pytest.mark.django_db
def test_check_and_retire_are_exclusive(world, settings):
    with pytest.raises(CommandError):
        call_command("rotate_keys", "--check", "--retire", "k1", stdout=StringIO())
