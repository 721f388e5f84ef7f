"""A full pg_dump of a populated database carries no identity or content in the clear."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.conf import settings
from django.db import connection

from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    OTHER_CPR,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
)

OTHER_CONCERN_TEXT = "Bekymring i det andet forum"  # the other person's concern in tests.world

SECRETS = [
    PERSON_NAME,
    OTHER_NAME,
    PERSON_CPR,
    OTHER_CPR,
    f"{PERSON_CPR[:6]}-{PERSON_CPR[6:]}",
    f"{OTHER_CPR[:6]}-{OTHER_CPR[6:]}",
    "Testvej 12",
    "Testvej 12, 2200 København N",
    "2012-03-01",  # the person's birth date (only the birth year is kept in the clear)
    "2011-06-15",
    AGENCY_NOTE_TEXT,
    FORUM_NOTE_TEXT,
    CONCERN_TEXT,
    OTHER_CONCERN_TEXT,
    # distinctive single words of the names, the address and the texts
    "Testbarn",
    "Andetbarn",
    "Testvej",
    "iagttagelse",
    "mistrivsel",
    "stationen",
    "aftenen",
    "hærværk",
    "andet forum",
]


def _test_database_url() -> str:
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{base}/{connection.settings_dict['NAME']}"


def _pg_dump() -> str:
    result = subprocess.run(
        [
            os.path.join(os.environ["PG_BINDIR"], "pg_dump"),
            "--no-owner",
            "--format=plain",
            "-d",
            _test_database_url(),
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8")


def _offending_lines(dump: str, needle: str) -> list[str]:
    return [line[:200] for line in dump.splitlines() if needle.lower() in line.lower()][:5]


@pytest.mark.django_db(transaction=True)
def test_pg_dump_contains_no_identity_or_content(world):
    dump = _pg_dump()

    # The dump is real: schema and the rows of the world, encrypted columns included.
    assert "CREATE TABLE public.persons_identity" in dump
    assert "COPY public.persons_identity" in dump
    assert "COPY public.coordination_note" in dump
    assert "COPY public.persons_concern" in dump
    assert "COPY public.core_datakey" in dump
    assert world.person.pseudonym in dump  # pseudonyms are meant to be in the clear
    assert "\\\\x01" in dump  # bytea ciphertexts (format version 1), dumped as hex

    leaks = {}
    for secret in SECRETS:
        for form in (secret, secret.encode().hex()):
            if form.lower() in dump.lower():
                leaks[form] = _offending_lines(dump, form)
    assert not leaks, f"plaintext in the database dump: {leaks}"


@pytest.mark.django_db(transaction=True)
def test_pg_dump_contains_no_data_key_in_the_clear(world):
    keys = [
        world.person.data_key.plaintext_key(),
        world.case_file.data_key.plaintext_key(),
        world.other_person.data_key.plaintext_key(),
        world.other_case_file.data_key.plaintext_key(),
    ]
    master_keys = [key for _, key in settings.FIELD_ENCRYPTION_KEYS]

    dump = _pg_dump().lower()

    for key in [*keys, *master_keys]:
        assert key.hex() not in dump
