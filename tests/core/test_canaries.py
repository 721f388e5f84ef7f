"""Canaries: identities, notes, concerns and minutes are written through the API, and then no
copy of their plaintext is found in a pg_dump, in PostgreSQL's log of every statement, in the
application log or in a dump of Redis (cache and Celery broker)."""

from __future__ import annotations

import base64
import datetime
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from coordination.meetings import session_create
from coordination.models import AgendaItem
from persons.models import FocusPerson
from tests.core.test_pg_dump import SECRETS as WORLD_SECRETS
from tests.core.test_pg_dump import _pg_dump
from tests.world import NECESSITY, PERSON_CPR, World

# A second person, registered through the API with the CPR number in its dashed form.
CANARY_NAME = "Kanariefugl Sangstrup"
CANARY_CPR = "1708134987"
CANARY_CPR_DASHED = "170813-4987"
CANARY_ADDRESS = "Kanarievej 7, 2400 København NV"
CANARY_CONCERN = "Kanarie-bekymring om pengeafpresning i opgangen"
CANARY_NOTE = "Kanarie-notat om trusler mod lillebroren"
CANARY_MINUTES = "Kanarie-referat: aftalt hjemmebesøg hos bedstemoren"

SECRETS = [
    *WORLD_SECRETS,
    CANARY_NAME,
    CANARY_CPR,
    CANARY_CPR_DASHED,
    CANARY_ADDRESS,
    CANARY_CONCERN,
    CANARY_NOTE,
    CANARY_MINUTES,
    "Sangstrup",
    "Kanarievej",
    "pengeafpresning",
    "lillebroren",
    "bedstemoren",
    "2013-08-17",  # the canary's birth date, from the CPR number
]


def leaks_in(text: str) -> dict[str, list[str]]:
    """Each secret (as text, or hex as bytea and dumps show it) with the lines carrying it."""
    found: dict[str, list[str]] = {}
    lowered = text.lower()
    for secret in SECRETS:
        for form in (secret, secret.encode().hex()):
            if form.lower() in lowered:
                lines = [line for line in text.splitlines() if form.lower() in line.lower()]
                found[form] = [line[:200] for line in lines[:3]]
    return found


@pytest.fixture
def statement_log(transactional_db: None) -> Iterator[Path]:
    """PostgreSQL logs every statement of this test's connection (requested before `world`,
    so the world's own INSERTs are logged too)."""
    log = Path(os.environ["PG_LOG"])
    with connection.cursor() as cursor:
        cursor.execute("SET log_statement = 'all'")
    yield log
    with connection.cursor() as cursor:
        cursor.execute("RESET log_statement")


def api(client: Client, url: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return response.json()


def write_the_canaries(world: World) -> None:
    """What users do with plaintext: register a concern (new person, dashed CPR), register a
    concern about a known person (undashed CPR: the blind-index match), write a note and
    record the minutes of a forum session."""
    client = Client()
    client.force_login(world.coordinator)
    identity = {"name": CANARY_NAME, "cpr": CANARY_CPR_DASHED, "address": CANARY_ADDRESS}
    concern = {
        "forum": world.forum.pk,
        "categories": [world.concern.categories[0]],
        "description": CANARY_CONCERN,
        "necessity": NECESSITY,
    }
    created = api(client, "/api/v1/concerns/", {**concern, "identity": identity})
    again = {**concern, "identity": {"name": "Rasmus Testbarn", "cpr": PERSON_CPR}}
    matched = api(client, "/api/v1/concerns/", again)
    assert matched["person"]["id"] == world.person.pk  # the undashed CPR found the person
    canary = FocusPerson.objects.get(pk=created["person"]["id"])

    case_file = canary.case_files.get()
    api(client, f"/api/v1/case-files/{case_file.pk}/notes/", {"body": CANARY_NOTE})

    day = timezone.localdate() + datetime.timedelta(days=10)
    starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    session = session_create(actor=world.coordinator, forum=world.forum, starts_at=starts_at)
    item = AgendaItem.objects.get(session=session, case_file=world.case_file)
    api(
        client,
        f"/api/v1/agenda-items/{item.pk}/record/",
        {
            "mode": "anonymous",
            "necessity": NECESSITY,
            "presenting_agency": world.school.pk,
            "minutes": CANARY_MINUTES,
            "attendees": [world.chair.pk, world.school_member.pk],
        },
    )
    item.refresh_from_db()
    assert item.recorded_at is not None


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_in_pg_dump_statement_log_application_log_or_redis(
    statement_log, world, caplog, capfd
):
    log_start = statement_log.stat().st_size
    caplog.set_level(logging.DEBUG)

    # Redis as in production: the cache (rate-limit counters) and Celery's broker.
    redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    with override_settings(CACHES={"default": {**redis_cache, "LOCATION": settings.REDIS_URL}}):
        write_the_canaries(world)

    # pg_dump: the canaries are in the database, encrypted.
    dump = _pg_dump()
    assert FocusPerson.objects.filter(pseudonym__isnull=False).count() >= 3
    assert "\\\\x01" in dump
    assert not leaks_in(dump), f"plaintext in pg_dump: {leaks_in(dump)}"

    # PostgreSQL's statement log: real (it holds the INSERTs, values included), and clean.
    with statement_log.open(encoding="utf-8", errors="replace") as log:
        log.seek(log_start)
        statements = log.read()
    assert re.search(r'INSERT INTO "persons_identity"', statements), statements[-2000:]
    assert re.search(r'INSERT INTO "coordination_note"', statements)
    pseudonyms = FocusPerson.objects.values_list("pseudonym", flat=True)
    assert any(p in statements for p in pseudonyms), "the log holds no values: proves nothing"
    assert not leaks_in(statements), f"plaintext in PostgreSQL's log: {leaks_in(statements)}"

    # The application log of those requests: every record, and what the configured handlers
    # wrote (stdout/stderr, as formatted for production).
    written = capfd.readouterr()
    application_log = "\n".join(
        [f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records]
        + [written.out, written.err]
    )
    assert caplog.records, "nothing was logged: the capture is not working"
    assert not leaks_in(application_log), f"plaintext in the log: {leaks_in(application_log)}"

    # Redis: every value (Celery's base64 message bodies decoded; no request queues a task
    # today, so this is mostly the cache), then the dump file a SAVE writes, uncompressed.
    server = redis.Redis.from_url(settings.REDIS_URL)
    values = redis_values(server)
    assert values, "Redis is empty: the cache did not reach it"
    server.config_set("rdbcompression", "no")
    server.save()
    rdb = Path(os.environ["REDIS_DIR"]) / "dump.rdb"
    redis_text = b"\n".join([*values, rdb.read_bytes()]).decode("utf-8", errors="replace")
    assert not leaks_in(redis_text), f"plaintext in Redis: {leaks_in(redis_text)}"


def redis_values(server: redis.Redis) -> list[bytes]:
    values: list[bytes] = []
    for key in server.keys("*"):
        kind = server.type(key)
        items: list[Any]
        if kind == b"string":
            items = [server.get(key) or b""]
        elif kind == b"list":
            items = server.lrange(key, 0, -1)
        elif kind == b"hash":
            items = [b" ".join(pair) for pair in server.hgetall(key).items()]
        elif kind == b"set":
            items = list(server.smembers(key))
        elif kind == b"zset":
            items = server.zrange(key, 0, -1)
        else:
            items = [server.dump(key) or b""]
        values.append(key)
        for item in items:
            values.append(item)
            values.extend(celery_bodies(item))
    return values


def celery_bodies(item: bytes) -> list[bytes]:
    """A kombu message on Redis is JSON whose ``body`` is base64: decode it to search it."""
    try:
        message = json.loads(item)
        return [base64.b64decode(message["body"])]
    except (ValueError, KeyError, TypeError):
        return []
